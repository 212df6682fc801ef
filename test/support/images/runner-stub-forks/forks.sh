#!/bin/sh
# Tries to start 300 sleeping processes, ends them and prints how many it got. Only shell
# builtins run while they hold the pids limit (a fork would fail then).
pids=/tmp/forks
mkdir -p /tmp
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
echo "$count"
