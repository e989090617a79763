#!/usr/bin/env bash
# Prints a directory holding buildkitd and buildctl built at go.mod's
# buildkit version (a throwaway module in a temp dir; never committed),
# building them the first time (a few minutes) into
# ${XDG_CACHE_HOME:-~/.cache}/kaniko-ecr-buildkit/<buildkit>-<go>. The cache
# matrix test against BuildKit (plugin/integration, TestCacheMatrixMatches-
# BuildKitsOwnCache) runs buildkitd from it when KANIKO_ECR_BUILDKIT_BIN
# names it; buildkitd also needs runc (Debian's runc) and root.
#
# usage: scripts/buildkit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(go list -m -f '{{.Version}}' github.com/moby/buildkit)
DIR=${XDG_CACHE_HOME:-$HOME/.cache}/kaniko-ecr-buildkit/$VERSION-$(go env GOVERSION)
if [ ! -x "$DIR/buildkitd" ] || [ ! -x "$DIR/buildctl" ]; then
  echo "buildkit.sh: building buildkitd and buildctl $VERSION (a few minutes, cached in $DIR)" >&2
  mod=$(mktemp -d "${TMPDIR:-/tmp}/kaniko-ecr-buildkit.XXXXXX")
  trap 'rm -rf "$mod"' EXIT
  mkdir -p "$DIR"
  (cd "$mod" && go mod init kaniko-ecr-buildkit >/dev/null 2>&1 &&
    go get "github.com/moby/buildkit/cmd/buildkitd@$VERSION" "github.com/moby/buildkit/cmd/buildctl@$VERSION" >&2 &&
    CGO_ENABLED=0 go build -trimpath -tags "osusergo netgo static_build seccomp" -o "$mod/bin/" \
      github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl >&2)
  mv "$mod/bin/buildkitd" "$mod/bin/buildctl" "$DIR/"
fi
echo "$DIR"
