#!/bin/bash
# The stand-in's Runner.Listener (started by run.sh): records the call `listener` once it is
# ready for signals; on SIGINT, recorded as `listener:signal`, it stops and exits 0. STANDIN_RUN_SECONDS=N ends it after N seconds instead,
# as if the runner had taken and finished a job: an ephemeral runner then deletes its local
# settings, as the real one does.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/standin-lib.sh
trap 'standin_record listener:signal INT; exit 0' INT
standin_record listener
if [ -n "${STANDIN_RUN_SECONDS:-}" ]; then
  sleep "$STANDIN_RUN_SECONDS" &
  wait $!
  if [ -f .runner ] && [ "$(jq -r .ephemeral .runner)" = true ]; then rm -f .runner .credentials; fi
  exit 0
fi
while :; do
  sleep 0.2 &
  wait $! || true
done
