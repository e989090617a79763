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
# Passed in: every PLUGIN_*, AWS_*, DRONE_* variable but AWS_CA_BUNDLE, and the
# names listed in SANDBOX_ENV. SANDBOX_ROOTS: where throwaway roots are made
# (default: $TMPDIR). SANDBOX_NOPIDNS=1: skip the pid namespace (so
# /usr/bin/time -v around this script sees the build's memory).
# SANDBOX_AS_PID1=1: run the binary as PID 1 of its pid namespace, as
# `docker run` does (no init); by default bwrap's reaper is PID 1, and its
# command line holds every --setenv value.
# SANDBOX_BIND="host:guest ...": extra read-write binds (outputs under /addon).
# KANIKO_ECR_PROFILE=DIR: a host directory (made if missing) for the
# plugin's profiles (plugin/profile.go), bound at /kaniko/profile (under
# SANDBOX_KANIKO_DIR when set): kaniko never snapshots its own directory,
# so no profile lands in an image layer. Inside, the variable names that
# path.
# SANDBOX_BIN_PATH: where the binary is mounted (default
# /kaniko/kaniko-ecr; only /kaniko/ passes the plugin's safety guard; kaniko's
# executor wants /kaniko/executor). SANDBOX_WRAP: words run before bwrap,
# such as "/usr/bin/time -v -o FILE" (no spaces inside a word).
#
# Variants:
# SANDBOX_ROOTFS=DIR: use DIR (an image's filesystem, say) as "/" instead of
#   a fresh directory. It is not deleted, nothing is bound into /kaniko (but
#   KANIKO_ECR_PROFILE's directory, whose mount point bwrap makes in DIR),
#   and BINARY is the path of the program inside the sandbox (the image's
#   entrypoint, or one under /harness). The CA bundle is bound only when
#   given.
# SANDBOX_KANIKO_DIR=DIR (default /kaniko): bind the binary at DIR/kaniko-ecr
#   and make DIR kaniko's directory (KANIKO_DIR, DOCKER_CONFIG, and the CA
#   bundle in DIR/ssl/certs via SSL_CERT_DIR). For building the plugin's own
#   image: kaniko never snapshots its own directory, and a file it must write
#   cannot be a mount, so /kaniko and /etc/ssl/certs have to stay free.
# SANDBOX_ENV_FILE=FILE: KEY=value lines set last (an image's environment).
set -euo pipefail
BIN=$1
WS=$(realpath "$2")
CA=${3:-}
ROOTFS=${SANDBOX_ROOTFS:-}
KDIR=${SANDBOX_KANIKO_DIR:-/kaniko}
shift $(($# < 3 ? $# : 3))
read -r -a WRAP <<<"${SANDBOX_WRAP:-}"
command -v bwrap >/dev/null || { echo "sandbox.sh: bwrap not found (apt-get install bubblewrap)" >&2; exit 127; }

if [ -n "$ROOTFS" ]; then
  [ "$KDIR" = /kaniko ] || { echo "sandbox.sh: SANDBOX_ROOTFS and SANDBOX_KANIKO_DIR do not mix" >&2; exit 2; }
  ROOT=$(realpath "$ROOTFS")
  BINARGS=()
else
  BIN=$(realpath "$BIN")
  CA=$(realpath "${CA:-/etc/ssl/certs/ca-certificates.crt}")
  ROOT=$(mktemp -d "${SANDBOX_ROOTS:-${TMPDIR:-/tmp}}/kaniko-ecr-root.XXXXXX")
  cleanup() { rm -rf "$ROOT"; }
  trap cleanup EXIT
  mkdir -p "$ROOT$KDIR" "$ROOT/etc" "$ROOT/harness"
  : >"$ROOT/etc/resolv.conf"
  chmod 0755 "$ROOT"
  BIN_AT=${SANDBOX_BIN_PATH:-$KDIR/kaniko-ecr}
  BINARGS=(--ro-bind "$BIN" "$BIN_AT")
  BIN=$BIN_AT
fi

# Docker's default capability set: enough for RUN steps that chown, setuid
# and mknod; no CAP_SYS_ADMIN.
CAPS=(--cap-drop ALL)
for c in CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP SETFCAP MKNOD NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE; do
  CAPS+=(--cap-add "CAP_$c")
done

ENVARGS=(--clearenv
  --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/kaniko
  --setenv HOME /root
  --setenv DOCKER_CONFIG "$KDIR/.docker")
CAARGS=()
if [ "$KDIR" != /kaniko ]; then
  ENVARGS+=(--setenv KANIKO_DIR "$KDIR" --setenv SSL_CERT_DIR "$KDIR/ssl/certs")
  CAARGS=(--ro-bind "$CA" "$KDIR/ssl/certs/ca-certificates.crt")
elif [ -n "$CA" ]; then
  CAARGS=(--ro-bind "$(realpath "$CA")" /etc/ssl/certs/ca-certificates.crt)
fi
# AWS_CA_BUNDLE names a host file: inside, the CA bundle is where it is bound.
while IFS= read -r name; do
  ENVARGS+=(--setenv "$name" "${!name}")
done < <(compgen -e | grep -E '^(PLUGIN|AWS|DRONE)_' | grep -vx AWS_CA_BUNDLE || true)
for name in ${SANDBOX_ENV:-}; do
  [ -n "${!name+x}" ] && ENVARGS+=(--setenv "$name" "${!name}")
done
if [ -n "${SANDBOX_ENV_FILE:-}" ]; then
  while IFS= read -r line; do
    [ -n "$line" ] && ENVARGS+=(--setenv "${line%%=*}" "${line#*=}")
  done <"$SANDBOX_ENV_FILE"
fi

BINDS=()
for pair in ${SANDBOX_BIND:-}; do
  BINDS+=(--bind "${pair%%:*}" "${pair#*:}")
done
if [ -n "${KANIKO_ECR_PROFILE:-}" ]; then
  mkdir -p "$KANIKO_ECR_PROFILE"
  BINDS+=(--bind "$(realpath "$KANIKO_ECR_PROFILE")" "$KDIR/profile")
  ENVARGS+=(--setenv KANIKO_ECR_PROFILE "$KDIR/profile")
fi
PIDNS=(--unshare-pid)
[ "${SANDBOX_AS_PID1:-0}" = 1 ] && PIDNS+=(--as-pid-1)
[ "${SANDBOX_NOPIDNS:-0}" = 1 ] && PIDNS=()
RESOLV=()
[ -e /etc/resolv.conf ] && RESOLV=(--ro-bind /etc/resolv.conf /etc/resolv.conf)

# SIGTERM/SIGINT to this script reach the plugin: bwrap runs in the
# background and the signal is passed on to it and its child.
"${WRAP[@]}" bwrap \
  --bind "$ROOT" / \
  --proc /proc --dev /dev \
  "${BINARGS[@]}" \
  "${CAARGS[@]}" \
  "${RESOLV[@]}" \
  --bind "$WS" /harness \
  "${BINDS[@]}" \
  "${PIDNS[@]}" --unshare-ipc --unshare-uts \
  --die-with-parent \
  "${CAPS[@]}" \
  "${ENVARGS[@]}" \
  --chdir /harness \
  "$BIN" "$@" &
pid=$!
# The plugin is a grandchild (bwrap forks into the namespaces): find it
# among bwrap's descendants and signal it directly.
descendants() {
  local kid
  for kid in $(grep -ls "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3); do
    echo "$kid"
    descendants "$kid"
  done
}
forward() {
  local p
  for p in $(descendants "$pid"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$(basename "$BIN" | cut -c1-15)" ] && kill -"$1" "$p" 2>/dev/null
  done
  return 0
}
trap 'forward TERM' TERM
trap 'forward INT' INT
status=0
while :; do
  wait "$pid" && status=0 || status=$?
  # wait returns early (>128) when a trapped signal arrives; keep waiting.
  kill -0 "$pid" 2>/dev/null || break
done
exit "$status"
