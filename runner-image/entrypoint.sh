#!/bin/bash
# Starts the official runner as a single-use JIT runner. The controller passes the JIT config in
# ACTIONS_RUNNER_INPUT_JITCONFIG; the runner reads ACTIONS_RUNNER_INPUT_* variables as its
# command-line inputs (here: --jitconfig) and removes them from its environment, so nothing goes
# on the command line (readable by anyone in /proc/*/cmdline) and job steps do not inherit it.
#
# Optional: DOCKER_WAIT_SECONDS (60), how long to wait for the Docker engine behind a unix://
# DOCKER_HOST (the dind sidecar starts at the same time as this container).
set -euo pipefail

log() { echo "runner-entrypoint: $*" >&2; }

if [ -z "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]; then
  log "error: ACTIONS_RUNNER_INPUT_JITCONFIG is not set. This image runs only as an ephemeral" \
    "runner with a JIT config, as the runner-autoscaler controller starts it."
  exit 1
fi

docker_answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${DOCKER_HOST:-}" in
  unix://*)
    wait_seconds=${DOCKER_WAIT_SECONDS:-60}
    deadline=$((SECONDS + wait_seconds))
    until docker_answers; do
      if ((SECONDS >= deadline)); then
        # Without Docker the job would fail; exiting lets the controller give it another runner.
        log "error: no Docker engine answered at ${DOCKER_HOST} within ${wait_seconds}s"
        exit 1
      fi
      sleep 1
    done
    ;;
  '')
    socket=/var/run/docker.sock
    if [ -S "$socket" ] && ! docker_answers; then
      log "warning: $socket is mounted but not usable by $(id -un) (groups $(id -G));" \
        "its group is $(stat -c %g "$socket"), the image's docker group is $(getent group docker | cut -d: -f3)"
    fi
    ;;
esac

cd /home/runner
exec ./run.sh
