#!/usr/bin/env bash
# Makes sure Prometheus's promtool is on PATH for the alert-rule tests (observability/); installs
# Debian's prometheus package, which carries it, if needed. The package's server is never
# started: while it installs, a policy-rc.d refuses every service start (as Docker's Debian
# images have), unless the machine has one already. Fails (never skips) when promtool cannot
# be had: test/unit/alert-rules.test.ts needs it.
set -euo pipefail

works() { command -v promtool >/dev/null 2>&1 && promtool --version >/dev/null 2>&1; }

if works; then
  echo "promtool: already installed ($(promtool --version 2>&1 | head -n 1))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "promtool missing and not root: run as root or install Debian's prometheus package" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# ensure-promtool.sh: no service starts while prometheus installs\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=true
fi
cleanup() { if [ "$own_policy" = true ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "installing: prometheus (for promtool; the server is not started)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null

if ! works; then
  echo "prometheus installed but promtool does not run" >&2
  exit 1
fi
echo "promtool: $(promtool --version 2>&1 | head -n 1)"
