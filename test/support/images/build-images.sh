#!/bin/sh
# Builds the test images without any registry:
#   autoscaler-test/busybox:local      docker import of a rootfs with Debian's busybox-static
#   autoscaler-test/runner-stub:local  runner stub on top of it (test/support/images/runner-stub)
#   autoscaler-test/runner-outdated, -crash, -versioned:local  runners that misbehave, or only
#     carry an actions/runner version label (test/support/runner-*)
#   autoscaler-test/runner-stub-gvisor:local  the stub with an HTTP client gVisor's host network
#     serves (test/support/images/runner-stub-gvisor)
# Idempotent: skips an image whose io.runner-autoscaler.test.hash label matches its inputs.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
BASE_IMAGE=autoscaler-test/busybox:local
STUB_IMAGE=autoscaler-test/runner-stub:local
TEST_LABEL=io.runner-autoscaler.test=true
HASH_LABEL=io.runner-autoscaler.test.hash

image_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

busybox_bin() {
  # Only the static build runs in an empty rootfs (Debian's `busybox` package is dynamic).
  if ! dpkg -s busybox-static >/dev/null 2>&1; then
    echo "build-images: installing busybox-static" >&2
    apt-get install -y busybox-static >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y busybox-static >/dev/null; }
  fi
  echo /bin/busybox
}

build_base() {
  bin=$(busybox_bin)
  want=$(sha256sum "$bin" | cut -c1-16)
  [ "$(image_hash "$BASE_IMAGE")" = "$want" ] && return 0
  echo "build-images: importing $BASE_IMAGE" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc" \
    "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp "$bin" "$rootfs/bin/busybox"
  # What `busybox --install -s` would do inside the rootfs, without needing to run in it.
  for app in $("$bin" --list-full); do
    [ "$app" = bin/busybox ] || ln -sf /bin/busybox "$rootfs/$app"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $TEST_LABEL $HASH_LABEL=$want" - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
}

# build_on_base IMAGE DIR [DIR...]: docker build of the first DIR's Dockerfile (on top of the
# busybox base) unless up to date; with further DIRs (files it copies from them) the context is
# this folder.
build_on_base() {
  image=$1
  dir=$2
  shift
  want=$( (docker image inspect --format '{{.Id}}' "$BASE_IMAGE" && for d in "$@"; do cat "$d"/*; done) |
    sha256sum | cut -c1-16)
  [ "$(image_hash "$image")" = "$want" ] && return 0
  context=$dir
  [ $# -eq 1 ] || context=$HERE
  echo "build-images: building $image" >&2
  log=$(mktemp)
  # The legacy builder warns about buildx on stderr; show the output only when the build fails.
  if ! docker build -q --force-rm --label "$TEST_LABEL" --label "$HASH_LABEL=$want" -t "$image" \
    -f "$dir/Dockerfile" "$context" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

build_base
build_on_base "$STUB_IMAGE" "$HERE/runner-stub"
build_on_base autoscaler-test/runner-outdated:local "$HERE/runner-outdated"
build_on_base autoscaler-test/runner-crash:local "$HERE/runner-crash"
build_on_base autoscaler-test/runner-versioned:local "$HERE/runner-versioned"
build_on_base autoscaler-test/runner-stub-gvisor:local "$HERE/runner-stub-gvisor" "$HERE/runner-stub"
echo "build-images: $BASE_IMAGE $STUB_IMAGE runner-outdated runner-crash runner-versioned runner-stub-gvisor ready" >&2
