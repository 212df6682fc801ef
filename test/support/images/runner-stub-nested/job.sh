#!/bin/sh
# Runs forks.sh in a container of its own engine and reports how many of 300 processes that
# container could start (nested_forks); fails when it got fewer.
set -eu
/wait-engine.sh
dir=$(mktemp -d)
cp /bin/busybox /forks.sh "$dir/"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY forks.sh /forks.sh\nENV PATH=/bin\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$dir/Dockerfile"
docker build -q -t nested-forks "$dir" >/dev/null
count=$(docker run --rm nested-forks /bin/sh /forks.sh)
/report.sh "nested_forks=$count"
[ "$count" -ge 300 ]
