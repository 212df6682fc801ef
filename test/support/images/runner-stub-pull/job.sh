#!/bin/sh
# Pulls mirror-probe:latest (that is docker.io/library/mirror-probe:latest: Docker Hub, which
# this engine reaches only through its --registry-mirror), reports pull_ms and how many images
# the engine held before, and runs the image.
set -eu
/wait-engine.sh
images=$(docker images -q | wc -l)
start=$(date +%s%N)
docker pull -q mirror-probe:latest
end=$(date +%s%N)
/report.sh "pull_ms=$(((end - start) / 1000000)) images=$images"
docker run --rm mirror-probe:latest true
