#!/bin/bash
# Stand-in for actions/runner's run.sh with RUNNER_MANUALLY_TRAP_SIG=1 (the image sets it): like
# the real one, it records the call, runs the "listener" (bin/standin-listener.sh) as a background
# job in a process group of its own, and turns SIGTERM or SIGINT into SIGINT for that group. So a
# listener started with SIGINT ignored (what a parent shell without job control does to its
# background jobs) never stops, as the real one would not.
set -euo pipefail
cd "$(dirname "$0")"
. bin/standin-lib.sh
standin_record run.sh "$@"
set -m
trap 'kill -INT -$PID' INT TERM
bin/standin-listener.sh &
PID=$!
set +e
wait "$PID"
status=$?
while kill -0 "$PID" 2>/dev/null; do
  wait "$PID"
  status=$?
done
trap - INT TERM
exit "$status"
