#!/bin/bash
# standin-worker.sh URL: the stand-in's Runner.Worker. Takes one job through the fake GitHub's
# runner protocol at URL (…/_stub/runners/<name>: POST acquire, GET job, POST report, POST
# complete; test/support/README.md) and runs its workflow the way actions/runner drives the
# job's Docker engine, from its own sources (src/Runner.Worker/ContainerOperationProvider.cs,
# Container/ContainerInfo.cs, Container/DockerCommandManager.cs, Handlers/ContainerActionHandler.cs,
# FileCommandManager.cs):
#   - the job's folders under the work folder: the workspace _work/<repo>/<repo>, _temp (with
#     _github_home, _github_workflow, _runner_file_commands), _actions, _tool, made by the
#     runner's user;
#   - container jobs and services: refused when /proc/1/cgroup names a /docker/ cgroup (as the
#     runner does inside a container), stale containers and networks of this runner removed, a
#     network github_network_<guid>, each image pulled (3 tries), `docker create` with the same
#     options and bind mounts, `docker start`, the service ports read with `docker port`;
#   - JavaScript actions run with the node of externals/ (in a container job: `docker exec` of
#     /__e/node20/bin/node); `run:` steps written to a script in _temp and run with bash on the
#     runner or `sh -e` through `docker exec` in the job container;
#   - Docker actions (`uses: docker://IMAGE`): pulled, then `docker run --rm` with the workspace
#     as /github/workspace, the file commands as /github/file_commands, home, workflow,
#     runner_temp and the socket;
#   - each step gets GITHUB_OUTPUT and GITHUB_ENV files, read back after it (outputs, env);
#   - at the end the job's containers and network are removed.
#
# The workflow (the job's `workflow`, JSON): {container?: {image, options?, env?},
# services?: {ALIAS: {image, ports?: [PORT], options?, env?}}, steps: [{id?, uses?, run?, args?}]}.
# `uses: actions/checkout@…` stands for the checkout: it writes README.md (with the job id) and a
# Dockerfile into the workspace. In `run:` the expressions ${{ job.services.ALIAS.ports['PORT'] }},
# ${{ job.container.network }} and ${{ steps.ID.outputs.NAME }} are replaced.
# Each step's account goes to the test as one report: {"step", "exit", "output", "outputs"}.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bin/standin-lib.sh
URL=$1
# The real runner long-polls the service for its next message; so does the stand-in (?wait=).
LONG_POLL_SECONDS=${STANDIN_LONG_POLL_SECONDS:-20}

log() { echo "standin-worker: $*" >&2; }

# --- the runner's side of the protocol ---------------------------------------------------------
acquire() {
  local failures=0 code
  while :; do
    code=$(curl -s -o "$ACQUIRED" -w '%{http_code}' --max-time $((LONG_POLL_SECONDS + 10)) \
      -X POST "$URL/acquire?wait=$LONG_POLL_SECONDS") || code=000
    case "$code" in
      200) return 0 ;;
      204) failures=0 ;;
      404 | 410)
        log "registration gone ($code)"
        exit 0
        ;;
      *)
        failures=$((failures + 1))
        [ "$failures" -lt 25 ] || { log "acquire failed $failures times ($code)"; exit 1; }
        sleep 0.5
        ;;
    esac
  done
}

report() { # JSON; sent in the background of this shell (complete waits for it)
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$1" \
    "$URL/report" &
}

complete() {
  local attempt
  wait # for the reports
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/complete?conclusion=$1")" = 200 ] &&
      return 0
    sleep 0.5
  done
  log "complete failed"
  return 1
}

# --- the job's folders (HostContext.GetDirectory) ---------------------------------------------
WORK="$ROOT/_work"
TEMP="$WORK/_temp"
ACTIONS="$WORK/_actions"
TOOLS="$WORK/_tool"
EXTERNALS="$ROOT/externals"
HOME_DIR="$TEMP/_github_home"
WORKFLOW_DIR="$TEMP/_github_workflow"
FILE_COMMANDS="$TEMP/_runner_file_commands"
NODE="$EXTERNALS/node20/bin/node"
# DockerCommandManager.DockerInstanceLabel: the first 6 hex digits of the SHA-256 of .runner.
LABEL=$(printf '%s' "$URL" | sha256sum | cut -c1-6)
ACQUIRED=$(mktemp)

# Milliseconds since STEP_STARTED (each step's report says how long it took).
elapsed_ms() { echo $(((${EPOCHREALTIME/./} - STEP_STARTED) / 1000)); }

