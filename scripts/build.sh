#!/usr/bin/env bash
# Builds the static kaniko-ecr binary.
# usage: scripts/build.sh [OUTPUT]   (default: dist/kaniko-ecr-$GOOS-$GOARCH)
# env: VERSION (default: git describe), GOOS/GOARCH (default: the host's)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
GOOS=${GOOS:-$(go env GOOS)}
GOARCH=${GOARCH:-$(go env GOARCH)}
OUT=${1:-dist/kaniko-ecr-$GOOS-$GOARCH}
mkdir -p "$(dirname "$OUT")"
CGO_ENABLED=0 GOOS=$GOOS GOARCH=$GOARCH go build -trimpath \
  -ldflags "-s -w -X main.version=$VERSION" -o "$OUT" .
echo "$OUT"
