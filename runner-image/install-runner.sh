#!/bin/bash
# Installs an actions/runner release into /home/runner at image build time, and refuses to
# install one whose SHA-256 it cannot check. Reads the Dockerfile's build arguments:
#
#   RUNNER_VERSION        X.Y.Z, or `latest` (resolved through the releases API)
#   RUNNER_SHA256_X64     expected SHA-256 of the linux-x64 tarball of RUNNER_VERSION
#   RUNNER_SHA256_ARM64   the same for linux-arm64
#   RUNNER_DOWNLOAD_URL   where tarballs are: $RUNNER_DOWNLOAD_URL/vX.Y.Z/actions-runner-linux-ARCH-X.Y.Z.tar.gz
#   RUNNER_RELEASES_API   the releases API of actions/runner ($RUNNER_RELEASES_API/latest)
#   TARGETARCH            amd64 or arm64 (BuildKit); the build machine's architecture when empty
#
# Where the expected SHA-256 comes from, in this order:
#   - RUNNER_VERSION=latest: the `digest` the releases API publishes for the asset (sha256:...);
#   - RUNNER_SHA256_X64 / RUNNER_SHA256_ARM64 when given (from the release notes);
#   - runner-checksums.txt, built into the image, for the versions listed there.
# Anything else fails the build: there is no unverified path.
set -euo pipefail

CHECKSUMS=/usr/local/share/runner-image/runner-checksums.txt

fail() {
  echo "install-runner: error: $*" >&2
  exit 1
}

arch=${TARGETARCH:-$(dpkg --print-architecture)}
case "$arch" in
  amd64) runner_arch=x64 given=${RUNNER_SHA256_X64:-} ;;
  arm64) runner_arch=arm64 given=${RUNNER_SHA256_ARM64:-} ;;
  *) fail "unsupported architecture: $arch (actions/runner ships linux-x64 and linux-arm64)" ;;
esac

is_version() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; }

version=${RUNNER_VERSION:-}
if [ "$version" = latest ]; then
  # A checksum belongs to one version; with `latest` the version is not known in advance.
  [ -z "${RUNNER_SHA256_X64:-}${RUNNER_SHA256_ARM64:-}" ] ||
    fail "RUNNER_SHA256_X64/RUNNER_SHA256_ARM64 pin a version; they do not go with RUNNER_VERSION=latest"
  api="${RUNNER_RELEASES_API%/}/latest"
  release=$(curl -fsSL --retry 3 -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' "$api") ||
    fail "could not read the latest release from $api"
  tag=$(jq -r '.tag_name // empty' <<<"$release")
  version=${tag#v}
  is_version "$version" || fail "the latest release's tag is not a runner version: '$tag'"
  asset="actions-runner-linux-${runner_arch}-${version}.tar.gz"
  digest=$(jq -r --arg name "$asset" \
    'first(.assets[]? | select(.name == $name) | .digest // empty) // empty' <<<"$release")
  [[ $digest =~ ^sha256:[0-9a-fA-F]{64}$ ]] ||
    fail "release v$version publishes no sha256 digest for $asset (digest: '${digest}')"
  sha256=${digest#sha256:}
  source="the digest the releases API publishes for it"
else
  is_version "$version" || fail "RUNNER_VERSION is neither X.Y.Z nor latest: '$version'"
  asset="actions-runner-linux-${runner_arch}-${version}.tar.gz"
  if [ -n "$given" ]; then
    sha256=$given
    source="RUNNER_SHA256_${runner_arch^^}"
  else
    sha256=$(awk -v asset="$asset" '$1 !~ /^#/ && $2 == asset { print $1 }' "$CHECKSUMS")
    [ -n "$sha256" ] ||
      fail "no SHA-256 known for $asset: pass RUNNER_SHA256_X64 and RUNNER_SHA256_ARM64" \
        "(from the release notes of v$version), or RUNNER_VERSION=latest"
    source="runner-checksums.txt"
  fi
fi
sha256=${sha256,,}
[[ $sha256 =~ ^[0-9a-f]{64}$ ]] || fail "not a SHA-256 (64 hex digits) for $asset: '$sha256'"

url="${RUNNER_DOWNLOAD_URL%/}/v${version}/${asset}"
tarball=$(mktemp)
curl -fsSL --retry 3 -o "$tarball" "$url" || fail "could not download $url"
actual=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ "$actual" != "$sha256" ]; then
  rm -f "$tarball"
  fail "SHA-256 mismatch for $asset: expected $sha256 ($source), downloaded $actual"
fi
tar -xzf "$tarball" -C /home/runner
rm -f "$tarball"
echo "install-runner: actions/runner $version ($runner_arch) installed, SHA-256 $sha256 verified against $source"

# The libraries the release needs (ICU, Kerberos, LTTng, OpenSSL, zlib), by apt (it runs
# apt-get update itself). The apt layer before this one already holds them for the base
# image's release, so this is mostly a check.
DEBIAN_FRONTEND=noninteractive /home/runner/bin/installdependencies.sh
rm -rf /var/lib/apt/lists/*
# The work folder exists in the image, owned by the runner: a fresh volume mounted there (the
# controller's, shared with the dind sidecar) takes its owner, and the runner may write to it.
mkdir -p /home/runner/_work
chown -R runner:runner /home/runner
