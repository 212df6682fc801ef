#!/bin/bash
# A job-started hook (ACTIONS_RUNNER_HOOK_JOB_STARTED, run by the runner with `bash -e` before
# each job) for long-lived runners, which registration.sh sets for them: files an earlier job's
# containers wrote as root into the work folder (a container job's checkout, `docker run -v
# $GITHUB_WORKSPACE`) become the runner user's again, so that this job's checkout can clean and
# write its workspace, as on a fresh runner. Only what is not the runner's is touched.
set -euo pipefail
work=$(dirname "${RUNNER_TEMP:?RUNNER_TEMP is not set: not run by the runner}")
uid=$(id -u)
gid=$(id -g)
[ "$uid" != 0 ] || exit 0
count=$(sudo -n find "$work" -xdev \( ! -uid "$uid" -o ! -gid "$gid" \) -print -exec chown -h "$uid:$gid" {} + | wc -l)
[ "$count" = 0 ] || echo "reclaim-work: $count files of earlier jobs in $work made $(id -un)'s again"
