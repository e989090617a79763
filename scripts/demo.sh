#!/usr/bin/env bash
# The demo, end to end, on a fresh machine and with no AWS account:
# installs the Debian packages it needs, builds kaniko-ecr, starts a local
# ECR stand-in (a real docker-registry with TLS and basic auth, and the ECR
# API on loopback), builds and pushes scripts/demo/hello in the bubblewrap
# sandbox, verifies the pushed image with go-containerregistry, prints its
# digest, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BIN=$(scripts/build.sh)
WORK=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$WORK/local-ecr" ./scripts/local-ecr
"$WORK/local-ecr" -dir "$WORK/ecr" -env "$WORK/env" -repos demo/hello &
pid=$!
for _ in $(seq 1 300); do [ -s "$WORK/env" ] && break; kill -0 "$pid" || exit 1; sleep 0.1; done
[ -s "$WORK/env" ] || { echo "demo: local ECR did not start" >&2; exit 1; }
set -a; . "$WORK/env"; set +a

echo "demo: building scripts/demo/hello in the sandbox and pushing to $PLUGIN_REGISTRY/demo/hello" >&2
PLUGIN_REPO=demo/hello \
PLUGIN_TAGS=1.0.0,latest \
PLUGIN_CONTEXT=scripts/demo/hello \
PLUGIN_DOCKERFILE=scripts/demo/hello/Dockerfile \
PLUGIN_BUILD_ARGS="BASE_IMAGE=$LOCAL_ECR_BASE_IMAGE" \
PLUGIN_TARGET=app \
PLUGIN_CUSTOM_LABELS="org.opencontainers.image.source=kaniko-ecr demo" \
  scripts/sandbox.sh "$BIN" . "$LOCAL_ECR_CA_BUNDLE"

digest=$("$WORK/local-ecr" verify "$PLUGIN_REGISTRY/demo/hello:1.0.0" "$PLUGIN_REGISTRY/demo/hello:latest")
echo "demo: the registry holds $PLUGIN_REGISTRY/demo/hello:1.0.0 and :latest at"
echo "$digest"
