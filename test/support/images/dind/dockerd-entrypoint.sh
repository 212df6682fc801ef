#!/bin/sh
# Stand-in for docker:dind's entrypoint (dockerd-entrypoint.sh in docker-library/docker), doing
# what it does with its arguments, including what is inconvenient:
#   - none, or flags only: dockerd with the image's own listeners first, the unix socket
#     /var/run/docker.sock and, with TLS off (DOCKER_TLS_CERTDIR empty), tcp://0.0.0.0:2375
#     without authentication; then the flags given;
#   - `dockerd …`: exactly that command, no listener added;
#   - anything else: run as given.
# The real image makes TLS certificates when DOCKER_TLS_CERTDIR is set and listens on 2376; the
# stand-in does not, and says so.
set -eu
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  if [ -n "${DOCKER_TLS_CERTDIR:-}" ]; then
    echo "dind stand-in: DOCKER_TLS_CERTDIR is set; this stand-in makes no certificates" >&2
    exit 1
  fi
  set -- dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 "$@"
fi
if [ "$1" = dockerd ]; then
  # As the real one: a pid file left by an unclean stop keeps dockerd from starting.
  find /run /var/run -iname 'docker*.pid' -delete 2>/dev/null || :
fi
exec "$@"
