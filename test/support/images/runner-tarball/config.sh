#!/bin/bash
# Stand-in for actions/runner's config.sh: records the call, checks its options the way the real
# one does (unknown options fail), and registers with or removes from the fake GitHub through its
# stub route POST {origin of --url}/_stub/runner-registration (Authorization: RemoteAuth TOKEN),
# as the real one calls {GitHub}/api/v3/actions/runner-registration. The token may come as
# --token or in ACTIONS_RUNNER_INPUT_TOKEN, which is removed from the environment, as the real
# runner does. Local settings go to .runner (JSON: agentId, agentName, gitHubUrl, ephemeral).
# STANDIN_CONFIG_SECONDS=N makes a registration take N seconds more (after it is made).
set -euo pipefail
cd "$(dirname "$0")"
. bin/standin-lib.sh
standin_record config.sh "$@"
token=${ACTIONS_RUNNER_INPUT_TOKEN:-}
unset ACTIONS_RUNNER_INPUT_TOKEN

registration() { # body-json token -> prints the answer; fails on a non-2xx status
  local origin answer status
  origin=$(jq -r .url <<<"$1" | sed -E 's#^(https?://[^/]+).*#\1#')
  answer=$(mktemp)
  status=$(curl -sS -o "$answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H @- --data-binary "$1" "$origin/_stub/runner-registration" <<<"Authorization: RemoteAuth $2")
  if [[ $status != 2* ]]; then
    echo "standin: runner-registration answered $status: $(cat "$answer")" >&2
    rm -f "$answer"
    exit 1
  fi
  cat "$answer"
  rm -f "$answer"
}

if [ "${1:-}" = remove ]; then
  shift
  local_only=false
  while [ $# -gt 0 ]; do
    case "$1" in
      --local) local_only=true ;;
      --token) token=$2; shift ;;
      *) standin_fail "unrecognized command-line input arguments for remove: '$1'" ;;
    esac
    shift
  done
  [ -f .runner ] || { echo "Cannot connect to server, because config files are missing."; exit 0; }
  if [ "$local_only" = false ]; then
    [ -n "$token" ] || standin_fail "remove needs --token"
    body=$(jq -c '{url: .gitHubUrl, runner_event: "remove", runner_id: .agentId}' .runner)
    registration "$body" "$token" >/dev/null
    echo "Runner removed successfully"
  fi
  rm -f .runner .credentials
  exit 0
fi

declare -A opt=()
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --url | --token | --name | --labels | --runnergroup | --work) opt[${1#--}]=$2; shift ;;
    --unattended | --ephemeral | --disableupdate | --replace) flags+=("${1#--}") ;;
    *) standin_fail "unrecognized command-line input arguments: '$1'" ;;
  esac
  shift
done
[ -n "${opt[token]:-}" ] && token=${opt[token]}
has() { [[ " ${flags[*]} " == *" $1 "* ]]; }
has unattended || standin_fail "only --unattended configuration is stood in"
[ -n "${opt[url]:-}" ] && [ -n "$token" ] || standin_fail "--url and a token are required"
if [ -f .runner ]; then
  echo "Cannot configure the runner because it is already configured."
  exit 1
fi
case "$(uname -m)" in aarch64) arch=ARM64 ;; *) arch=X64 ;; esac
body=$(jq -cn --arg url "${opt[url]}" --arg name "${opt[name]:-$(hostname)}" \
  --arg labels "${opt[labels]:-}" --arg group "${opt[runnergroup]:-Default}" --arg arch "$arch" \
  --argjson ephemeral "$(has ephemeral && echo true || echo false)" \
  --argjson replace "$(has replace && echo true || echo false)" \
  '{url: $url, runner_event: "register", name: $name, runner_group: $group,
    ephemeral: $ephemeral, replace: $replace,
    labels: (["self-hosted", "Linux", $arch] + ($labels | split(",") | map(select(. != "")))
      | reduce .[] as $l ([]; if any(.[]; ascii_downcase == ($l | ascii_downcase)) then . else . + [$l] end))}')
answer=$(registration "$body" "$token")
jq -c --arg url "${opt[url]}" --argjson ephemeral "$(has ephemeral && echo true || echo false)" \
  '{agentId: .id, agentName: .name, gitHubUrl: $url, ephemeral: $ephemeral}' <<<"$answer" >.runner
[ -z "${STANDIN_CONFIG_SECONDS:-}" ] || sleep "$STANDIN_CONFIG_SECONDS"
echo "Runner successfully added"
