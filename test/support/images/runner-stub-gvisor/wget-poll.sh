#!/bin/sh
# A wget for the runner stub under Debian's gVisor (runsc 2022 with --network=host): there a
# blocking read() of a socket fails at once with EAGAIN when the answer is not there yet, which
# busybox wget reports as "error getting response"; busybox nc polls before it reads. Only what
# the stub asks of wget: -q -S -O FILE --post-data=DATA http://HOST:PORT/PATH, the answer's
# headers on stderr as `wget -S` prints them, the body in FILE.
set -u
out=/dev/stdout
data=
method=GET
url=
while [ $# -gt 0 ]; do
  case "$1" in
    -q | -S) ;;
    -O)
      out=$2
      shift
      ;;
    --post-data=*)
      data=${1#--post-data=}
      method=POST
      ;;
    http://*) url=$1 ;;
    *)
      echo "wget (stub for gVisor): $1 is not supported" >&2
      exit 2
      ;;
  esac
  shift
done
rest=${url#http://}
hostport=${rest%%/*}
path=/${rest#*/}
[ "$rest" = "$hostport" ] && path=/
host=${hostport%:*}
port=${hostport##*:}
[ "$host" = "$hostport" ] && port=80
raw=$(mktemp)
trap 'rm -f "$raw" "$raw.done"' EXIT
# nc's input stays open until the answer is in: at its end nc shuts the socket's writing half,
# after which gVisor's host network reports the socket readable and a read fails with EAGAIN,
# which nc takes for the end of the answer.
{
  printf '%s %s HTTP/1.0\r\nHost: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "$hostport" "${#data}" "$data"
  while [ ! -e "$raw.done" ]; do sleep 0.05; done
} | {
  nc "$host" "$port" >"$raw"
  echo $? >"$raw.done"
}
[ "$(cat "$raw.done")" = 0 ] || exit 4
status=$(head -n 1 "$raw" | tr -d '\r')
case "$status" in
  HTTP/*) ;;
  *)
    echo "wget: error getting response" >&2
    exit 1
    ;;
esac
awk 'h == 0 { sub(/\r$/, ""); if ($0 == "") { h = 1; next } print "  " $0 > "/dev/stderr"; next }
  { print }' "$raw" >"$out"
case "$status" in
  "HTTP/"*" 2"*) exit 0 ;;
  *) exit 8 ;;
esac
