#!/bin/sh
# Tries to start 300 sleeping processes, reports how many it got, ends them and fails when it
# got fewer: a pids limit below that stops the job at the limit, not at the host's pid_max.
# Only shell builtins run while the processes hold the limit (a fork would fail then).
pids=/tmp/forks
: >"$pids"
(
  i=0
  last=
  while [ "$i" -lt 300 ]; do
    sleep 60 &
    [ "$!" = "$last" ] && break
    last=$!
    echo "$!" >>"$pids"
    i=$((i + 1))
  done
) 2>/dev/null
count=0
while read -r pid; do
  kill "$pid" 2>/dev/null
  count=$((count + 1))
done <"$pids"
sleep 1
wget -q -O /dev/null --post-data="forks=$count" "$STUB_RUNNER_URL/report"
[ "$count" -ge 300 ]
