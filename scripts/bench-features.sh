#!/usr/bin/env bash
# Benchmarks three features of kaniko-ecr with the building blocks of
# scripts/bench.sh (scripts/build.sh, scripts/sandbox.sh, scripts/local-ecr,
# scripts/benchtool gen, scripts/executor.sh, /usr/bin/time -v), runs
# interleaved A B A B after one warm-up each, and writes
# docs/BENCHMARKS-features.md:
#   g  a context of BENCH_FILES files bound read-only into two RUNs (with a
#      cache mount) against COPY of the same files and the same two RUNs,
#      and a base build (the two RUNs, no context): the cost of one bind
#   h  the warm no-change rebuild with the remote cache on, from a fresh
#      root to the same repository and tag, against kaniko's executor
#      (--cache --cache-copy-layers --cache-repo) doing the same, and
#      against BuildKit (buildkitd from scripts/buildkit.sh, pruned before
#      each build, registry cache imported and exported with mode=max)
#   i  provenance: PLUGIN_PROVENANCE=min (the default) against false, on
#      the small app and on a big build (one BENCH_BIG_MB file, as
#      scripts/bench.sh's workload c), side by side; and the small app
#      through scripts/delayproxy (BENCH_RTT) with the registry and the
#      proxy on a core of their own and the build on the others (taskset),
#      a registry that is not on the build's cores, as ECR is not
# Every build runs in the bubblewrap sandbox against the local registry,
# whose access log gives the requests and uploads of each run.
#
# usage: scripts/bench-features.sh
# env (defaults in brackets):
#   BENCH_RUNS [3]       timed runs per variant
#   BENCH_RUNS_I [BENCH_RUNS]  timed runs per variant of i, 1..999 (its
#                        pairs' differences are small against the machine's
#                        noise: a run of 0.3 s takes a hundred pairs)
#   BENCH_ITEMS [g h i]  which items
#   BENCH_FILES [20000] BENCH_MB [40]  the size of g's context
#   BENCH_BIG_MB [300]   the size of i's big file
#   BENCH_RTT [20ms]     the delay proxy's round trip, for i
#   BENCH_ROOTS [/dev/shm]  where the sandboxes' roots go ("disk": the work
#                        directory)
#   BENCH_OUT [docs/BENCHMARKS-features.md]  "-": write no document
#   BENCH_EXECUTOR       kaniko's executor to use (else scripts/executor.sh
#                        with EXECUTOR_ANY_KEY=1: the newest cached one for
#                        go.mod's kaniko version, built if there is none)
#   BENCH_KEEP=1         keep the work directory (logs, results)
#   BENCH_BUILDKIT [1]   0: leave BuildKit out of h
# Needs: go, bwrap, /usr/bin/time, docker-registry (Debian); for BuildKit,
# root and runc (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-3}
ITEMS=${BENCH_ITEMS:-g h i}
FILES=${BENCH_FILES:-20000}
MB=${BENCH_MB:-40}
BIG_MB=${BENCH_BIG_MB:-300}
RTT=${BENCH_RTT:-20ms}
OUT=${BENCH_OUT:-docs/BENCHMARKS-features.md}
RUNS_I=${BENCH_RUNS_I:-$RUNS}
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "bench-features.sh: BENCH_RUNS must be 1..99" >&2; exit 2; }
[[ $RUNS_I =~ ^[1-9][0-9]{0,2}$ ]] || { echo "bench-features.sh: BENCH_RUNS_I must be 1..999" >&2; exit 2; }
for it in $ITEMS; do [[ $it =~ ^[ghi]$ ]] || { echo "bench-features.sh: unknown item $it" >&2; exit 2; }; done
for t in go bwrap /usr/bin/time taskset; do
  command -v "$t" >/dev/null || { echo "bench-features.sh: $t not found" >&2; exit 127; }
