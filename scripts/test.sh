#!/usr/bin/env bash
# The whole test suite: formatting, vet, unit and integration tests (the real
# binary in the bubblewrap sandbox against a real registry), and a short run
# of every fuzz target (FUZZTIME executions each). Needs root; installs the Debian packages it needs
# (scripts/deps.sh) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 20m ./...
# Fuzz targets, briefly: go test -fuzz takes one target per run.
# A count, not a duration: a duration races the fuzzing coordinator's deadline
# (go.dev/issue/75804, unfixed in Go 1.26) and fails with "context deadline
# exceeded" on a loaded machine, with no crashing input.
FUZZTIME=${FUZZTIME:-10000x}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1); then
      echo "$out" | grep -v '^fuzz: elapsed' >&2
      echo "fuzz $pkg $target: FAILED" >&2
      exit 1
    fi
    echo "fuzz $pkg $target: ok ($FUZZTIME)"
  done
done
