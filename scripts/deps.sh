#!/usr/bin/env bash
# Installs the Debian packages that the tests and the demo need:
# bubblewrap (the sandbox), docker-registry (the real registry),
# busybox-static (base images), time (/usr/bin/time -v for benchmarks),
# gcc and libc6-dev (cgo, which go test -race needs).
set -euo pipefail
pkgs=(bubblewrap docker-registry busybox-static time ca-certificates git gcc libc6-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package enables a registry service on :5000; ours run on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