done
has() { case " $ITEMS " in *" $1 "*) return 0 ;; esac; return 1; }
if has h && [ "${BENCH_BUILDKIT:-1}" = 1 ] && ! command -v runc >/dev/null; then
  # Before minutes of building: buildkitd's OCI worker runs steps with runc.
  echo "bench-features.sh: BuildKit (item h) needs runc (Debian: apt-get install runc); or set BENCH_BUILDKIT=0" >&2
  exit 127
fi

NAME=bench-features
. scripts/benchlib.sh
bench_workdir
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '%s bench-features: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "building kaniko-ecr and the helpers"
PLUGIN_BIN=$W/bin/kaniko-ecr
scripts/build.sh "$PLUGIN_BIN" >/dev/null
for c in local-ecr benchtool delayproxy; do CGO_ENABLED=0 go build -trimpath -o "$W/bin/$c" "./scripts/$c"; done
BT=$W/bin/benchtool
KANIKO_VERSION=$(go list -m -f '{{.Version}}' github.com/chainguard-dev/kaniko)
EXEC_BIN=
if has h; then EXEC_BIN=$(EXECUTOR_ANY_KEY=1 scripts/executor.sh); fi
BK_BIN=
if has h && [ "${BENCH_BUILDKIT:-1}" = 1 ]; then BK_BIN=$(scripts/buildkit.sh); fi

# --- contexts -------------------------------------------------------------
log "generating contexts"
RUN_LINE='find /src -type f 2>/dev/null | wc -l | tee /c/N > /N'
if has g; then
  "$BT" gen -kind many -dir "$W/ctx/copy" -files "$FILES" -bytes $((MB * 1000000))
  cp -a "$W/ctx/copy" "$W/ctx/bind"
  mkdir "$W/ctx/base"
  printf 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n' | tee "$W/ctx/base/Dockerfile" "$W/ctx/bind/Dockerfile" >"$W/ctx/copy/Dockerfile"
  echo 'COPY . /src' >>"$W/ctx/copy/Dockerfile"
  for n in 1 2; do
    echo "RUN --mount=type=cache,target=/c ${RUN_LINE//N/n$n}" | tee -a "$W/ctx/base/Dockerfile" >>"$W/ctx/copy/Dockerfile"
    echo "RUN --mount=type=bind,target=/src --mount=type=cache,target=/c ${RUN_LINE//N/n$n}" >>"$W/ctx/bind/Dockerfile"
  done
fi
if has h || has i; then "$BT" gen -kind small -dir "$W/ctx/small"; fi
if has i; then "$BT" gen -kind big -dir "$W/ctx/big" -bytes $((BIG_MB * 1000000)); fi

# --- registry -------------------------------------------------------------
repos=(bench/h-plugin bench/h-executor bench/h-buildkit bench/h-cache-plugin bench/h-cache-executor bench/h-cache-buildkit)
for i in $(seq 0 "$RUNS"); do
  for v in g-base g-bind g-copy; do repos+=("bench/$v-$i"); done
done
for i in $(seq 0 "$RUNS_I"); do
  for v in i-min i-false i-big-min i-big-false i-px-min i-px-false; do repos+=("bench/$v-$i"); done
done
log "starting the local ECR stand-in"
bench_local_ecr "${repos[@]}"
REGLOG=$W/ecr/registry/registry.log
# The registry's own CPU time (user + system, in clock ticks) from /proc:
# it shares the machine's cores with the build.
REG_PID=$(pgrep -f "^/usr/bin/docker-registry serve $W/" | head -n 1 || true)
TICKS=$(getconf CLK_TCK)
regcpu() {
  if [ -n "$REG_PID" ] && [ -r "/proc/$REG_PID/stat" ]; then
    sed 's/^.*) //' "/proc/$REG_PID/stat" | awk '{ print $12 + $13 }'
  else
    echo 0
  fi
}
BASE_IMAGE=$REG/base/busybox-oci:latest
PX=
if has i; then
  "$W/bin/delayproxy" -target "$REG" -rtt "$RTT" -addr-file "$W/proxy.addr" >"$W/logs/delayproxy.log" 2>&1 &
  PX_PID=$!
  PIDS+=("$PX_PID")
  for _ in $(seq 1 40); do [ -s "$W/proxy.addr" ] && break; sleep 0.25; done
  PX=$(cat "$W/proxy.addr")
