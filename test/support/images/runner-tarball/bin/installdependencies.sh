#!/bin/bash
# Stand-in for actions/runner's bin/installdependencies.sh: records the call; like the real one,
# it refuses to run without root.
set -euo pipefail
. "$(dirname "$0")/standin-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "Need to run with sudo privilege"; exit 1; }
standin_record installdependencies.sh "$@"
