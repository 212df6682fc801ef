#!/bin/sh
# Builds arm64 test images without a registry, and without running anything arm64 while building:
#   autoscaler-test/busybox:arm64      Debian's busybox-static for arm64 and its applet links
#   autoscaler-test/runner-stub:arm64  the runner stub (runner-stub/entrypoint.sh) on top of it
# Both are written by hand as one `docker load` archive whose image configs say linux/arm64:
# this engine (20.10) records the host's architecture on `docker import --platform linux/arm64`,
# and `docker build` of runner-stub/Dockerfile would RUN an arm64 chmod, which needs emulation,
# the very thing the tests find out. The .deb comes through a private apt configuration (arm64
# index of the system's Debian mirror, main only): the system's apt state and dpkg's
# architectures stay as they are.
# Idempotent: skips when both images carry the hash of this script and the stub's entrypoint.
# Usage: build-arm64-images.sh [DOCKER_HOST] (default: the shared engine).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
[ "$#" -gt 0 ] && export DOCKER_HOST="$1"
BASE_IMAGE=autoscaler-test/busybox:arm64
STUB_IMAGE=autoscaler-test/runner-stub:arm64
TEST_LABEL=io.runner-autoscaler.test
HASH_LABEL=io.runner-autoscaler.test.hash

image_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

want=$(cat "$0" "$HERE/runner-stub/entrypoint.sh" | sha256sum | cut -c1-16)
if [ "$(image_hash "$BASE_IMAGE")" = "$want" ] && [ "$(image_hash "$STUB_IMAGE")" = "$want" ]; then
  exit 0
fi
echo "build-arm64-images: building $BASE_IMAGE $STUB_IMAGE" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The system's Debian mirror and release, so that no host name is written here.
. /etc/os-release
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] ||
  mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || { echo "build-arm64-images: no Debian mirror in /etc/apt" >&2; exit 1; }
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
: >"$apt_dir/status"
echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $VERSION_CODENAME main" \
  >"$apt_dir/sources.list"
private_apt() {
  apt-get -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
    -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts="$apt_dir/parts" \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status="$apt_dir/status" \
    -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root -o Acquire::Languages=none "$@"
}
private_apt update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }
(cd "$work" && private_apt download busybox-static:arm64 >>"$work/apt.log" 2>&1) ||
  { cat "$work/apt.log" >&2; exit 1; }
deb=$(ls "$work"/busybox-static_*_arm64.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/deb"

# Layer 1: what build-images.sh puts in autoscaler-test/busybox:local. The applet list comes from
# this machine's busybox-static (the same Debian build): the arm64 binary cannot list its own.
base="$work/base"
mkdir -p "$base/bin" "$base/sbin" "$base/usr/bin" "$base/usr/sbin" "$base/etc" "$base/tmp" \
  "$base/root" "$base/proc" "$base/sys" "$base/dev"
chmod 1777 "$base/tmp"
cp "$work/deb/bin/busybox" "$base/bin/busybox"
for app in $(/bin/busybox --list-full); do
  [ "$app" = bin/busybox ] || ln -sf /bin/busybox "$base/$app"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$base/etc/passwd"
echo 'root:x:0:' >"$base/etc/group"
# Layer 2: the stub's entrypoint, as runner-stub/Dockerfile adds it.
stub="$work/stub"
mkdir -p "$stub"
cp "$HERE/runner-stub/entrypoint.sh" "$stub/entrypoint.sh"
chmod 0755 "$stub/entrypoint.sh"

archive="$work/archive"
mkdir -p "$archive"
# layer DIR: a reproducible tar of DIR in the archive; prints its digest.
layer() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$work/layer.tar" .
  digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mv "$work/layer.tar" "$archive/$digest.tar"
  echo "$digest"
}
base_layer=$(layer "$base")
stub_layer=$(layer "$stub")
labels="\"$TEST_LABEL\":\"true\",\"$HASH_LABEL\":\"$want\",\"$TEST_LABEL.busybox\":\"$version\""
env='"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]'
created='"created":"1970-01-01T00:00:00Z"'
# config NAME JSON: writes an image config to the archive; prints its file name.
config() {
  printf '%s' "$2" >"$work/config.json"
  digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$archive/$digest.json"
  echo "$digest.json"
}
base_config=$(config base "{\"architecture\":\"arm64\",\"os\":\"linux\",$created,\
\"config\":{$env,\"Cmd\":[\"/bin/sh\"],\"Labels\":{$labels}},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$base_layer\"]},\
\"history\":[{$created,\"created_by\":\"busybox-static $version arm64\"}]}")
stub_config=$(config stub "{\"architecture\":\"arm64\",\"os\":\"linux\",$created,\
\"config\":{$env,\"Entrypoint\":[\"/entrypoint.sh\"],\"Labels\":{$labels}},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$base_layer\",\"sha256:$stub_layer\"]},\
\"history\":[{$created,\"created_by\":\"busybox-static $version arm64\"},\
{$created,\"created_by\":\"COPY entrypoint.sh /entrypoint.sh\"}]}")
cat >"$archive/manifest.json" <<EOF
[{"Config":"$base_config","RepoTags":["$BASE_IMAGE"],"Layers":["$base_layer.tar"]},
 {"Config":"$stub_config","RepoTags":["$STUB_IMAGE"],"Layers":["$base_layer.tar","$stub_layer.tar"]}]
EOF
tar -C "$archive" -c . | docker load >/dev/null
echo "build-arm64-images: $BASE_IMAGE $STUB_IMAGE ready (busybox-static $version)" >&2
