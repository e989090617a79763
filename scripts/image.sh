#!/usr/bin/env bash
# Builds the plugin's own image with the plugin itself, one image per
# platform, and publishes a multi-arch index over them.
#
# usage: scripts/image.sh [context|all]   (default: all)
#   context  build dist/kaniko-ecr-<os>-<arch> for every platform and stage
#            dist/image/ (the CA bundle): the build context the Dockerfile
#            wants. Touches no registry.
#   all      context, then in the sandbox (scripts/sandbox.sh) build and push
#            <registry>/<repo>:<version>-<arch> per platform with the host's
#            binary, then join them with the plugin's index mode
#            (PLUGIN_INDEX_SOURCES) as <registry>/<repo>:<version>.
# env: VERSION (default: git describe), REVISION (default: git rev-parse
#   HEAD), SOURCE (org.opencontainers.image.source; default: the Dockerfile's),
#   PLATFORMS (default "linux/amd64 linux/arm64"), CA_BUNDLE (put into the
#   image; default: the host's). For "all": PLUGIN_REGISTRY, PLUGIN_REPO
#   (default kaniko-ecr), PLUGIN_REGION and AWS_* as for a plugin run; other
#   PLUGIN_* settings pass through to the builds (the build-only ones are
#   left out of the index step).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
case $MODE in context|all) ;; *) echo "usage: $0 [context|all]" >&2; exit 2 ;; esac

export VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

for p in $PLATFORMS; do
  case $p in */*/*|*[!a-z0-9/]*|/*|*/) echo "$0: platform $p: want os/arch" >&2; exit 2 ;; esac
  GOOS=${p%%/*} GOARCH=${p#*/} scripts/build.sh >/dev/null
done
rm -rf dist/image
mkdir -p dist/image/kaniko/ssl/certs dist/image/etc/ssl/certs dist/image/workspace
cp "$CA_BUNDLE" dist/image/kaniko/ssl/certs/ca-certificates.crt
chmod 0644 dist/image/kaniko/ssl/certs/ca-certificates.crt
ln -s /kaniko/ssl/certs/ca-certificates.crt dist/image/etc/ssl/certs/ca-certificates.crt
echo "context ready: Dockerfile, dist/image, dist/kaniko-ecr-* ($VERSION)" >&2
[ "$MODE" = context ] && exit 0

: "${PLUGIN_REGISTRY:?PLUGIN_REGISTRY is required}"
export PLUGIN_REPO=${PLUGIN_REPO:-kaniko-ecr}
# Publishing makes the repository on first use.
export PLUGIN_CREATE_REPOSITORY=${PLUGIN_CREATE_REPOSITORY:-true}
HOST_BIN=dist/kaniko-ecr-$(go env GOOS)-$(go env GOARCH)
[ -x "$HOST_BIN" ] || HOST_BIN=$(GOOS='' GOARCH='' scripts/build.sh)

sources=()
for p in $PLATFORMS; do
  arch=${p#*/}
  tag="$VERSION-$arch"
  args="TARGETARCH=$arch,VERSION=$VERSION,REVISION=$REVISION"
  [ -n "${SOURCE:-}" ] && args="$args,SOURCE=$SOURCE"
  echo "building $PLUGIN_REGISTRY/$PLUGIN_REPO:$tag ($p)" >&2
  # The image puts files in /kaniko and /etc/ssl/certs, which the running
  # plugin must leave free: kaniko never snapshots its own directory, and
  # the default sandbox mounts the binary and CA bundle there. So kaniko
  # works from /kaniko-build, and PLUGIN_FORCE lets the plugin run from
  # there (the sandbox's "/" is thrown away).
  PLUGIN_DOCKERFILE=Dockerfile PLUGIN_CONTEXT=. PLUGIN_TAGS=$tag PLUGIN_PLATFORM=$p \
    PLUGIN_BUILD_ARGS=$args PLUGIN_FORCE=true SANDBOX_KANIKO_DIR=/kaniko-build \
    scripts/sandbox.sh "$HOST_BIN" . "$CA_BUNDLE"
  sources+=("$tag")
done

# Index mode builds nothing and refuses build settings: drop any the caller
# passed for the builds.
for v in DOCKERFILE CONTEXT_SUB_PATH BUILD_ARGS BUILD_ARGS_NEW BUILD_ARGS_FROM_ENV TARGET CUSTOM_LABELS \
  LABELS PLATFORM CUSTOM_PLATFORM ENABLE_CACHE CACHE_REPO NO_PUSH TAR_PATH DESTINATION_TAR_PATH PUSH_ONLY \
  SOURCE_TAR_PATH; do
  unset "PLUGIN_$v"
done
echo "joining ${sources[*]} as $PLUGIN_REGISTRY/$PLUGIN_REPO:$VERSION" >&2
PLUGIN_TAGS=$VERSION PLUGIN_INDEX_SOURCES=$(IFS=,; echo "${sources[*]}") \
  scripts/sandbox.sh "$HOST_BIN" . "$CA_BUNDLE"
