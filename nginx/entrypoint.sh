#!/bin/sh
# Renders /etc/nginx/nginx.conf from the template, makes sure a certificate is there, then runs
# the command (nginx in the foreground by default).
#
# Environment:
#   WEBHOOK_DOMAIN            public host name of the webhook endpoint (required)
#   CONTROLLER_UPSTREAM       host:port of the controller (default controller:8080)
#   WEBHOOK_BODY_LIMIT_BYTES  largest accepted delivery, as the controller's (default 1048576)
#   NGINX_RESOLVER            DNS server for the controller's name (default: /etc/resolv.conf's)
# Certificates: /etc/nginx/certs/fullchain.pem and privkey.pem (e.g. certbot's live/<domain>
# directory mounted read-only). When neither is there, a self-signed certificate is made.
set -eu

TEMPLATE=/etc/nginx/templates/autoscaler.conf.template
CONFIG=/etc/nginx/nginx.conf
CERT_DIR=/etc/nginx/certs
SELF_SIGNED_DIR=/etc/nginx/self-signed

log() { echo "autoscaler-nginx: $*" >&2; }
fail() {
  log "error: $*"
  exit 1
}

# Every value ends up in nginx.conf: accept only characters that cannot change its structure.
only() {
  # only NAME VALUE GLOB-OF-FORBIDDEN-CHARACTERS
  case "$2" in
    '' | *[!$3]*) fail "$1 has an invalid value: '$2'" ;;
  esac
}

WEBHOOK_DOMAIN=${WEBHOOK_DOMAIN:-}
[ -n "$WEBHOOK_DOMAIN" ] || fail "WEBHOOK_DOMAIN is not set (the public host name, e.g. ci.example.com)"
only WEBHOOK_DOMAIN "$WEBHOOK_DOMAIN" 'A-Za-z0-9.-'
CONTROLLER_UPSTREAM=${CONTROLLER_UPSTREAM:-controller:8080}
only CONTROLLER_UPSTREAM "$CONTROLLER_UPSTREAM" 'A-Za-z0-9.:_-'
WEBHOOK_BODY_LIMIT_BYTES=${WEBHOOK_BODY_LIMIT_BYTES:-1048576}
only WEBHOOK_BODY_LIMIT_BYTES "$WEBHOOK_BODY_LIMIT_BYTES" '0-9'

RESOLVER=${NGINX_RESOLVER:-$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)}
RESOLVER=${RESOLVER:-127.0.0.11}
case "$RESOLVER" in
  *:*:*) RESOLVER="[$RESOLVER]" ;; # a bare IPv6 address
esac
only NGINX_RESOLVER "$RESOLVER" 'A-Za-z0-9.:[]_-'

if [ -s "$CERT_DIR/fullchain.pem" ] && [ -s "$CERT_DIR/privkey.pem" ]; then
  SSL_CERTIFICATE=$CERT_DIR/fullchain.pem
  SSL_CERTIFICATE_KEY=$CERT_DIR/privkey.pem
  log "using the certificate in $CERT_DIR"
elif [ -e "$CERT_DIR/fullchain.pem" ] || [ -e "$CERT_DIR/privkey.pem" ]; then
  fail "$CERT_DIR must hold both fullchain.pem and privkey.pem (non-empty), or neither"
else
  SSL_CERTIFICATE=$SELF_SIGNED_DIR/fullchain.pem
  SSL_CERTIFICATE_KEY=$SELF_SIGNED_DIR/privkey.pem
  log "WARNING: no certificate in $CERT_DIR (fullchain.pem, privkey.pem); using a self-signed one" \
    "for $WEBHOOK_DOMAIN. GitHub refuses it unless the webhook's SSL verification is disabled;" \
    "mount a real certificate for production."
  subject=$(openssl x509 -in "$SSL_CERTIFICATE" -noout -subject -nameopt RFC2253 2>/dev/null || true)
  if [ "$subject" != "subject=CN=$WEBHOOK_DOMAIN" ] ||
    ! openssl x509 -in "$SSL_CERTIFICATE" -noout -checkend 86400 >/dev/null 2>&1; then
    mkdir -p "$SELF_SIGNED_DIR"
    (
      umask 077
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
        -subj "/CN=$WEBHOOK_DOMAIN" -addext "subjectAltName=DNS:$WEBHOOK_DOMAIN" \
        -keyout "$SSL_CERTIFICATE_KEY" -out "$SSL_CERTIFICATE" 2>/dev/null
    ) || fail "openssl could not make a self-signed certificate"
  fi
fi

sed -e "s|\${WEBHOOK_DOMAIN}|$WEBHOOK_DOMAIN|g" \
  -e "s|\${CONTROLLER_UPSTREAM}|$CONTROLLER_UPSTREAM|g" \
  -e "s|\${WEBHOOK_BODY_LIMIT_BYTES}|$WEBHOOK_BODY_LIMIT_BYTES|g" \
  -e "s|\${RESOLVER}|$RESOLVER|g" \
  -e "s|\${SSL_CERTIFICATE}|$SSL_CERTIFICATE|g" \
  -e "s|\${SSL_CERTIFICATE_KEY}|$SSL_CERTIFICATE_KEY|g" \
  "$TEMPLATE" >"$CONFIG"
# shellcheck disable=SC2016 # a literal ${NAME} is what is looked for
if grep -n '\${[A-Z_]*}' "$CONFIG" >&2; then
  fail "unreplaced placeholders in $CONFIG"
fi

exec "$@"
