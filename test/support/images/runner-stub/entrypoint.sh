#!/bin/sh
# Runner stub. ACTIONS_RUNNER_INPUT_JITCONFIG holds base64 of this runner's base URL on the fake
# GitHub (…/_stub/runners/<name>). Protocol: POST $URL/acquire -> 200 "<seconds>" (a job), 204 (no
# job yet, poll again), 404/410 (unknown or deregistered: exit 0); POST $URL/complete after the job,
# with ?conclusion=failure when the image's /job.sh (if any) failed.
set -u

if [ -z "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]; then
  echo "runner-stub: ACTIONS_RUNNER_INPUT_JITCONFIG is not set" >&2
  exit 2
fi
URL=$(printf '%s' "$ACTIONS_RUNNER_INPUT_JITCONFIG" | base64 -d)
# The official runner scrubs its JIT config from the environment; so does the stub.
unset ACTIONS_RUNNER_INPUT_JITCONFIG
POLL_SECONDS=${STUB_POLL_SECONDS:-0.2}
MAX_CONNECT_FAILURES=${STUB_MAX_CONNECT_FAILURES:-25}
# An image may bring its own HTTP client with wget's options (a path: busybox prefers its applets).
WGET=${STUB_WGET:-wget}

HEADERS=/tmp/stub-headers
BODY=/tmp/stub-body

# post PATH: sets CODE to the HTTP status (000 on a connection error), body in $BODY.
post() {
  rm -f "$HEADERS" "$BODY"
  # busybox 1.35's `wget -T` segfaults (Debian build); bound the request with `timeout` instead.
  timeout 15 "$WGET" -q -S -O "$BODY" --post-data='' "$URL/$1" 2>"$HEADERS"
  CODE=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$HEADERS" | tail -n 1)
  [ -n "$CODE" ] || CODE=000
}

echo "runner-stub: listening for a job"
failures=0
while :; do
  post acquire
  case "$CODE" in
    200) break ;;
    204) failures=0 ;;
    404 | 410)
      echo "runner-stub: registration gone ($CODE), exiting"
      exit 0
      ;;
    *)
      failures=$((failures + 1))
      echo "runner-stub: acquire failed ($CODE), attempt $failures" >&2
      [ "$failures" -lt "$MAX_CONNECT_FAILURES" ] || exit 1
      ;;
  esac
  sleep "$POLL_SECONDS"
done

DURATION=$(cat "$BODY")
CONCLUSION=success
# An image built on the stub may give its jobs real work: /job.sh, run like a job's steps. It
# may tell the test what it saw: POST text to $STUB_RUNNER_URL/report.
if [ -x /job.sh ]; then
  echo "runner-stub: running /job.sh"
  STUB_RUNNER_URL="$URL" /job.sh || CONCLUSION=failure
fi
echo "runner-stub: running job for ${DURATION}s"
sleep "$DURATION"

attempt=0
while :; do
  post "complete?conclusion=$CONCLUSION"
  [ "$CODE" = 200 ] && break
  attempt=$((attempt + 1))
  echo "runner-stub: complete failed ($CODE), attempt $attempt" >&2
  [ "$attempt" -lt 10 ] || exit 1
  sleep 0.5
done
echo "runner-stub: job completed ($CONCLUSION)"
exit 0
