# Shared by scripts/bench.sh and scripts/bench-features.sh (sourced, not
# run): the work directory and its cleanup, the sandboxes' roots, the local
# ECR stand-in, and reading /usr/bin/time -v. The sourcing script sets NAME
# (for messages) before it calls these.

# bench_workdir: W (the work directory), PIDS (background processes ended on
# exit), ROOTS (the sandboxes' roots: on a tmpfs unless BENCH_ROOTS says
# "disk" or names a directory that is not one), and the traps.
bench_workdir() {
  W=$(mktemp -d "${TMPDIR:-/tmp}/kaniko-ecr-$NAME.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$W/bin" "$W/ctx" "$W/time" "$W/logs" "$W/dockercfg"
  local roots_in=${BENCH_ROOTS:-/dev/shm}
  if [ "$roots_in" = disk ] || [ "$(stat -f -c %T "$roots_in" 2>/dev/null)" != tmpfs ]; then roots_in=$W; fi
  ROOTS=$(mktemp -d "$roots_in/kaniko-ecr-bench-roots.XXXXXX")
}

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${ROOTS:-}" ] && rm -rf "$ROOTS"
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "$NAME.sh: kept $W" >&2; else rm -rf "$W"; fi
}

# bench_local_ecr REPO...: starts the local ECR stand-in (the binary at
# $W/bin/local-ecr) with those repositories and an OCI busybox base; sets
# REG and CA_BUNDLE and exports its AWS_* variables.
bench_local_ecr() {
  "$W/bin/local-ecr" -dir "$W/ecr" -env "$W/ecr.env" -base-oci base/busybox-oci \
    -repos "$(IFS=,; echo "$*")" >"$W/logs/local-ecr.log" 2>&1 &
  PIDS+=($!)
  local k v
  for _ in $(seq 1 240); do [ -s "$W/ecr.env" ] && break; sleep 0.25; done
  [ -s "$W/ecr.env" ] || { echo "$NAME.sh: local ECR did not start:" >&2; cat "$W/logs/local-ecr.log" >&2; exit 1; }
  while IFS='=' read -r k v; do
    case $k in AWS_*) export "$k=$v" ;; PLUGIN_REGISTRY) REG=$v ;; LOCAL_ECR_CA_BUNDLE) CA_BUNDLE=$v ;; esac
  done <"$W/ecr.env"
}

# timev FILE: "wall_seconds<TAB>max_rss_kib<TAB>cpu_seconds" from
# /usr/bin/time -v output; cpu is user plus system time.
timev() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; w = s }
    /User time/ { c += $2 } /System time/ { c += $2 }
    /Maximum resident set size/ { r = $2 } END { printf "%.2f\t%d\t%.2f\n", w, r, c }' "$1"
}
