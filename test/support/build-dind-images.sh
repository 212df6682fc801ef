#!/bin/sh
# Builds the images of the dind tests without any registry:
#   autoscaler-test/dind:local               stand-in for docker:dind (test/support/dind)
#   autoscaler-test/runner-stub-docker:local runner stub whose job builds and runs an image
#   autoscaler-test/runner-stub-docker-user:local  the same as a non-root user (uid 1001)
# Both sit on autoscaler-test/debian:bookworm (e2e-build-nginx.sh). Idempotent: skips an image
# whose io.runner-autoscaler.test.hash label matches its inputs. First run about a minute.
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
  if ! docker build -q --force-rm --label "$TEST_LABEL" --label "$HASH_LABEL=$want" -t "$image" \
    -f "$HERE/$dockerfile" "$HERE" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

sh "$HERE/e2e-build-nginx.sh" debian
build "$DIND_IMAGE" "$DEBIAN_IMAGE" dind/Dockerfile
build "$STUB_IMAGE" "$DIND_IMAGE" runner-stub-docker/Dockerfile \
  runner-stub/entrypoint.sh runner-stub-docker/job.sh
build "$USER_STUB_IMAGE" "$STUB_IMAGE" runner-stub-docker-user/Dockerfile
echo "build-dind-images: $DIND_IMAGE $STUB_IMAGE $USER_STUB_IMAGE ready" >&2
