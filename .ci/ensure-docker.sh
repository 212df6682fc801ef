#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock, with the tools the tests use
# (docker-compose, busybox-static; openssh-server, qemu-user-static and runsc for the extra-engine
# rigs in test/support); installs Debian's packages where missing.
# Fails (never skips) when no engine can be had.
set -euo pipefail

answers() { docker info >/dev/null 2>&1; }

export DEBIAN_FRONTEND=noninteractive
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
{ [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx wget; } || missing+=(busybox-static)
# A private sshd stands in for a build host reached over ssh:// (test/support/rigs/ssh-endpoint.ts);
# its package's own service is not used (policy-rc.d keeps it from starting where it exists).
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# arm64 runners through emulation (test/support/rigs/platforms.ts).
[ -e /usr/share/binfmts/qemu-aarch64 ] || missing+=(qemu-user-static binfmt-support)
# gVisor for the runtime tests (an extra engine registers it; the shared engine is left alone).
[ -x /usr/bin/runsc ] || missing+=(runsc)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# qemu-user-static registers its interpreters only where binfmt_misc is mounted, which no init
# does here. Registered with the F flag (Debian's default), the interpreter is opened once by the
# kernel, so containers run arm64 binaries without qemu in their image. Where this cannot be
# done, arm64 containers fail with "exec format error" and the tests take the refusal path.
binfmt=/proc/sys/fs/binfmt_misc
[ -e "$binfmt/status" ] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || true
if [ -e "$binfmt/status" ] && ! grep -qx enabled "$binfmt/qemu-aarch64" 2>/dev/null; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
echo "arm64 emulation: $(head -n 1 "$binfmt/qemu-aarch64" 2>/dev/null || echo unavailable)"

if ! answers; then
  echo "starting dockerd"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    answers && break
    sleep 1
  done
fi

if ! answers; then
  echo "docker engine did not come up; dockerd log:" >&2
  tail -n 50 /tmp/dockerd.log >&2 || true
  exit 1
fi
echo "docker engine: $(docker version --format '{{.Server.Version}}')"
