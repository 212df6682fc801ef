#!/bin/sh
# Waits up to a minute for this runner's own engine (the dind sidecar behind DOCKER_HOST).
tries=0
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "job: no Docker engine answered" >&2; exit 1; }
  sleep 1
done
