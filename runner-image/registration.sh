# Registration-token mode of the entrypoint (sourced by entrypoint.sh), for runners that are not
# started by the controller, such as the static pool (static-pool/docker-compose.yml):
#
#   GITHUB_URL         https://github.com/OWNER/REPO or https://github.com/ORG (GHES hosts too)
#   GITHUB_API_URL     API base; https://api.github.com, or https://HOST/api/v3 for GHES
#   RUNNER_TOKEN[_FILE]                 a registration token (expires an hour after it was made)
#   GITHUB_TOKEN_FILE, GITHUB_TOKEN, ACCESS_TOKEN
#                      a PAT (repository: Administration write; organization: Self-hosted
#                      runners write), used to fetch a registration token, and a remove token
#                      when the runner stops. A file is better: it is not in `docker inspect`.
#                      A GITHUB_TOKEN that is not a PAT (no ghp_/github_pat_/... prefix) is
#                      taken as a registration token, as the seed's static pool did.
#   RUNNER_NAME        default RUNNER_NAME_PREFIX-ID, ID the container's id (12 digits; the
#                      hostname where it cannot be read), prefix `runner`
#   RUNNER_LABELS      default self-hosted,linux (the runner adds self-hosted, Linux, X64/ARM64)
#   RUNNER_GROUP       default Default
#   RUNNER_WORKDIR     default _work
#   RUNNER_EPHEMERAL   true (default): one job, then the runner exits and GitHub removes it;
#                      false: a long-lived runner (the static pool)
#   ACTIONS_RUNNER_HOOK_JOB_STARTED  long-lived runners default to reclaim-work.sh: before
#                      each job, files that earlier jobs' containers left as root in the work
#                      folder become the runner user's again (set it to another script, or to
#                      an empty value for none)
#   RUNNER_HOST_DIR    a folder mounted at the same path on the Docker host and here (the static
#                      pool's): the runner runs from its own folder in it, RUNNER_HOST_DIR/ID,
#                      a copy of /home/runner, so that the paths it gives the host's engine (work
#                      folder, externals) are the host's too; removed when the runner stops, and
#                      folders of containers that no longer exist are removed at start
#
# config.sh --unattended --url --name --labels --runnergroup --work --disableupdate --replace
# [--ephemeral]; the token goes in ACTIONS_RUNNER_INPUT_TOKEN (the runner reads it as --token and
# masks it), never on a command line or in a log. When the runner stops (SIGTERM from
# `docker stop`, or run.sh exiting) while it is still registered, it is removed with
# `config.sh remove` and a remove token from the PAT.

fail() {
  log "error: $*"
  exit 1
}

# Sets runner_url (GITHUB_URL without a trailing slash or .git), api_url and scope_path
# (/repos/OWNER/REPO or /orgs/ORG), read the way the controller reads GITHUB_URL.
parse_github_url() {
  [[ $GITHUB_URL =~ ^(https?)://([^/]+)/*([^?#]*)$ ]] ||
    fail "GITHUB_URL is not an http(s) URL of a repository or organization: $GITHUB_URL"
  local scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} path=${BASH_REMATCH[3]%/}
  path=${path%.git}
  local -a parts
  IFS=/ read -r -a parts <<<"$path"
  case "${#parts[@]}" in
    1) scope_path="/orgs/${parts[0]}" ;;
    2)
      if [ "${parts[0]}" = orgs ]; then
        scope_path="/orgs/${parts[1]}"
        path=${parts[1]}
      else
        scope_path="/repos/${parts[0]}/${parts[1]}"
      fi
      ;;
    *) fail "GITHUB_URL names neither a repository nor an organization: $GITHUB_URL" ;;
  esac
  runner_url="${scheme}://${host}/${path}"
  if [ -n "${GITHUB_API_URL:-}" ]; then
    api_url=${GITHUB_API_URL%/}
  elif [ "${host,,}" = github.com ]; then
    api_url=https://api.github.com
  else
    api_url="${scheme}://${host}/api/v3"
  fi
}

