#!/bin/sh
# Builds the same image on every run and reports: build_ms (wall time of `docker build`),
# cached_steps (steps the builder took from its cache), and what the engine held before:
# images, containers, volumes. Then leaves a container with a restart policy and a volume
# behind, as a careless job does: a cache must keep layers, never a job's state.
set -eu
/wait-engine.sh
images=$(docker images -q | wc -l)
containers=$(docker ps -aq | wc -l)
volumes=$(docker volume ls -q | wc -l)

dir=$(mktemp -d)
cp /bin/busybox "$dir/busybox"
# The RUN step stands for a slow one (a package install, a compile): 64 MiB made and compressed.
cat >"$dir/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/urandom bs=1M count=64 2>/dev/null | /bin/busybox gzip -1 > /blob.gz"]
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox sha256sum /blob.gz > /blob.sha256"]
DOCKERFILE
start=$(date +%s%N)
docker build -t cache-probe "$dir" >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
end=$(date +%s%N)
cached=$(grep -cE 'Using cache|CACHED' "$dir/build.log" || true)
/report.sh "build_ms=$(((end - start) / 1000000)) cached_steps=$cached images=$images containers=$containers volumes=$volumes"

docker run --rm cache-probe /bin/busybox test -s /blob.sha256
docker volume create job-leftover >/dev/null
docker run -d --restart always -v job-leftover:/data cache-probe /bin/busybox sleep 3600 >/dev/null
