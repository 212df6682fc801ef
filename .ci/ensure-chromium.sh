#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests; installs it if needed.
# Fails (never skips) when it cannot be had: the status-page browser test needs it.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

works() { [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; }

if works; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "chromium missing and not root: run as root or install Debian's chromium package" >&2
  exit 1
fi

echo "installing: chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if ! works; then
  echo "chromium did not install: $CHROMIUM is missing or does not run" >&2
  exit 1
fi
echo "chromium: $("$CHROMIUM" --version 2>/dev/null)"
