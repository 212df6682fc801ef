#!/bin/bash
# The stand-in's Runner.Listener (started by run.sh): records the call `listener` once it is
# ready for signals; on SIGINT, recorded as `listener:signal`, it stops and exits 0. STANDIN_RUN_SECONDS=N ends it after N seconds instead,
# as if the runner had taken and finished a job: an ephemeral runner then deletes its local
# settings, as the real one does.
# A JIT config that is the fake GitHub's runner URL (…/_stub/runners/<name>, base64, as the fake
# hands them out) makes it take a job there and run its workflow (bin/standin-worker.sh); so does
# STANDIN_TAKE_JOBS=1 for a runner registered with config.sh (its .runner names it and GitHub).
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/standin-lib.sh
trap 'standin_record listener:signal INT; exit 0' INT
standin_record listener
jit=$(printf '%s' "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" | base64 -d 2>/dev/null || true)
unset ACTIONS_RUNNER_INPUT_JITCONFIG
if [[ $jit =~ ^https?://[^/]+/_stub/runners/[^/]+$ ]]; then
  trap - INT
  exec bin/standin-worker.sh "$jit"
fi
if [ "${STANDIN_TAKE_JOBS:-}" = 1 ] && [ -f .runner ]; then
  trap - INT
  origin=$(jq -r .gitHubUrl .runner | sed -E 's#^(https?://[^/]+).*#\1#')
  exec bin/standin-worker.sh "$origin/_stub/runners/$(jq -r .agentName .runner)"
fi
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
