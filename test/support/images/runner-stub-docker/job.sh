#!/bin/sh
# A Docker-building job in small, run by the runner stub: wait for this runner's own engine (the
# dind sidecar behind DOCKER_HOST), check that it is fresh, build an image and run a container.
# Without DOCKER_HOST (host mode) it only checks that the host's engine answers.
set -eu

echo "job: DOCKER_HOST=${DOCKER_HOST:-unset}, user $(id -u), groups $(id -G)"
if [ -z "${DOCKER_HOST:-}" ]; then
  # `host` mode: the host's own engine, shared with everything else on it. Only check that this
  # runner's user may use it; building here would leave images on the host.
  docker version --format 'job: host engine {{.Server.Version}}'
  exit
fi
tries=0
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "job: no Docker engine answered" >&2; exit 1; }
  sleep 1
done
echo "job: engine $(docker version --format '{{.Server.Version}}')"

# Single-use: no image or container of an earlier job may be here.
if [ -n "$(docker images -q)" ] || [ -n "$(docker ps -aq)" ]; then
  echo "job: the engine is not fresh" >&2
  docker images >&2
  exit 1
fi

dir=$(mktemp -d)
cp /bin/busybox "$dir/busybox"
printf 'FROM scratch\nCOPY busybox /busybox\nENTRYPOINT ["/busybox"]\n' >"$dir/Dockerfile"
docker build -q -t job-image "$dir"
docker run --rm job-image echo "job: a container built in this job ran"
