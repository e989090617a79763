#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, unit tests under the
# race detector, integration tests (the real binary in the bubblewrap sandbox
# against a real registry), and a short run of every fuzz target (FUZZTIME
# executions each). Needs root; installs the Debian packages it needs
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
# Static analysis: staticcheck with the checks staticcheck.conf chooses (all
# of them), at a pinned version fetched through the module proxy like any
# module; go.mod stays free of it.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
# The unit tests run under the race detector, in place of a plain run. The
# integration tests run the real binary in the sandbox: their own code only
# starts it and reads the registry back, so they run without it.
unit=$(go list ./... | grep -v '/plugin/integration')
CGO_ENABLED=1 go test -race -count=1 -timeout 20m $unit
go test -count=1 -timeout 20m ./plugin/integration/...
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