guid() { # prints a uuid's 32 hex digits (no process started: it is on every step's path)
  local uuid
  read -r uuid </proc/sys/kernel/random/uuid
  printf '%s' "${uuid//-/}"
}

# ContainerInfo.TranslateToContainerPath: the first mapping that holds the path (home and
# workflow were inserted first).
to_container() {
  local path=$1 host container
  for pair in "$HOME_DIR=/github/home" "$WORKFLOW_DIR=/github/workflow" "$WORK=/__w" \
    "$TOOLS=/__t" "$EXTERNALS=/__e"; do
    host=${pair%%=*}
    container=${pair#*=}
    if [ "$path" = "$host" ]; then echo "$container"; return; fi
    case "$path" in "$host"/*) echo "$container${path#"$host"}"; return ;; esac
  done
  echo "$path"
}

docker_pull() { # ContainerOperationProvider: up to 3 tries
  local try
  for try in 1 2 3; do
    docker pull "$1" >&2 && return 0
    [ "$try" -lt 3 ] && sleep 1
  done
  return 1
}

# --- containers (ContainerOperationProvider.StartContainersAsync) -------------------------------
NETWORK=''
JOB_CONTAINER=''
CONTAINERS=()
declare -A SERVICE_PORTS=()

assert_compatible_os() {
  if grep -qi ':/docker/' /proc/1/cgroup; then
    echo "Container feature is not supported when runner is already running inside container."
    return 1
  fi
}

# create_container NAME IMAGE ALIAS(empty for the job container) -> prints the id
create_container() {
  local spec=$1 alias=$2 image options display
  image=$(jq -r .image <<<"$spec")
  options=$(jq -r '.options // empty' <<<"$spec")
  display="${alias:-job}_$(tr -c 'a-zA-Z0-9_.-' '_' <<<"$image" | cut -c1-40)_$(guid | cut -c1-6)"
  docker_pull "$image" || { log "Docker pull failed for $image"; return 1; }
  local -a args=(create --name "$display" --label "$LABEL" --network "$NETWORK")
  if [ -z "$alias" ]; then
    args+=(--workdir "$(to_container "$WORKSPACE")")
  else
    args+=(--network-alias "$alias")
    local port
    while read -r port; do [ -n "$port" ] && args+=(-p "$port"); done < <(jq -r '.ports // [] | .[]' <<<"$spec")
  fi
  # shellcheck disable=SC2206 # options are split as the runner's command line splits them
  [ -n "$options" ] && args+=($options)
  local env
  while read -r env; do [ -n "$env" ] && args+=(-e "$env"); done < <(jq -r '.env // {} | to_entries[] | "\(.key)=\(.value)"' <<<"$spec")
  if [ -z "$alias" ]; then args+=(-e "HOME=/github/home"); fi
  args+=(-e GITHUB_ACTIONS=true -e CI=true)
  if [ -z "$alias" ]; then
    # ContainerInfo (job container): the socket; MountWellKnownDirectories: the rest.
    args+=(-v "/var/run/docker.sock":"/var/run/docker.sock"
      -v "$WORK":"/__w" -v "$EXTERNALS":"/__e":ro -v "$TEMP":"/__w/_temp"
      -v "$ACTIONS":"/__w/_actions" -v "$TOOLS":"/__w/_tool"
      -v "$HOME_DIR":"/github/home" -v "$WORKFLOW_DIR":"/github/workflow"
      --entrypoint "tail" "$image" -f /dev/null)
  else
    args+=("$image")
  fi
  local id
  id=$(docker "${args[@]}") || return 1
  CONTAINERS+=("$id")
  docker start "$id" >/dev/null || { log "Docker start failed for $display"; return 1; }
  [ -n "$(docker ps --all --filter "id=$id" --filter status=running --no-trunc --format '{{.ID}}')" ] ||
    { log "Docker container $id is not in running state"; docker logs "$id" >&2; }
  if [ -n "$alias" ]; then
    local line container_port host_port
    while read -r line; do
      # "8080/tcp -> 0.0.0.0:49153" (and "[::]:49153")
      container_port=${line%%/*}
      host_port=${line##*:}
      [ -n "${SERVICE_PORTS[$alias.$container_port]:-}" ] || SERVICE_PORTS[$alias.$container_port]=$host_port
    done < <(docker port "$id")
  else
    JOB_CONTAINER=$id
  fi
}

start_containers() {
  [[ $WORKFLOW == *'"container"'* || $WORKFLOW == *'"services"'* ]] || return 0
  jq -e '.container != null or ((.services // {}) | length > 0)' <<<"$WORKFLOW" >/dev/null || return 0
  assert_compatible_os || return 1
  local stale
  for stale in $(docker ps --all --quiet --no-trunc --filter "label=$LABEL"); do docker rm --force "$stale" >/dev/null; done
  docker network prune --force --filter "label=$LABEL" >/dev/null
  NETWORK="github_network_$(guid)"
  docker network create --label "$LABEL" "$NETWORK" >/dev/null || return 1
  if jq -e '.container != null' <<<"$WORKFLOW" >/dev/null; then
    create_container "$(jq -c .container <<<"$WORKFLOW")" '' || return 1
  fi
  local alias
  while read -r alias; do
    [ -n "$alias" ] || continue
    create_container "$(jq -c --arg a "$alias" '.services[$a]' <<<"$WORKFLOW")" "$alias" || return 1
  done < <(jq -r '.services // {} | keys[]' <<<"$WORKFLOW")
  services_healthy
}

# ContainerOperationProvider.RunContainersHealthcheck: each service with a health check is waited
# for while it is `starting` (backoff growing from 2 s), and the job fails if one is unhealthy.
services_healthy() {
  local id status wait
  for id in "${CONTAINERS[@]}"; do
    [ "$id" != "$JOB_CONTAINER" ] || continue
    wait=1
    while :; do
      status=$(docker inspect --format='{{if .Config.Healthcheck}}{{print .State.Health.Status}}{{end}}' "$id")
      [ "$status" = starting ] || break
      echo "service $id is starting, waiting $wait seconds before checking again"
      sleep "$wait"
      wait=$((wait * 2 > 8 ? 8 : wait * 2))
    done
    case "$status" in
      '' | healthy) echo "service $id is ${status:-up (no health check)}" ;;
      *)
        echo "Failed to initialize, service $id is $status"
        return 1
        ;;
    esac
  done
}

stop_containers() {
  local id
  for id in "${CONTAINERS[@]}"; do docker rm --force "$id" >/dev/null 2>&1; done
  [ -z "$NETWORK" ] || docker network rm "$NETWORK" >/dev/null 2>&1
}

# --- steps --------------------------------------------------------------------------------------
declare -A OUTPUTS=()

expand() { # the expressions the stand-in knows, in a run: script
  local text=$1 key
  for key in "${!SERVICE_PORTS[@]}"; do
    text=${text//"\${{ job.services.${key%%.*}.ports['${key#*.}'] }}"/${SERVICE_PORTS[$key]}}
  done
  for key in "${!OUTPUTS[@]}"; do
    text=${text//"\${{ steps.${key%%.*}.outputs.${key#*.} }}"/${OUTPUTS[$key]}}
  done
  text=${text//"\${{ job.container.network }}"/$NETWORK}
  printf '%s' "$text"
}

# The checkout action's code, as the runner would download it to _actions. Like the real one it
# fetches from GitHub over the network (here the job's description from the fake), so a job
# container that cannot reach out fails as a real checkout would.
install_checkout() {
  local dir="$ACTIONS/actions/checkout/v4/dist"
  mkdir -p "$dir"
  cat >"$dir/index.js" <<'SCRIPT'
set -e
fetch() { if command -v wget >/dev/null; then wget -qO- "$1"; else curl -fsS "$1"; fi; }
answer=$(fetch "$STANDIN_JOB_URL") || { echo "checkout: GitHub ($STANDIN_JOB_URL) cannot be reached"; exit 1; }
case "$answer" in *"\"id\":$STANDIN_JOB_ID,"*) ;; *) echo "checkout: GitHub answered $answer"; exit 1 ;; esac
cd "$GITHUB_WORKSPACE"
printf 'checkout of %s for job %s\n' "$GITHUB_REPOSITORY" "$STANDIN_JOB_ID" >README.md
printf 'FROM scratch\nCOPY README.md /\n' >Dockerfile
echo "checked out into $GITHUB_WORKSPACE as $(id -u)"
SCRIPT
}

# run_step STEP USES RUN: runs one step (its account on stdout and stderr); its outputs in
# STEP_OUTPUTS.
run_step() {
  local step=$1 uses=$2 run=$3 id output_file env_file
  id=$(guid)
  output_file="$FILE_COMMANDS/set_output_$id"
  env_file="$FILE_COMMANDS/set_env_$id"
  : >"$output_file"
  : >"$env_file"
  local -a env=(GITHUB_ACTIONS=true CI=true "GITHUB_REPOSITORY=$REPOSITORY" "STANDIN_JOB_ID=$JOB_ID"
    "STANDIN_JOB_URL=$URL/job"
    "RUNNER_TEMP=$TEMP" "GITHUB_WORKSPACE=$WORKSPACE" "GITHUB_OUTPUT=$output_file" "GITHUB_ENV=$env_file")
  local status
  # In a container job the runner translates every path it hands over.
  local -a cenv=(GITHUB_ACTIONS=true CI=true "GITHUB_REPOSITORY=$REPOSITORY" "STANDIN_JOB_ID=$JOB_ID"
    "STANDIN_JOB_URL=$URL/job"
    "RUNNER_TEMP=$(to_container "$TEMP")" "GITHUB_WORKSPACE=$(to_container "$WORKSPACE")"
    "GITHUB_OUTPUT=$(to_container "$output_file")" "GITHUB_ENV=$(to_container "$env_file")"
    HOME=/github/home)
  local -a exec_env=()
  local pair
  for pair in "${cenv[@]}"; do exec_env+=(-e "$pair"); done
  case "$uses" in
    actions/checkout@*)
      install_checkout
      if [ -n "$JOB_CONTAINER" ]; then
        docker exec -i --workdir "$(to_container "$WORKSPACE")" "${exec_env[@]}" "$JOB_CONTAINER" \
          "$(to_container "$NODE")" "$(to_container "$ACTIONS/actions/checkout/v4/dist/index.js")"
      else
        (cd "$WORKSPACE" && env "${env[@]}" "$NODE" "$ACTIONS/actions/checkout/v4/dist/index.js")
      fi
      status=$?
      ;;
    docker://*)
      local image=${uses#docker://} display
      display="$(tr -c 'a-zA-Z0-9_.-' '_' <<<"$image" | cut -c1-40)_$(guid | cut -c1-6)"
      if docker_pull "$image"; then
        local -a args=(run --name "$display" --label "$LABEL" --workdir /github/workspace --rm
          -e GITHUB_ACTIONS=true -e CI=true -e "GITHUB_REPOSITORY=$REPOSITORY" -e "STANDIN_JOB_ID=$JOB_ID"
          -e HOME=/github/home -e GITHUB_WORKSPACE=/github/workspace -e RUNNER_TEMP=/github/runner_temp
          -e "GITHUB_OUTPUT=/github/file_commands/set_output_$id" -e "GITHUB_ENV=/github/file_commands/set_env_$id")
        [ -z "$NETWORK" ] || args+=(--network "$NETWORK")
        args+=(-v "/var/run/docker.sock":"/var/run/docker.sock" -v "$TEMP":"/github/runner_temp"
          -v "$HOME_DIR":"/github/home" -v "$WORKFLOW_DIR":"/github/workflow"
          -v "$FILE_COMMANDS":"/github/file_commands" -v "$WORKSPACE":"/github/workspace" "$image")
        local arg
        while read -r arg; do args+=("$arg"); done < <(jq -r '.args // [] | .[]' <<<"$step")
        docker "${args[@]}"
        status=$?
      else
        echo "Docker pull failed for $image"
        status=1
      fi
      ;;
    '')
      local script="$TEMP/$id.sh"
      expand "$run" >"$script"
      if [ -n "$JOB_CONTAINER" ]; then
        docker exec -i --workdir "$(to_container "$WORKSPACE")" "${exec_env[@]}" "$JOB_CONTAINER" \
          sh -e "$(to_container "$script")"
      else
        (cd "$WORKSPACE" && env "${env[@]}" bash --noprofile --norc -e -o pipefail "$script")
      fi
      status=$?
      ;;
    *)
      echo "the stand-in cannot run $uses"
      status=1
      ;;
  esac
  # FileCommandManager: key=value lines of GITHUB_OUTPUT become the step's outputs.
  STEP_OUTPUTS=$(jq -Rn '[inputs | select(test("=")) | {(sub("=.*";"")): sub("^[^=]*=";"")}] | add // {}' <"$output_file")
  return "$status"
}

# --- the job ------------------------------------------------------------------------------------
run_job() {
  NETWORK=''
  JOB_CONTAINER=''
  CONTAINERS=()
  SERVICE_PORTS=()
  OUTPUTS=()
  # The long poll's answer is the job (as the real runner's message holds it); else ask for it.
  local job
  job=$(<"$ACQUIRED")
  [[ $job == '{'* ]] || job=$(curl -sf "$URL/job") ||
    { log "no job description"; complete failure; return 1; }
  { read -r JOB_ID; read -r REPOSITORY; read -r WORKFLOW; } < <(jq -r \
    '.id, .repository, (.workflow // {steps: []} | tojson)' <<<"$job")
  WORKSPACE="$WORK/${REPOSITORY#*/}/${REPOSITORY#*/}"
  mkdir -p "$WORKSPACE" "$TEMP" "$ACTIONS" "$TOOLS" "$HOME_DIR" "$WORKFLOW_DIR" "$FILE_COMMANDS"
  log "running job $JOB_ID of $REPOSITORY in $WORKSPACE"

  local conclusion=success out status index=0 step name step_id uses run key value
  out="$TEMP/.standin-step-output"
  # Step 0 is the job's set-up: the job-started hook (JobExtension: "Set up runner", `bash -e`
  # with the job's environment, on the runner), then its containers
  # (ContainerOperationProvider.StartContainersAsync).
  status=0
  STEP_STARTED=${EPOCHREALTIME/./}
  if [ -n "${ACTIONS_RUNNER_HOOK_JOB_STARTED:-}" ]; then
    (cd "$WORK" && env GITHUB_ACTIONS=true CI=true "GITHUB_REPOSITORY=$REPOSITORY" \
      "GITHUB_WORKSPACE=$WORKSPACE" "RUNNER_WORKSPACE=${WORKSPACE%/*}" "RUNNER_TEMP=$TEMP" \
      bash -e "$ACTIONS_RUNNER_HOOK_JOB_STARTED") >"$out" 2>&1 </dev/null
    status=$?
  fi
  if [ "$status" = 0 ]; then
    start_containers >>"$out" 2>&1 </dev/null
    status=$?
  fi
  report "$(jq -n --arg output "$(<"$out")" --argjson exit "$status" --argjson ms "$(elapsed_ms)" \
    '{step: 0, name: "Initialize containers", exit: $exit, ms: $ms, output: $output, outputs: {}}')"
  if [ "$status" != 0 ]; then
    conclusion=failure
  else
    # One line a step: id, uses, and in base64 its run script, its name and the step itself.
    # (Fields split on \x1f: a tab is white space to `read`, and empty fields would merge.)
    while IFS=$'\x1f' read -r step_id uses run name step; do
      index=$((index + 1))
      run=$(base64 -d <<<"$run")
      name=$(base64 -d <<<"$name")
      step=$(base64 -d <<<"$step")
      STEP_OUTPUTS='{}'
      STEP_STARTED=${EPOCHREALTIME/./}
      run_step "$step" "$uses" "$run" >"$out" 2>&1 </dev/null
      status=$?
      if [ -n "$step_id" ]; then
        while IFS=$'\t' read -r key value; do
          [ -n "$key" ] && OUTPUTS[$step_id.$key]=$value
        done < <(jq -r 'to_entries[] | [.key, .value] | @tsv' <<<"$STEP_OUTPUTS")
      fi
      report "$(jq -n --arg name "$name" --arg output "$(<"$out")" --argjson exit "$status" \
        --argjson outputs "$STEP_OUTPUTS" --argjson step "$index" --argjson ms "$(elapsed_ms)" \
        '{step: $step, name: $name, exit: $exit, ms: $ms, output: $output, outputs: $outputs}')"
      if [ "$status" != 0 ]; then
        conclusion=failure
        break
      fi
    done < <(jq -r '.steps[] | [.id // "", .uses // "", (.run // "" | @base64),
      ((.name // .uses // .run) | split("\n")[0] | @base64), (tojson | @base64)] | join("\u001f")' \
      <<<"$WORKFLOW")
  fi
  stop_containers
  rm -f "$out" "$TEMP"/*.sh
  log "job $JOB_ID: $conclusion"
  complete "$conclusion"
}

trap 'standin_record listener:signal INT; log "stopping"; stop_containers; exit 0' INT TERM
# A long-lived runner (registered with `--ephemeral` left out) takes job after job.
long_lived=false
if [ -f .runner ] && [ "$(jq -r .ephemeral .runner)" = false ]; then long_lived=true; fi
while :; do
  acquire
  run_job
  [ "$long_lived" = true ] || break
done
# An ephemeral runner deletes its settings after its job, as the real one does.
rm -f .runner .credentials
exit 0
