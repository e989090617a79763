#!/usr/bin/env bash
# Prints the path of kaniko's executor built from go.mod's kaniko version with
# go.mod's versions of every shared dependency (a throwaway module in a temp
# dir; never committed), building it the first time (a few minutes) into
# ${XDG_CACHE_HOME:-~/.cache}/kaniko-ecr-bench/executor-<kaniko>-<go>-<key>,
# where key is a hash of go.mod and go.sum. Used by scripts/bench.sh and
# scripts/bench-features.sh.
#
# usage: scripts/executor.sh
# env: BENCH_EXECUTOR  a binary to use instead (its path is printed)
#      EXECUTOR_ANY_KEY=1  when none matches the key, reuse the newest one
#                          cached for the same kaniko and go versions
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_EXECUTOR:-}" ]; then
  realpath "$BENCH_EXECUTOR"
  exit 0
fi
KANIKO_VERSION=$(go list -m -f '{{.Version}}' github.com/chainguard-dev/kaniko)
GOVERSION=$(go env GOVERSION)
key=$(cat go.mod go.sum | sha256sum | cut -c1-12)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/kaniko-ecr-bench
BIN=$CACHE/executor-$KANIKO_VERSION-$GOVERSION-$key
if [ ! -x "$BIN" ] && [ "${EXECUTOR_ANY_KEY:-0}" = 1 ]; then
  newest=$(ls -t "$CACHE/executor-$KANIKO_VERSION-$GOVERSION-"* 2>/dev/null | grep -v '\.tmp$' | head -n 1 || true)
  [ -n "$newest" ] && [ -x "$newest" ] && BIN=$newest
fi
if [ ! -x "$BIN" ]; then
  echo "executor.sh: building kaniko's executor $KANIKO_VERSION (a few minutes, cached in $CACHE)" >&2
  mod=$(mktemp -d "${TMPDIR:-/tmp}/kaniko-executor-module.XXXXXX")
  trap 'rm -rf "$mod"' EXIT
  mkdir -p "$CACHE"
  cp go.mod go.sum "$mod/"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/chainguard-dev/kaniko/cmd/executor"\n' >"$mod/tools.go"
  (cd "$mod" && go mod edit -module kaniko-executor-bench && go mod tidy >&2 &&
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" github.com/chainguard-dev/kaniko/cmd/executor)
  mv "$BIN.tmp" "$BIN"
fi
echo "$BIN"
