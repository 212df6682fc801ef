#!/bin/sh
# Builds the images of the dind tests without any registry:
#   autoscaler-test/dind:local               stand-in for docker:dind (test/support/images/dind)
#   autoscaler-test/runner-stub-docker:local runner stub whose job builds and runs an image
#   autoscaler-test/runner-stub-docker-user:local  the same as a non-root user (uid 1001)
#   autoscaler-test/runner-stub-cache:local  its job builds the same Dockerfile every time
#   autoscaler-test/runner-stub-pull:local   its job pulls a Docker Hub image (a mirror serves it)
#   autoscaler-test/runner-stub-nested:local its job runs a container that starts 300 processes
#   autoscaler-test/registry:local           stand-in for registry:2 (Debian's docker-registry)
#   autoscaler-test/runner-stub-forks:local  runner stub whose job starts 300 processes
#   autoscaler-test/runner-stub-memory:local runner stub whose job fills 256 MiB
# They sit on autoscaler-test/debian:bookworm (e2e-build-nginx.sh), the last two on
# autoscaler-test/busybox:local (build-images.sh, which the tests' global setup runs). Idempotent: skips an image whose io.runner-autoscaler.test.hash
# label matches its inputs. First run about two minutes.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DEBIAN_IMAGE=autoscaler-test/debian:bookworm
DIND_IMAGE=autoscaler-test/dind:local
STUB_IMAGE=autoscaler-test/runner-stub-docker:local
USER_STUB_IMAGE=autoscaler-test/runner-stub-docker-user:local
TEST_LABEL=io.runner-autoscaler.test=true
HASH_LABEL=io.runner-autoscaler.test.hash

image_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# build IMAGE BASE DOCKERFILE FILES...: docker build in test/support unless up to date.
build() {
  image=$1
  base=$2
  dockerfile=$3
  shift 3
  want=$( (docker image inspect --format '{{.Id}}' "$base" && cd "$HERE" && cat "$dockerfile" "$@") |
    sha256sum | cut -c1-16)
  [ "$(image_hash "$image")" = "$want" ] && return 0
  echo "build-dind-images: building $image" >&2
  log=$(mktemp)
  # The host's network: RUN steps need no bridge of the engine's (apt-get reaches the mirror).
  if ! docker build -q --force-rm --network host --label "$TEST_LABEL" --label "$HASH_LABEL=$want" \
    -t "$image" -f "$HERE/$dockerfile" "$HERE" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

sh "$HERE/e2e-build-nginx.sh" debian
build "$DIND_IMAGE" "$DEBIAN_IMAGE" dind/Dockerfile dind/dockerd-entrypoint.sh
build "$STUB_IMAGE" "$DIND_IMAGE" runner-stub-docker/Dockerfile \
  runner-stub/entrypoint.sh runner-stub-docker/job.sh
build "$USER_STUB_IMAGE" "$STUB_IMAGE" runner-stub-docker-user/Dockerfile
JOB_SCRIPTS="runner-stub/entrypoint.sh runner-stub-docker/report.sh runner-stub-docker/wait-engine.sh"
# shellcheck disable=SC2086 # the list of scripts is meant to split
build autoscaler-test/runner-stub-cache:local "$USER_STUB_IMAGE" runner-stub-cache/Dockerfile \
  $JOB_SCRIPTS runner-stub-cache/job.sh
# shellcheck disable=SC2086
build autoscaler-test/runner-stub-pull:local "$USER_STUB_IMAGE" runner-stub-pull/Dockerfile \
  $JOB_SCRIPTS runner-stub-pull/job.sh
# shellcheck disable=SC2086
build autoscaler-test/runner-stub-nested:local "$USER_STUB_IMAGE" runner-stub-nested/Dockerfile \
  $JOB_SCRIPTS runner-stub-forks/forks.sh runner-stub-nested/job.sh
build autoscaler-test/registry:local "$DEBIAN_IMAGE" registry/Dockerfile registry/config.yml
build autoscaler-test/runner-stub-forks:local autoscaler-test/busybox:local \
  runner-stub-forks/Dockerfile runner-stub/entrypoint.sh runner-stub-forks/forks.sh \
  runner-stub-forks/job.sh
build autoscaler-test/runner-stub-memory:local autoscaler-test/busybox:local \
  runner-stub-memory/Dockerfile runner-stub/entrypoint.sh runner-stub-memory/job.sh
echo "build-dind-images: $DIND_IMAGE, the runner stubs and autoscaler-test/registry:local ready" >&2
