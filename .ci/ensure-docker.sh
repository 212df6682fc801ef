#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock, with the tools the tests use
# (docker-compose, busybox-static); installs Debian's packages where missing.
# Fails (never skips) when no engine can be had.
set -euo pipefail

answers() { docker info >/dev/null 2>&1; }

export DEBIAN_FRONTEND=noninteractive
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
{ [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx wget; } || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

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
