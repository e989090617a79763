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
#      through scripts/delayproxy (BENCH_RTT), a registry that is not on
#      the build's cores, as ECR is not
# Every build runs in the bubblewrap sandbox against the local registry,
# whose access log gives the requests and uploads of each run.
#
# usage: scripts/bench-features.sh
# env (defaults in brackets):
#   BENCH_RUNS [3]       timed runs per variant
#   BENCH_RUNS_I [BENCH_RUNS]  timed runs per variant of i (its pairs'
#                        differences are small against the machine's noise)
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
[[ $RUNS_I =~ ^[1-9][0-9]?$ ]] || { echo "bench-features.sh: BENCH_RUNS_I must be 1..99" >&2; exit 2; }
for it in $ITEMS; do [[ $it =~ ^[ghi]$ ]] || { echo "bench-features.sh: unknown item $it" >&2; exit 2; }; done
for t in go bwrap /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench-features.sh: $t not found" >&2; exit 127; }
done
has() { case " $ITEMS " in *" $1 "*) return 0 ;; esac; return 1; }

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
  PIDS+=($!)
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
printf '# item\tvariant\trun\twall_s\tmaxrss_kib\tcpu_s\trequests\tblob_puts\tmanifest_puts\tempty_config_puts\tprov_wait_s\tplugin_total_s\tregistry_cpu_s\n' >"$RESULTS"


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
      scripts/sandbox.sh "$PLUGIN_BIN" "$ctx" "$CA_BUNDLE" >"$W/logs/$id.log" 2>&1 || status=$?
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
  wait=$(sed -n 's/.*msg="provenance: the run waited \([0-9.]*\)\(ms\|s\) for it.*/\1 \2/p' "$W/logs/$id.log" |
    awk '{ v = $1; if ($2 == "ms") v /= 1000 } END { printf "%.3f", v + 0 }')
  # The plugin's own total from its "time:" line (milliseconds, where the
  # wall clock of /usr/bin/time has hundredths), and the registry's CPU.
  local total regs
  total=$(sed -n 's/.*msg="time: .*total \([0-9.]*\)\(ms\|s\)".*/\1 \2/p' "$W/logs/$id.log" |
    awk '{ v = $1; if ($2 == "ms") v /= 1000 } END { printf "%.3f", v + 0 }')
  regs=$(awk -v a="$cpu0" -v b="$(regcpu)" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$item" "$variant" "$run" "$(timev "$W/time/$id")" "$reqs" "$wait" "$total" "$regs" >>"$RESULTS"
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
  # Each pair runs back to back, in turn min first and false first.
  for i in $(seq 0 "$RUNS_I"); do
    order="min false"
    [ $((i % 2)) = 1 ] && order="false min"
    for v in $order; do build i "$v" "$i" plugin "$W/ctx/small" "PLUGIN_REPO=bench/i-$v-$i" "PLUGIN_PROVENANCE=$v"; done
    for v in $order; do build i "big-$v" "$i" plugin "$W/ctx/big" "PLUGIN_REPO=bench/i-big-$v-$i" "PLUGIN_PROVENANCE=$v"; done
    for v in $order; do
      build i "px-$v" "$i" plugin "$W/ctx/small" "PLUGIN_REGISTRY=$PX" "PLUGIN_BUILD_ARGS=BASE_IMAGE=$PX/base/busybox-oci:latest" \
        "PLUGIN_REPO=bench/i-px-$v-$i" "PLUGIN_PROVENANCE=$v"
    done
  done
fi

# --- report ---------------------------------------------------------------
# The document, from results.tsv: medians of the timed runs (run 0 of g and
# i, and h's -warmup run, are warm-ups; h's -cold build is shown alone).
read -r -d '' REPORT_AWK <<'AWK' || true
function med(k,   n, i, j, t, a) {
  n = cnt[k]; if (n == 0) return -1
  for (i = 1; i <= n; i++) a[i] = val[k, i]
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(k,   i, m) { m = val[k, 1]; for (i = 2; i <= cnt[k]; i++) if (val[k, i] < m) m = val[k, i]; return m }
function hi(k,   i, m) { m = val[k, 1]; for (i = 2; i <= cnt[k]; i++) if (val[k, i] > m) m = val[k, i]; return m }
function add(k, v) { cnt[k]++; val[k, cnt[k]] = v }
function row(it, v, label) {
  printf "| %s | %.2f | %.2f–%.2f | %.2f | %.0f | %d | %d | %d |\n", label, med(it SUBSEP v SUBSEP "wall"),
    lo(it SUBSEP v SUBSEP "wall"), hi(it SUBSEP v SUBSEP "wall"), med(it SUBSEP v SUBSEP "cpu"),
    med(it SUBSEP v SUBSEP "rss") / 1024, med(it SUBSEP v SUBSEP "req"), med(it SUBSEP v SUBSEP "blob"), med(it SUBSEP v SUBSEP "man")
}
function head() {
  print "| build | wall s | wall range s | CPU s | peak RSS MiB | registry requests | blob uploads | manifest uploads |"
  print "|---|---:|---:|---:|---:|---:|---:|---:|"
}
function w(it, v) { return med(it SUBSEP v SUBSEP "wall") }
/^#/ { next }
{
  if ($1 != "h" && $3 == 0) next
  if ($2 ~ /-warmup$/) next
  k = $1 SUBSEP $2; seen[$1] = 1; seen[$1, $2] = 1
  add(k SUBSEP "wall", $4); add(k SUBSEP "rss", $5); add(k SUBSEP "cpu", $6)
  add(k SUBSEP "req", $7); add(k SUBSEP "blob", $8); add(k SUBSEP "man", $9); add(k SUBSEP "empty", $10)
  add(k SUBSEP "wait", $11); add(k SUBSEP "total", $12); add(k SUBSEP "regcpu", $13)
  tot[$1, $2, $3] = $12
}
END {
  print "<!-- generated by scripts/bench-features.sh; a re-run overwrites this file -->"
  print "# Benchmarks: bind mounts, the warm no-change rebuild, provenance"
  print ""
  print "Regenerate with `" cmd "` (a few minutes; see the script's header for its settings)."
  print "Every build runs in the bubblewrap sandbox (`scripts/sandbox.sh`) against the local"
  print "registry (`scripts/local-ecr`); variants run interleaved (A B A B) after one warm-up each,"
  print "and each pushes to a repository of its own unless said otherwise. Times are medians of " runs
  print "runs (wall clock and user+system CPU from `/usr/bin/time -v`); requests and uploads are"
  print "counted in the registry's access log (blob uploads: completed `PUT .../blobs/uploads/`)."
  print ""
  print "## Machine"
  print ""
  print "| | |"; print "|---|---|"
  print "| date | " date " |"; print "| CPU | " cpu " (" nproc " cores) |"; print "| memory | " mem " |"
  print "| kernel | Linux " kernel " |"; print "| Go | " gov " |"; print "| kaniko | " kaniko " |"
  print "| kaniko's executor | `" execbin "` |"; print "| sandbox roots | " roots " |"
  print "| load average (1, 5, 15 min) | " load0 " at the start, " load " at the end |"
  split(load0, l0, " "); split(load, l1, " ")
  if (l0[1] + 0 > nproc / 2 || l1[1] + 0 > nproc / 2 || l0[2] + 0 > nproc / 2) {
    print ""
    print "**Caveat:** the machine was shared with other work while this ran (see the load"
    print "averages above): single runs vary, and ratios of medians of few runs are rough."
  }
  print ""
  print "## Results"
  if (seen["g"]) {
    print ""
    print "### (g) A " files "-file context (" mb " MB) bound read-only into two RUNs, against COPY"
    print ""
    print "Each `RUN` has a cache mount and reads the tree (`find /src -type f | wc -l`). *bind*:"
    print "`RUN --mount=type=bind,target=/src --mount=type=cache,target=/c ...` twice; *copy*:"
    print "`COPY . /src`, then the same two `RUN`s without the bind; *base*: the two `RUN`s and no"
    print "context. kaniko-ecr only."
    print ""
    head(); row("g", "base", "base"); row("g", "bind", "bind (2 RUNs)"); row("g", "copy", "COPY + 2 RUNs")
    b = w("g", "base"); bi = w("g", "bind"); c = w("g", "copy")
    per = (bi - b) / 2; cp = c - b
    print ""
    printf "- bind build / copy build: **%.2f×** (%.2f s / %.2f s)\n", bi / c, bi, c
    printf "- one bind: (bind − base) / 2 = **%.2f s**; the COPY: copy − base = **%.2f s**", per, cp
    if (cp > 0) printf " (one bind = %.2f× the COPY)", per / cp
    print ""
    printf "- target \"one bind costs no more than the COPY\": **%s**\n", (per <= cp ? "met" : "not met")
  }
  if (seen["h"]) {
    print ""
    print "### (h) The warm no-change rebuild, against kaniko's executor and BuildKit"
    print ""
    print "The small 3-stage app (`benchtool gen -kind small`) with the remote cache on"
    print "(kaniko-ecr: `PLUGIN_ENABLE_CACHE=true`, `PLUGIN_CACHE_REPO`; the executor: `--cache=true"
    print "--cache-copy-layers --cache-repo`). Each tool builds once cold, then rebuilds, each time from"
    print "a fresh sandbox root, to the same repository and tag; every kaniko-ecr rebuild logged"
    print "`unchanged: sha256:…, nothing uploaded` (the script fails otherwise). BuildKit (buildkitd"
    print "at go.mod's buildkit, `scripts/buildkit.sh`) prunes everything before each build, as a fresh"
    print "CI pod, and imports and exports its registry cache (`mode=max`); only its client, buildctl,"
    print "is under `/usr/bin/time`, so its CPU and RSS are the client's, not the daemon's."
    print ""
    head(); row("h", "plugin-cold", "kaniko-ecr, cold (1 run)"); row("h", "executor-cold", "executor, cold (1 run)")
    if (seen["h", "buildkit"]) row("h", "buildkit-cold", "BuildKit, cold (1 run)")
    row("h", "plugin", "kaniko-ecr, warm rebuild"); row("h", "executor", "executor, warm rebuild")
    if (seen["h", "buildkit"]) row("h", "buildkit", "BuildKit, warm rebuild")
    print ""
    printf "- warm rebuild, kaniko-ecr / executor: **%.2f×** (%.2f s / %.2f s)\n", w("h", "plugin") / w("h", "executor"), w("h", "plugin"), w("h", "executor")
    if (seen["h", "buildkit"]) printf "- warm rebuild, kaniko-ecr / BuildKit: **%.2f×** (%.2f s / %.2f s)\n", w("h", "plugin") / w("h", "buildkit"), w("h", "plugin"), w("h", "buildkit")
  }
  if (seen["i"]) {
    print ""
    print "### (i) Provenance: `PLUGIN_PROVENANCE=min` (the default) against `false`"
    print ""
    print "The small 3-stage app and a big build (`COPY` of one " bigmb " MB file, as `scripts/bench.sh`'s"
    print "workload c), each pushed to a repository of its own that holds only the 2-byte empty config (as"
    print "after a repository's first provenance), and the small app again through"
    print "`scripts/delayproxy` (" rtt " round trip: a registry that, like ECR, is not on the build's"
    print "cores); each pair runs back to back, in turn with and without provenance first. The registry"
    print "(docker-registry) has no referrers API:"
    print "with provenance the plugin also probes it, then reads and writes the fallback tag's index (one"
    print "of the manifest uploads below; the other is the artifact's manifest). The statement and the"
    print "artifact's manifest go up as soon as the image's digest is known, beside the last blobs and"
    print "the tags, and the fallback index beside the tags' read-back, so provenance has no phase of its"
    print "own in the plugin's `time:` line."
    print ""
    head(); row("i", "false", "small app, provenance off"); row("i", "min", "small app, provenance min")
    row("i", "big-false", bigmb " MB file, provenance off"); row("i", "big-min", bigmb " MB file, provenance min")
    row("i", "px-false", "small app, " rtt " away, provenance off"); row("i", "px-min", "small app, " rtt " away, provenance min")
    print ""
    prov_ratio("small app", "min", "false")
    prov_ratio(bigmb " MB file", "big-min", "big-false")
    prov_ratio("small app, " rtt " away", "px-min", "px-false")
    print ""
    print "The plugin's own `time:` total (milliseconds; the wall clock above has hundredths and"
    print "includes the sandbox's start), and the registry's CPU time per build (docker-registry runs"
    print "on the same cores as the build here, so its work on the provenance's requests is time the"
    print "build does not get; a remote registry's is not):"
    print ""
    print "| build | plugin total s | range s | registry CPU s |"
    print "|---|---:|---:|---:|"
    trow("false", "small app, provenance off"); trow("min", "small app, provenance min")
    trow("big-false", bigmb " MB file, provenance off"); trow("big-min", bigmb " MB file, provenance min")
    trow("px-false", "small app, " rtt " away, provenance off"); trow("px-min", "small app, " rtt " away, provenance min")
    print ""
    total_ratio("small app", "min", "false")
    total_ratio(bigmb " MB file", "big-min", "big-false")
    total_ratio("small app, " rtt " away", "px-min", "px-false")
    printf "- extra with provenance: %+d requests, %+d blob uploads (of which %d the empty config), %+d manifest\n",
      med("i" SUBSEP "min" SUBSEP "req") - med("i" SUBSEP "false" SUBSEP "req"),
      med("i" SUBSEP "min" SUBSEP "blob") - med("i" SUBSEP "false" SUBSEP "blob"), med("i" SUBSEP "min" SUBSEP "empty"),
      med("i" SUBSEP "min" SUBSEP "man") - med("i" SUBSEP "false" SUBSEP "man")
    print "  uploads (medians, small app)"
    print "- the run's own wait for the provenance once the tags were read back (its log's"
    print "  `provenance: the run waited … after the read-back`), median: what provenance adds to the"
    print "  push after the overlap, measured within one run rather than as the difference of two"
    print "  runs' wall times (it still grows with the registry's latency when the machine is busy):"
    prov_wait("small app", "min", "false")
    prov_wait(bigmb " MB file", "big-min", "big-false")
    prov_wait("small app, " rtt " away", "px-min", "px-false")
  }
}
# verdict: the target by the ratio of the wall medians, unless the runs of
# the variant without provenance spread (slowest minus fastest) by more
# than 10 % of their median, which drowns a 2 % difference.
function verdict(on, off,   f, spread) {
  f = w("i", off); spread = (hi("i" SUBSEP off SUBSEP "wall") - lo("i" SUBSEP off SUBSEP "wall")) / f
  if (spread > 0.10) return sprintf("not measurable here: the runs without provenance spread over %.0f %% of their median", spread * 100)
  return (w("i", on) / f < 1.02 ? "met" : "not met")
}
function trow(v, label,   k) {
  k = "i" SUBSEP v SUBSEP
  printf "| %s | %.3f | %.3f–%.3f | %.2f |\n", label, med(k "total"), lo(k "total"), hi(k "total"), med(k "regcpu")
}
# paired: the median of the differences of the plugin's totals, run by
# run (each run with provenance against the run without it next to it,
# in turn before and after), which drift of the machine over the bench
# does not move.
# pairedlo and pairedhi bound the median's 95 % confidence interval by
# order statistics (the k-th smallest and largest of n, k = (n - 1.96
# sqrt(n)) / 2 rounded down, at least 1).
function paired(on, off,   r, n, k, i, j, t, a) {
  n = 0
  for (r = 1; r <= runsi; r++) if (("i", on, r) in tot && ("i", off, r) in tot) { n++; val["p", n] = tot["i", on, r] - tot["i", off, r] }
  cnt["p"] = n
  for (i = 1; i <= n; i++) a[i] = val["p", i]
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  k = int((n - 1.96 * sqrt(n)) / 2); if (k < 1) k = 1
  pairedlo = a[k]; pairedhi = a[n - k + 1]
  return med("p")
}
function total_ratio(label, on, off,   m, f, spread, v, d, verd) {
  m = med("i" SUBSEP on SUBSEP "total"); f = med("i" SUBSEP off SUBSEP "total"); d = paired(on, off)
  spread = (hi("i" SUBSEP off SUBSEP "total") - lo("i" SUBSEP off SUBSEP "total")) / f
  v = (m / f < 1.02 ? "met" : "not met")
  if (spread > 0.10) v = sprintf("not measurable here: the runs without provenance spread over %.0f %% of their median", spread * 100)
  printf "- %s, min / false by the plugin's total: **%.3f×** (%+.1f %% time; %+.3f s); run by run (each pair back to back), the median\n", label, m / f, (m / f - 1) * 100, m - f
  printf "  difference is **%+.3f s** (%+.1f %%; 95 %% interval %+.1f %% to %+.1f %%); registry CPU %+.2f s;\n", d, d / f * 100,
    pairedlo / f * 100, pairedhi / f * 100, med("i" SUBSEP on SUBSEP "regcpu") - med("i" SUBSEP off SUBSEP "regcpu")
  verd = "not resolved by this run: its interval holds 2 %"
  if (pairedhi / f < 0.02) verd = "met"
  if (pairedlo / f >= 0.02) verd = "not met"
  printf "  target \"< 2 %% more time\" by the plugin's totals: **%s**; by the run-by-run median: **%s**\n", v, verd
}
function prov_wait(label, on, off,   pw, f) {
  pw = med("i" SUBSEP on SUBSEP "wait"); f = w("i", off)
  printf "  - %s: %.3f s, %.1f %% of the median build without provenance (target \"< 2 %%\": **%s**)\n",
    label, pw, pw / f * 100, (pw / f < 0.02 ? "met" : "not met")
}
function prov_ratio(label, on, off,   m, f) {
  m = w("i", on); f = w("i", off)
  printf "- %s, min / false: **%.3f×** (%+.1f %% time; medians %.2f s / %.2f s; fastest runs %.2f s / %.2f s, %.3f×)\n",
    label, m / f, (m / f - 1) * 100, m, f, lo("i" SUBSEP on SUBSEP "wall"), lo("i" SUBSEP off SUBSEP "wall"),
    lo("i" SUBSEP on SUBSEP "wall") / lo("i" SUBSEP off SUBSEP "wall")
  printf "  target \"< 2 %% more time\" by the wall medians: **%s**\n", verdict(on, off)
}
AWK
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
    -v execbin="$(basename "${EXEC_BIN:-none}")" "$REPORT_AWK" "$RESULTS"
}
if [ "$OUT" != - ]; then
  report >"$OUT"
  log "wrote $OUT"
fi
report | sed -n '/^## Results/,$p'
if [ "${BENCH_KEEP:-0}" = 1 ]; then log "results: $RESULTS"; else cat "$RESULTS"; fi
