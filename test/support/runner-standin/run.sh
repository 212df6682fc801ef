#!/bin/bash
# Stand-in for actions/runner's run.sh: records the call and "listens" until SIGTERM/SIGINT
# (recorded as the call `run.sh:signal`), then exits 0. STANDIN_RUN_SECONDS=N ends it after N
# seconds instead, as if the runner had taken and finished a job: an ephemeral runner then
# deletes its local settings, as the real one does.
set -euo pipefail
cd "$(dirname "$0")"
. bin/standin-lib.sh
standin_record run.sh "$@"
trap 'standin_record run.sh:signal TERM; exit 0' TERM
trap 'standin_record run.sh:signal INT; exit 0' INT
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