fi
"$BT" docker-config -dir "$W/dockercfg" -registry "$REG"
if has i; then
  # Every repository of i holds the 2-byte empty config already, as a
  # repository does after its first provenance: the runs measure the
  # provenance of a pipeline that pushes to its repository every day.
  irepos=()
  for i in $(seq 0 "$RUNS_I"); do for v in i-min i-false i-big-min i-big-false i-px-min i-px-false; do irepos+=("bench/$v-$i"); done; done
  SSL_CERT_FILE=$CA_BUNDLE DOCKER_CONFIG=$W/dockercfg "$BT" put-empty -registry "$REG" -repos "$(IFS=,; echo "${irepos[*]}")"
fi
BK_ADDR=
if [ -n "$BK_BIN" ]; then
  # buildkitd with the OCI worker, trusting the registry's CA; buildctl
  # pushes with the docker config's token.
  printf '[worker.oci]\n  enabled = true\n  snapshotter = "overlayfs"\n[worker.containerd]\n  enabled = false\n[registry."%s"]\n  http = false\n  ca = ["%s"]\n' \
    "$REG" "$CA_BUNDLE" >"$W/buildkitd.toml"
  BK_ADDR=unix://$W/buildkitd.sock
  "$BK_BIN/buildkitd" --root "$W/buildkit" --addr "$BK_ADDR" --config "$W/buildkitd.toml" >"$W/logs/buildkitd.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 60); do "$BK_BIN/buildctl" --addr "$BK_ADDR" debug workers >/dev/null 2>&1 && break; sleep 0.25; done
  "$BK_BIN/buildctl" --addr "$BK_ADDR" debug workers >/dev/null || { echo "bench-features.sh: buildkitd did not start:" >&2; tail "$W/logs/buildkitd.log" >&2; exit 1; }
fi

RESULTS=$W/results.tsv
printf '# item\tvariant\trun\twall_s\tmaxrss_kib\tcpu_s\trequests\tblob_puts\tmanifest_puts\tempty_config_puts\tprov_wait_s\tplugin_total_s\tregistry_cpu_s\tplugin_build_s\n' >"$RESULTS"

# phase_s PHASE LOG: the seconds of one phase of the plugin's "time:" line.
phase_s() {
  sed -n "s/.*msg=\"time: .*\\b$1 \\([0-9.]*\\)\\(ms\\|s\\)[,\"].*/\\1 \\2/p" "$2" |
    awk '{ v = $1; if ($2 == "ms") v /= 1000 } END { printf "%.3f", v + 0 }'
}

