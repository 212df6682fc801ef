#!/bin/sh
# Builds the controller image of this project (controller/Dockerfile) without any registry, for
# the e2e stack test:
#   autoscaler-test/controller:local   controller/Dockerfile on the Node stand-ins of
#                                      e2e-build-node-standins.sh
# Idempotent: skips the build when the io.runner-autoscaler.test.hash label matches its inputs
# (the Dockerfile, package files, tsconfigs, controller/src). First run about 1-2 minutes.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=autoscaler-test/controller:local
NODE_IMAGE=autoscaler-test/node:24
RUNTIME_IMAGE=autoscaler-test/node-distroless:24
TEST_LABEL=io.runner-autoscaler.test=true
HASH_LABEL=io.runner-autoscaler.test.hash

image_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

inputs_hash() {
  (cd "$ROOT" && {
    echo standins-1
    cat "$HERE/e2e-build-node-standins.sh" controller/Dockerfile .dockerignore package.json \
      package-lock.json tsconfig.json tsconfig.build.json
    find controller/src -type f | LC_ALL=C sort | xargs cat
  }) | sha256sum | cut -c1-16
}

want=$(inputs_hash)
[ "$(image_hash "$IMAGE")" = "$want" ] && exit 0
if ! docker image inspect "$NODE_IMAGE" "$RUNTIME_IMAGE" >/dev/null 2>&1; then
  sh "$HERE/e2e-build-node-standins.sh"
fi
echo "e2e-build-controller: building $IMAGE from controller/Dockerfile" >&2
old=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log=$(mktemp)
if ! docker build -q --force-rm -f "$ROOT/controller/Dockerfile" \
  --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" \
  --label "$TEST_LABEL" --label "$HASH_LABEL=$want" -t "$IMAGE" "$ROOT" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
# The image a rebuild replaced, unless something still uses it.
if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$IMAGE")" ]; then
  docker rmi "$old" >/dev/null 2>&1 || true
fi
echo "e2e-build-controller: $IMAGE ready" >&2
