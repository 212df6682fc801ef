# Shared by the stand-in's scripts (test/support/images/runner-tarball): every call is recorded as one
# JSON line {cmd, args, env, uid, cwd} in $STANDIN_RECORDS/calls.jsonl (default
# /tmp/standin-UID), for tests to assert on. Not the real runner: see test/support/README.md.

standin_record() {
  local dir=${STANDIN_RECORDS:-/tmp/standin-$(id -u)}
  mkdir -p "$dir"
  # jq 1.6 takes an argument like --url for its own option even after --args: go through base64.
  local args arg
  args=$(for arg in "${@:2}"; do printf '%s' "$arg" | base64 -w0; echo; done |
    jq -Rsc 'split("\n")[:-1] | map(@base64d)')
  jq -cn --arg cmd "$1" --arg uid "$(id -u)" --arg cwd "$PWD" --argjson args "$args" \
    '{cmd: $cmd, args: $args, env: $ENV, uid: ($uid | tonumber), cwd: $cwd}' >>"$dir/calls.jsonl"
}

standin_fail() {
  echo "standin: $*" >&2
  exit 1
}