# build ITEM VARIANT RUN TOOL CTX [ARG...]: one sandboxed build, timed, with
# the registry requests it made (the access log's new lines). TOOL plugin:
# ARGs are VAR=value settings; executor: ARGs are its flags.
build() {
  local item=$1 variant=$2 run=$3 tool=$4 ctx=$5
  shift 5
  local id=$item-$variant-$run status=0 before cpu0
  before=$(wc -l <"$REGLOG")
  cpu0=$(regcpu)
  local env=(SANDBOX_NOPIDNS=1 "SANDBOX_ROOTS=$ROOTS" "SANDBOX_WRAP=/usr/bin/time -v -o $W/time/$id")
  if [ "$tool" = buildkit ]; then
    # From a cold local state, as a fresh CI pod: prune, then build with
    # the registry cache; only the client is timed (its RSS and CPU are
    # buildctl's, not the daemon's).
    "$BK_BIN/buildctl" --addr "$BK_ADDR" prune --all >/dev/null 2>&1
    DOCKER_CONFIG=$W/dockercfg /usr/bin/time -v -o "$W/time/$id" "$BK_BIN/buildctl" --addr "$BK_ADDR" build \
      --frontend dockerfile.v0 --local "context=$ctx" --local "dockerfile=$ctx" \
      --opt "build-arg:BASE_IMAGE=$BASE_IMAGE" "$@" >"$W/logs/$id.log" 2>&1 || status=$?
  elif [ "$tool" = plugin ]; then
    env "${env[@]}" "PLUGIN_REGISTRY=$REG" "PLUGIN_BUILD_ARGS=BASE_IMAGE=$BASE_IMAGE" "$@" \
      ${PIN:-} scripts/sandbox.sh "$PLUGIN_BIN" "$ctx" "$CA_BUNDLE" >"$W/logs/$id.log" 2>&1 || status=$?
  else
    # As in scripts/bench.sh: --force (no pid namespace), credentials from
    # the docker config only.
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL_ECR -u AWS_ENDPOINT_URL_STS \
      "${env[@]}" SANDBOX_BIN_PATH=/kaniko/executor "SANDBOX_BIND=$W/dockercfg:/kaniko/.docker" \
      scripts/sandbox.sh "$EXEC_BIN" "$ctx" "$CA_BUNDLE" --force --dockerfile=/harness/Dockerfile \
      --context=dir:///harness "--build-arg=BASE_IMAGE=$BASE_IMAGE" "$@" >"$W/logs/$id.log" 2>&1 || status=$?
  fi
  if [ "$status" != 0 ]; then
    echo "bench-features.sh: $id failed with status $status; its log ends:" >&2
    tail -n 20 "$W/logs/$id.log" >&2
    exit 1
  fi
  sleep 0.2 # the access log line of the last request
  local reqs
  reqs=$(tail -n +"$((before + 1))" "$REGLOG" | awk '
    / "(GET|HEAD|POST|PUT|PATCH|DELETE) \/v2\// { n++ }
    / "PUT \/v2\/[^ ]*\/blobs\/uploads\// { b++ }
    / "PUT \/v2\/[^ ]*\/blobs\/uploads\/[^ ]*digest=sha256%3A44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a/ { e++ }
    / "PUT \/v2\/[^ ]*\/manifests\// { m++ }
    END { printf "%d\t%d\t%d\t%d\n", n, b, m, e }')
  # What the provenance added after the tags were read back, as kaniko-ecr
  # logs it ("provenance: the run waited 12ms for it after the read-back").
  local wait
  wait=$(sed -n 's/.*msg="provenance: the run waited \([0-9.]*\)\(ms\|µs\|s\) for it.*/\1 \2/p' "$W/logs/$id.log" |
    awk '{ v = $1; if ($2 == "ms") v /= 1000; if ($2 == "µs") v /= 1000000 } END { printf "%.3f", v + 0 }')
  # The plugin's own total and build phase from its "time:" line
  # (milliseconds, where the wall clock of /usr/bin/time has hundredths),
  # and the registry's CPU.
  local total bphase regs
  total=$(phase_s total "$W/logs/$id.log")
  bphase=$(phase_s build "$W/logs/$id.log")
  regs=$(awk -v a="$cpu0" -v b="$(regcpu)" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$item" "$variant" "$run" "$(timev "$W/time/$id")" "$reqs" "$wait" "$total" "$regs" "$bphase" >>"$RESULTS"
}

if has g; then
  log "g (bind against COPY, $FILES files, $MB MB): warm-up and $RUNS runs each"
  for i in $(seq 0 "$RUNS"); do
    for v in base bind copy; do build g "$v" "$i" plugin "$W/ctx/$v" "PLUGIN_REPO=bench/g-$v-$i"; done
  done
fi
if has h; then
  log "h (warm no-change rebuild): a cold build each, then a warm-up and $RUNS runs each"
  # Run 0: the cold build (it fills the caches); run 1: the warm-up.
  for i in $(seq 0 "$((RUNS + 1))"); do
    sfx=
    [ "$i" = 0 ] && sfx=-cold
    [ "$i" = 1 ] && sfx=-warmup
    build h "plugin$sfx" "$i" plugin "$W/ctx/small" PLUGIN_REPO=bench/h-plugin PLUGIN_TAGS=latest \
      PLUGIN_ENABLE_CACHE=true PLUGIN_CACHE_REPO=bench/h-cache-plugin
    if [ "$i" != 0 ] && ! grep -q 'unchanged: sha256:[0-9a-f]\{64\}, nothing uploaded' "$W/logs/h-plugin$sfx-$i.log"; then
      echo "bench-features.sh: h-plugin$sfx-$i: no \"unchanged: sha256:..., nothing uploaded\" line" >&2
      exit 1
    fi
    build h "executor$sfx" "$i" executor "$W/ctx/small" "--destination=$REG/bench/h-executor:latest" \
      --cache=true --cache-copy-layers "--cache-repo=$REG/bench/h-cache-executor"
    if [ -n "$BK_BIN" ]; then
      build h "buildkit$sfx" "$i" buildkit "$W/ctx/small" --output "type=image,name=$REG/bench/h-buildkit:latest,push=true" \
        --export-cache "type=registry,ref=$REG/bench/h-cache-buildkit:cache,mode=max" \
        --import-cache "type=registry,ref=$REG/bench/h-cache-buildkit:cache"
    fi
  done
fi
if has i; then
  log "i (provenance min against false, small app and $BIG_MB MB file): warm-up and $RUNS_I runs each"
  # The registry and the delay proxy (every thread) on the last core, and
  # the builds through the proxy on the others: like ECR, a registry
  # whose work takes nothing from the build's cores.
  last=$(($(nproc) - 1))
  PIN=
  if [ "$last" -ge 1 ]; then
    for pid in "$REG_PID" "$PX_PID"; do taskset -a -p -c "$last" "$pid" >/dev/null; done
    PIN="taskset -c 0-$((last - 1))"
  fi
  # Each pair runs back to back, in turn min first and false first.
  for i in $(seq 0 "$RUNS_I"); do
    order="min false"
    [ $((i % 2)) = 1 ] && order="false min"
    for v in $order; do build i "$v" "$i" plugin "$W/ctx/small" "PLUGIN_REPO=bench/i-$v-$i" "PLUGIN_PROVENANCE=$v"; done
    for v in $order; do build i "big-$v" "$i" plugin "$W/ctx/big" "PLUGIN_REPO=bench/i-big-$v-$i" "PLUGIN_PROVENANCE=$v"; done
    for v in $order; do
      PIN=$PIN build i "px-$v" "$i" plugin "$W/ctx/small" "PLUGIN_REGISTRY=$PX" "PLUGIN_BUILD_ARGS=BASE_IMAGE=$PX/base/busybox-oci:latest" \
        "PLUGIN_REPO=bench/i-px-$v-$i" "PLUGIN_PROVENANCE=$v"
    done
  done
fi

# --- report ---------------------------------------------------------------
# The document, from results.tsv (scripts/bench-features.awk).
cmdline="scripts/bench-features.sh"
for v in BENCH_RUNS BENCH_RUNS_I BENCH_ITEMS BENCH_FILES BENCH_MB BENCH_BIG_MB BENCH_RTT BENCH_ROOTS; do
  [ -n "${!v+x}" ] && cmdline="$v=\"${!v}\" $cmdline"
done
report() {
  awk -F'\t' -v runs="$RUNS" -v runsi="$RUNS_I" -v files="$FILES" -v mb="$MB" -v bigmb="$BIG_MB" -v rtt="$RTT" \
    -v cmd="$cmdline" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    -v cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" -v nproc="$(nproc)" \
    -v mem="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
    -v kernel="$(uname -r)" -v gov="$(go env GOVERSION)" -v kaniko="$KANIKO_VERSION" \
    -v load0="$LOAD0" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v roots="$(stat -f -c %T "$ROOTS")" \
    -v execbin="$(basename "${EXEC_BIN:-none}")" -f scripts/bench-features.awk "$RESULTS"
}
if [ "$OUT" != - ]; then
  report >"$OUT"
  log "wrote $OUT"
fi
report | sed -n '/^## Results/,$p'
if [ "${BENCH_KEEP:-0}" = 1 ]; then log "results: $RESULTS"; else cat "$RESULTS"; fi
