#!/usr/bin/env bash
# Runs kaniko-ecr under bubblewrap with a fresh, empty directory as "/", so
# kaniko can unpack images into "/" and delete files there without touching
# the host. The host network is shared (127.0.0.1 reaches local registries).
#
# usage: scripts/sandbox.sh BINARY WORKSPACE [CA_BUNDLE [ARG...]]
#   BINARY     static kaniko-ecr binary; bound read-only at /kaniko/kaniko-ecr
#   WORKSPACE  bound read-write at /harness and used as the working directory
#   CA_BUNDLE  bound at /etc/ssl/certs/ca-certificates.crt (default: the host's)
#   ARG        passed to BINARY (kaniko-ecr takes none; kaniko's executor
#              takes flags)
# Passed in: every PLUGIN_*, AWS_*, DRONE_* variable, DRONE_OUTPUT, and the
# names listed in SANDBOX_ENV. SANDBOX_ROOTS: where throwaway roots are made
# (default: $TMPDIR). SANDBOX_NOPIDNS=1: skip the pid namespace (so
# /usr/bin/time -v around this script sees the build's memory).
# SANDBOX_BIND="host:guest ...": extra read-write binds (outputs under /addon).
# SANDBOX_AT: where BINARY is bound (default /kaniko/kaniko-ecr; kaniko's
# executor wants /kaniko/executor). SANDBOX_WRAP: words run before bwrap,
# such as "/usr/bin/time -v -o FILE" (no spaces inside a word).
set -euo pipefail
BIN=$(realpath "$1")
WS=$(realpath "$2")
CA=${3:-/etc/ssl/certs/ca-certificates.crt}
CA=$(realpath "$CA")
shift $(($# < 3 ? $# : 3))
AT=${SANDBOX_AT:-/kaniko/kaniko-ecr}
read -r -a WRAP <<<"${SANDBOX_WRAP:-}"
command -v bwrap >/dev/null || { echo "sandbox.sh: bwrap not found (apt-get install bubblewrap)" >&2; exit 127; }

ROOT=$(mktemp -d "${SANDBOX_ROOTS:-${TMPDIR:-/tmp}}/kaniko-ecr-root.XXXXXX")
cleanup() { rm -rf "$ROOT"; }
trap cleanup EXIT
mkdir -p "$ROOT/kaniko" "$ROOT/etc/ssl/certs" "$ROOT/harness"
: >"$ROOT/etc/resolv.conf"
chmod 0755 "$ROOT"

# Docker's default capability set: enough for RUN steps that chown, setuid
# and mknod; no CAP_SYS_ADMIN.
CAPS=(--cap-drop ALL)
for c in CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP SETFCAP MKNOD NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE; do
  CAPS+=(--cap-add "CAP_$c")
done

ENVARGS=(--clearenv
  --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/kaniko
  --setenv HOME /root
  --setenv DOCKER_CONFIG /kaniko/.docker)
while IFS= read -r name; do
  ENVARGS+=(--setenv "$name" "${!name}")
done < <(compgen -e | grep -E '^(PLUGIN|AWS|DRONE)_' || true)
for name in ${SANDBOX_ENV:-}; do
  [ -n "${!name+x}" ] && ENVARGS+=(--setenv "$name" "${!name}")
done

BINDS=()
for pair in ${SANDBOX_BIND:-}; do
  BINDS+=(--bind "${pair%%:*}" "${pair#*:}")
done
PIDNS=(--unshare-pid)
[ "${SANDBOX_NOPIDNS:-0}" = 1 ] && PIDNS=()
RESOLV=()
[ -e /etc/resolv.conf ] && RESOLV=(--ro-bind /etc/resolv.conf /etc/resolv.conf)

# SIGTERM/SIGINT to this script reach the plugin: bwrap runs in the
# background and the signal is passed on to it and its child.
"${WRAP[@]}" bwrap \
  --bind "$ROOT" / \
  --proc /proc --dev /dev \
  --ro-bind "$BIN" "$AT" \
  --ro-bind "$CA" /etc/ssl/certs/ca-certificates.crt \
  "${RESOLV[@]}" \
  --bind "$WS" /harness \
  "${BINDS[@]}" \
  "${PIDNS[@]}" --unshare-ipc --unshare-uts \
  --die-with-parent \
  "${CAPS[@]}" \
  "${ENVARGS[@]}" \
  --chdir /harness \
  "$AT" "$@" &
pid=$!
forward() { pkill -"$1" -P "$pid" 2>/dev/null; kill -"$1" "$pid" 2>/dev/null || true; }
trap 'forward TERM' TERM
trap 'forward INT' INT
status=0
while :; do
  wait "$pid" && status=0 || status=$?
  # wait returns early (>128) when a trapped signal arrives; keep waiting.
  kill -0 "$pid" 2>/dev/null || break
done
exit "$status"
