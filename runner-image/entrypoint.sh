#!/bin/bash
# Starts the official runner in one of two modes:
#
# JIT (the autoscaler): the controller passes a single-use JIT config in
# ACTIONS_RUNNER_INPUT_JITCONFIG; the runner reads ACTIONS_RUNNER_INPUT_* variables as its
# command-line inputs (here: --jitconfig) and removes them from its environment, so nothing goes
# on the command line (readable by anyone in /proc/*/cmdline) and job steps do not inherit it.
#
# Registration token (the static pool, docker-compose.yml): GITHUB_URL plus a registration token
# (RUNNER_TOKEN[_FILE]) or a PAT (GITHUB_TOKEN_FILE, GITHUB_TOKEN, ACCESS_TOKEN) to fetch one
# with; see registration.sh for the settings.
#
# Optional in both: DOCKER_WAIT_SECONDS (60), how long to wait for the Docker engine behind a
# unix:// DOCKER_HOST (the dind sidecar starts at the same time as this container).
set -euo pipefail

log() { echo "runner-entrypoint: $*" >&2; }

docker_answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

wait_for_docker() {
  case "${DOCKER_HOST:-}" in
    unix://*)
      local wait_seconds=${DOCKER_WAIT_SECONDS:-60}
      local deadline=$((SECONDS + wait_seconds))
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
      local socket=/var/run/docker.sock
      if [ -S "$socket" ] && ! docker_answers; then
        log "warning: $socket is mounted but not usable by $(id -un) (groups $(id -G));" \
          "its group is $(stat -c %g "$socket"), the image's docker group is $(getent group docker | cut -d: -f3)"
      fi
      ;;
  esac
}

cd /home/runner

if [ -n "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]; then
  wait_for_docker
  exec ./run.sh
fi

if [ -z "${GITHUB_URL:-}" ]; then
  log "error: set ACTIONS_RUNNER_INPUT_JITCONFIG (a JIT config, as the runner-autoscaler" \
    "controller does) or GITHUB_URL with a registration token or PAT (registration-token mode)"
  exit 1
fi

# shellcheck source=registration.sh
. /usr/local/lib/runner-image/registration.sh
registration_mode
