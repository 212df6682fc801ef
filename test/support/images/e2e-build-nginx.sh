#!/bin/sh
# Builds the nginx proxy image of this project (nginx/Dockerfile) without any registry, for the
# e2e tests:
#   autoscaler-test/debian:bookworm   docker import of `debootstrap --variant=minbase bookworm`
#   autoscaler-test/nginx-base:local  stand-in for the upstream nginx image: Debian's nginx package
#   autoscaler-test/nginx:local       nginx/Dockerfile built with NGINX_IMAGE=the stand-in
# Idempotent: skips an image whose io.runner-autoscaler.test.hash label matches its inputs.
# First run about 1-2 minutes (debootstrap + apt-get from deb.debian.org), then well under a second.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DEBIAN_IMAGE=autoscaler-test/debian:bookworm
NGINX_BASE_IMAGE=autoscaler-test/nginx-base:local
NGINX_IMAGE=autoscaler-test/nginx:local
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TEST_LABEL=io.runner-autoscaler.test=true
HASH_LABEL=io.runner-autoscaler.test.hash

image_hash() {
  docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

image_id() {
  docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# Removes an image a rebuild has replaced (left untagged), unless something still uses it.
drop_replaced() {
  if [ -n "$1" ] && [ "$1" != "$(image_id "$2")" ]; then
    docker rmi "$1" >/dev/null 2>&1 || true
  fi
}

quiet_build() {
  # The legacy builder warns about buildx on stderr; show the output only when the build fails.
  log=$(mktemp)
  if ! docker build --force-rm "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

build_debian() {
  want=bookworm-minbase-1
  [ "$(image_hash "$DEBIAN_IMAGE")" = "$want" ] && return 0
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "e2e-build-nginx: installing debootstrap" >&2
    apt-get install -y debootstrap >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y debootstrap >/dev/null; }
  fi
  echo "e2e-build-nginx: debootstrap bookworm (about a minute)" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 ||
    { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/bin/bash"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $TEST_LABEL $HASH_LABEL=$want" - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
}

build_nginx_base() {
  want=$( (docker image inspect --format '{{.Id}}' "$DEBIAN_IMAGE" && echo nginx-base-1) |
    sha256sum | cut -c1-16)
  [ "$(image_hash "$NGINX_BASE_IMAGE")" = "$want" ] && return 0
  echo "e2e-build-nginx: building $NGINX_BASE_IMAGE" >&2
  old=$(image_id "$NGINX_BASE_IMAGE")
  # Shaped like the official Debian-based nginx image: nginx on PATH, logs to stdout/stderr,
  # CMD nginx in the foreground. No openssl: the product Dockerfile must install it itself.
  quiet_build -q --label "$TEST_LABEL" --label "$HASH_LABEL=$want" -t "$NGINX_BASE_IMAGE" - <<DOCKERFILE
FROM $DEBIAN_IMAGE
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \\
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \\
 && ln -sf /dev/stdout /var/log/nginx/access.log \\
 && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
  drop_replaced "$old" "$NGINX_BASE_IMAGE"
}

build_nginx() {
  want=$( (docker image inspect --format '{{.Id}}' "$NGINX_BASE_IMAGE" &&
    cd "$ROOT/nginx" && find . -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-16)
  [ "$(image_hash "$NGINX_IMAGE")" = "$want" ] && return 0
  echo "e2e-build-nginx: building $NGINX_IMAGE from nginx/Dockerfile" >&2
  old=$(image_id "$NGINX_IMAGE")
  quiet_build -q --build-arg "NGINX_IMAGE=$NGINX_BASE_IMAGE" \
    --label "$TEST_LABEL" --label "$HASH_LABEL=$want" -t "$NGINX_IMAGE" "$ROOT/nginx"
  drop_replaced "$old" "$NGINX_IMAGE"
}

case "${1:-all}" in
  debian) build_debian ;;
  all)
    build_debian
    build_nginx_base
    build_nginx
    echo "e2e-build-nginx: $NGINX_IMAGE ready" >&2
    ;;
  *) echo "usage: $0 [debian|all]" >&2; exit 2 ;;
esac
