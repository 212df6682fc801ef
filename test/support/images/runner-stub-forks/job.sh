#!/bin/sh
# Reports how many of 300 processes it could start, and fails when it got fewer: a pids limit
# below that stops the job at the limit, not at the host's pid_max.
count=$(/forks.sh)
wget -q -O /dev/null --post-data="forks=$count" "$STUB_RUNNER_URL/report"
[ "$count" -ge 300 ]