# The first line of a file, without surrounding whitespace.
read_secret_file() {
  [ -r "$1" ] || fail "$2 names a file $(id -un) cannot read: $1"
  local value
  value=$(head -n 1 "$1")
  value=${value//[[:space:]]/}
  [ -n "$value" ] || fail "$2 names an empty file: $1"
  printf '%s' "$value"
}

looks_like_pat() { [[ $1 =~ ^(ghp_|github_pat_|gho_|ghu_|ghs_) ]]; }

# Sets pat and registration_token from the settings, then removes them from the environment so
# that run.sh and the jobs it runs do not inherit them.
read_credentials() {
  pat=''
  registration_token=''
  if [ -n "${RUNNER_TOKEN_FILE:-}" ]; then
    registration_token=$(read_secret_file "$RUNNER_TOKEN_FILE" RUNNER_TOKEN_FILE)
  elif [ -n "${RUNNER_TOKEN:-}" ]; then
    registration_token=$RUNNER_TOKEN
  fi
  if [ -n "${GITHUB_TOKEN_FILE:-}" ]; then
    pat=$(read_secret_file "$GITHUB_TOKEN_FILE" GITHUB_TOKEN_FILE)
  elif [ -n "${GITHUB_TOKEN:-}" ]; then
    if looks_like_pat "$GITHUB_TOKEN" || [ -n "$registration_token" ]; then
      pat=$GITHUB_TOKEN
    else
      registration_token=$GITHUB_TOKEN
    fi
  elif [ -n "${ACCESS_TOKEN:-}" ]; then
    pat=$ACCESS_TOKEN
  fi
  unset RUNNER_TOKEN RUNNER_TOKEN_FILE GITHUB_TOKEN GITHUB_TOKEN_FILE ACCESS_TOKEN
  [ -n "$pat$registration_token" ] ||
    fail "registration-token mode needs RUNNER_TOKEN[_FILE] (a registration token) or a PAT" \
      "(GITHUB_TOKEN_FILE, GITHUB_TOKEN or ACCESS_TOKEN)"
}

# POST to the API with the PAT; prints the answer's token. The PAT goes to curl on stdin, not
# on its command line; errors name the status and GitHub's message, never a token.
fetch_token() {
  local what=$1 answer status message attempt
  local url="${api_url}${scope_path}/actions/runners/${what}-token"
  for attempt in 1 2 3; do
    answer=$(mktemp)
    status=$(curl -sS -o "$answer" -w '%{http_code}' -X POST -H @- "$url" <<<"Authorization: Bearer ${pat}
Accept: application/vnd.github+json
X-GitHub-Api-Version: 2022-11-28") || status=000
    if [ "$status" = 201 ]; then
      jq -r '.token // empty' "$answer"
      rm -f "$answer"
      return 0
    fi
    message=$(jq -r '.message // empty' "$answer" 2>/dev/null || true)
    rm -f "$answer"
    log "POST ${scope_path}/actions/runners/${what}-token answered ${status}${message:+: $message}"
    # 4xx other than 429 will not get better by asking again.
    if [[ $status =~ ^4 && $status != 429 ]]; then break; fi
    sleep $((attempt * 2))
  done
  return 1
}

# This container's id, 12 digits, from the bind mounts Docker gives it (its hostname is the
# host's on the host's network); the hostname where none is found.
container_id() {
  local id
  id=$(grep -o -m 1 '/containers/[0-9a-f]\{64\}/' /proc/self/mountinfo 2>/dev/null | head -n 1)
  id=${id#/containers/}
  if [ -n "$id" ]; then echo "${id:0:12}"; else echo "$HOSTNAME"; fi
}

configure_runner() {
  local name=${RUNNER_NAME:-${RUNNER_NAME_PREFIX:-runner}-$(container_id)}
  local -a args=(
    --unattended
    --url "$runner_url"
    --name "$name"
    --labels "${RUNNER_LABELS:-self-hosted,linux}"
    --runnergroup "${RUNNER_GROUP:-Default}"
    --work "${RUNNER_WORKDIR:-_work}"
    --disableupdate
    --replace
  )
  [ "$ephemeral" = false ] || args+=(--ephemeral)
  # Left from an earlier start of this container (docker restart): register anew (--replace).
  if [ -e .runner ]; then ./config.sh remove --local >/dev/null; fi
  log "registering runner $name at $runner_url (ephemeral: $ephemeral)"
  ACTIONS_RUNNER_INPUT_TOKEN=$registration_token ./config.sh "${args[@]}"
  registration_token=''
}

# Removes the registration if the runner still has one (an ephemeral runner that took its job
# has none left: GitHub removed it and the runner deleted its local settings).
deregister() {
  [ -e .runner ] || return 0
  if [ -z "$pat" ]; then
    log "warning: the runner stays registered until GitHub removes it: removing it needs a PAT" \
      "(GITHUB_TOKEN_FILE) to get a remove token"
    return 0
  fi
  local remove_token
  if ! remove_token=$(fetch_token remove) || [ -z "$remove_token" ]; then
    log "error: no remove token: the runner stays registered"
    return 1
  fi
  ACTIONS_RUNNER_INPUT_TOKEN=$remove_token ./config.sh remove || {
    log "error: config.sh remove failed: the runner stays registered"
    return 1
  }
  log "runner deregistered"
}

# as_root CMD...: runs CMD as root where this user may not (the image's user has sudo).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# With RUNNER_HOST_DIR: sets RUNNER_ROOT to this container's folder in it, made from the image's
# runner unless an earlier start of this container made it; removes the folders of containers
# that are gone (the host's engine is at hand: this mode shares it).
prepare_host_root() {
  [ -n "${RUNNER_HOST_DIR:-}" ] || return 0
  local dir=${RUNNER_HOST_DIR%/} entry id self
  [ -d "$dir" ] || fail "RUNNER_HOST_DIR=$dir is not a folder (mount it at the same path as on the host)"
  self=$(container_id)
  RUNNER_ROOT="$dir/$self"
  for entry in "$dir"/*; do
    id=${entry##*/}
    [[ $id =~ ^[0-9a-f]{12}$ && $id != "$self" ]] || continue
    if ! docker container inspect "$id" >/dev/null 2>&1 && docker version >/dev/null 2>&1; then
      log "removing $entry, the folder of a runner container that no longer exists"
      as_root rm -rf "$entry" || log "warning: could not remove $entry"
    fi
  done
  if [ ! -x "$RUNNER_ROOT/run.sh" ]; then
    log "copying the runner to $RUNNER_ROOT"
    as_root install -d -o "$(id -u)" -g "$(id -g)" "$RUNNER_ROOT" ||
      fail "could not make $RUNNER_ROOT"
    cp -a /home/runner/. "$RUNNER_ROOT/"
  fi
  export RUNNER_ROOT
}

# Removes this container's folder in RUNNER_HOST_DIR (what jobs' containers wrote there is
# root's; hence as root).
remove_host_root() {
  [ -n "${RUNNER_HOST_DIR:-}" ] || return 0
  cd /
  as_root rm -rf "$RUNNER_ROOT" || log "warning: could not remove $RUNNER_ROOT"
}

registration_mode() {
  ephemeral=${RUNNER_EPHEMERAL:-true}
  ephemeral=${ephemeral,,}
  case "$ephemeral" in
    true | false) ;;
    *) fail "RUNNER_EPHEMERAL must be true or false, not '$RUNNER_EPHEMERAL'" ;;
  esac
  parse_github_url
  read_credentials
  if [ -z "$registration_token" ]; then
    registration_token=$(fetch_token registration) && [ -n "$registration_token" ] ||
      fail "could not get a registration token with the PAT"
  fi
  wait_for_docker
  prepare_host_root
  enter_runner_root
  if [ "$ephemeral" = false ] && [ -z "${ACTIONS_RUNNER_HOOK_JOB_STARTED+set}" ]; then
    export ACTIONS_RUNNER_HOOK_JOB_STARTED=/usr/local/lib/runner-image/reclaim-work.sh
  fi

  # From here on a SIGTERM must not cut the registration short: it is noted while config.sh
  # runs, and the runner is removed right after. run.sh runs as a child so that SIGTERM reaches
  # this shell, which forwards it (run.sh stops the listener gracefully, RUNNER_MANUALLY_TRAP_SIG=1)
  # and deregisters afterwards.
  local pid='' status=0 stopping=false
  trap 'stopping=true; if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi' TERM INT
  configure_runner
  if [ "$stopping" = true ]; then
    deregister || true
    remove_host_root
    exit 0
  fi

  # Job control on while run.sh starts: without it bash starts a background job with SIGINT
  # ignored, and the SIGINT run.sh sends the listener would never arrive (off again right after,
  # so that no job notices go to the log).
  set -m
  ./run.sh &
  pid=$!
  set +m
  # A SIGTERM between the check above and here found no run.sh to pass it on to.
  if [ "$stopping" = true ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  set +e
  while :; do
    wait "$pid"
    status=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  set -e
  trap - TERM INT
  deregister || true
  remove_host_root
  exit "$status"
}
