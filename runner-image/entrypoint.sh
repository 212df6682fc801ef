#!/bin/bash
# Starts the official runner in one of two modes:
#
# JIT (the autoscaler): the controller passes a single-use JIT config in
# ACTIONS_RUNNER_INPUT_JITCONFIG; the runner reads ACTIONS_RUNNER_INPUT_* variables as its
# command-line inputs (here: --jitconfig) and removes them from its environment, so nothing goes
# on the command line (readable by anyone in /proc/*/cmdline) and job steps do not inherit it.
#
# Registration token (the static pool, static-pool/docker-compose.yml): GITHUB_URL plus a registration token
# (RUNNER_TOKEN[_FILE]) or a PAT (GITHUB_TOKEN_FILE, GITHUB_TOKEN, ACCESS_TOKEN) to fetch one
# with; see registration.sh for the settings.
#
# Optional in both: DOCKER_WAIT_SECONDS (60), how long to wait for the Docker engine behind a
# unix:// DOCKER_HOST (the dind sidecar starts at the same time as this container).
#
# RUNNER_ROOT: run the runner from this folder instead of /home/runner. The runner hands the
# job's Docker engine bind mounts of its own folders (work, externals, _temp), which the engine
# resolves in its own filesystem; where that engine is the host's, the runner must run from a
# folder whose path is the same on the host. The controller's host mode mounts a volume there
# that already holds the image's runner; for a folder that lacks it (the static pool's), the
# runner is copied in first (see registration.sh).
set -euo pipefail

log() { echo "runner-entrypoint: $*" >&2; }

docker_answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

wait_for_docker() {
  case "${DOCKER_HOST:-}" in
    unix://*)
      local wait_seconds=${DOCKER_WAIT_SECONDS:-60}
      local deadline=$((SECONDS + wait_seconds)) socket=${DOCKER_HOST#unix://}
      local started=${EPOCHREALTIME/./}
      # dockerd makes its socket once it listens: until then a cheap test, no client started;
      # then every 50 ms, so that the job starts within moments of the engine.
      until [ -S "$socket" ] && docker_answers; do
        if ((SECONDS >= deadline)); then
          # Without Docker the job would fail; exiting lets the controller give it another runner.
          log "error: no Docker engine answered at ${DOCKER_HOST} within ${wait_seconds}s"
          exit 1
        fi
        sleep 0.05
      done
      log "the Docker engine at ${DOCKER_HOST} answered after $(((${EPOCHREALTIME/./} - started) / 1000)) ms"
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

# actions/runner refuses container jobs and services when /proc/1/cgroup names a /docker/ cgroup
# (it takes that for "inside a container"): so it is on a cgroup v1 engine with the cgroupfs
# driver, unless the container has a cgroup namespace of its own (the controller gives its
# runners one) or another cgroup parent.
warn_docker_cgroup() {
  if grep -q ':/docker/' /proc/1/cgroup 2>/dev/null; then
    log "warning: /proc/1/cgroup names a /docker/ cgroup: the runner will refuse container jobs" \
      "and services; give this container its own cgroup namespace (--cgroupns=private) or" \
      "another cgroup parent (the static pool: RUNNER_CGROUP_PARENT)"
  fi
}

# Sets RUNNER_ROOT (default /home/runner) and makes it the current folder; the runner must be
# there (run.sh) and its user must be able to write to it.
enter_runner_root() {
  RUNNER_ROOT=${RUNNER_ROOT:-/home/runner}
  [ -x "$RUNNER_ROOT/run.sh" ] || {
    log "error: no runner in RUNNER_ROOT=$RUNNER_ROOT (run.sh is missing)"
    exit 1
  }
  [ -w "$RUNNER_ROOT" ] && { [ ! -e "$RUNNER_ROOT/_work" ] || [ -w "$RUNNER_ROOT/_work" ]; } || {
    log "error: $RUNNER_ROOT or its _work folder is not writable by $(id -un) (uid $(id -u))"
    exit 1
  }
  cd "$RUNNER_ROOT"
  warn_docker_cgroup
}

if [ -n "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]; then
  enter_runner_root
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
