#!/usr/bin/env bash
# Benchmarks kaniko-ecr against kaniko's own executor, built from the same
# kaniko module version with the same dependency versions (a throwaway module
# in a temp dir; never committed). Both run in the bubblewrap sandbox
# (scripts/sandbox.sh) against the same local registry (scripts/local-ecr),
# directly and through a TCP delay proxy (scripts/delayproxy), with equivalent
# settings, interleaved A B A B after one warm-up each. Peak RSS comes from
# /usr/bin/time -v without the pid namespace. Then it times the floor of the
# large workloads and updates the generated part of docs/BENCHMARKS.md.
#
# usage: scripts/bench.sh
# env (defaults in brackets):
#   BENCH_RUNS [5]               timed runs per builder and workload
#   BENCH_WORKLOADS [a b c d e f] a small app (3 stages), b many files,
#                                c one big file, d (a) with a warm remote
#                                cache, e (a) under 5 tags, f (b) with
#                                snapshot mode full
#   BENCH_NETS [direct delay]    loopback, and through the delay proxy
#   BENCH_RTT [20ms]             the proxy's round trip
#   BENCH_FILES [20000] BENCH_MANY_MB [200] BENCH_BIG_MB [300]  sizes
#   BENCH_NOCC [b c]             workloads also run with the executor's
#                                --compressed-caching=false ("" for none)
#   BENCH_ZSTD [b c]             workloads also run with kaniko-ecr's
#                                PLUGIN_COMPRESSION=zstd ("" for none)
#   BENCH_ROOTS [/dev/shm]       where the sandboxes' roots go: a tmpfs by
#                                default (see docs/BENCHMARKS.md: this
#                                VM's disk made identical runs vary 2x);
#                                "disk" for the work directory
#   BENCH_BASE [oci]             the base image's media types: oci (as
#                                Docker Hub's official images) or docker
#   BENCH_OUT [docs/BENCHMARKS.md]  "-": write no document
#   BENCH_PLUGIN_ENV             more settings for kaniko-ecr's runs,
#                                space-separated (PLUGIN_PROVENANCE=false)
#   BENCH_EXECUTOR               a kaniko executor binary to use instead
#                                of building one (cached under
#                                ${XDG_CACHE_HOME:-~/.cache}/kaniko-ecr-bench)
#   BENCH_KEEP=1                 keep the work directory (logs, results)
#   BENCH_PROFILE=1              after the timed runs of each workload and
#                                net, one more plugin run, not counted in
#                                them, with KANIKO_ECR_PROFILE (CPU,
#                                allocation and wall-clock profiles, phase
#                                times, in the work directory's
#                                profile/NET-WORKLOAD: keep it with
#                                BENCH_KEEP=1); benchtool profile splits each
#                                into parts, the floor is also timed in
#                                parts (tar, gzip), and the report gets
#                                "Where the time goes"
# Needs: go, bwrap, /usr/bin/time, tar, gzip, docker-registry (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_DIR=$PWD

RUNS=${BENCH_RUNS:-5}
WORKLOADS=${BENCH_WORKLOADS:-a b c d e f}
NETS=${BENCH_NETS:-direct delay}
RTT=${BENCH_RTT:-20ms}
FILES=${BENCH_FILES:-20000}
MANY_MB=${BENCH_MANY_MB:-200}
BIG_MB=${BENCH_BIG_MB:-300}
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
NOCC=${BENCH_NOCC-b c}
ZSTD=${BENCH_ZSTD-b c}
BASE=${BENCH_BASE:-oci}
case $BASE in oci) BASE_REPO=base/busybox-oci ;; docker) BASE_REPO=base/busybox ;; *) echo "bench.sh: BENCH_BASE must be oci or docker" >&2; exit 2 ;; esac
PROFILE=${BENCH_PROFILE:-0}
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "bench.sh: BENCH_RUNS must be 1..99" >&2; exit 2; }
for w in $WORKLOADS; do [[ $w =~ ^[a-f]$ ]] || { echo "bench.sh: unknown workload $w" >&2; exit 2; }; done
for n in $NETS; do [[ $n =~ ^(direct|delay)$ ]] || { echo "bench.sh: unknown net $n" >&2; exit 2; }; done
[[ $PROFILE =~ ^[01]$ ]] || { echo "bench.sh: BENCH_PROFILE must be 0 or 1" >&2; exit 2; }
for t in go bwrap /usr/bin/time tar gzip; do
  command -v "$t" >/dev/null || { echo "bench.sh: $t not found" >&2; exit 127; }
done

NAME=bench
. scripts/benchlib.sh
bench_workdir
log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- binaries -------------------------------------------------------------
log "building kaniko-ecr and the helpers"
PLUGIN_BIN=$W/bin/kaniko-ecr
scripts/build.sh "$PLUGIN_BIN" >/dev/null
for c in local-ecr delayproxy benchtool; do
  CGO_ENABLED=0 go build -trimpath -o "$W/bin/$c" "./scripts/$c"
done
BT=$W/bin/benchtool

KANIKO_VERSION=$(go list -m -f '{{.Version}}' github.com/chainguard-dev/kaniko)
EXEC_BIN=$(scripts/executor.sh)

# --- workloads ------------------------------------------------------------
log "generating workloads"
"$BT" gen -kind small -dir "$W/ctx/small"
case " $WORKLOADS " in *" b "* | *" f "*)
  "$BT" gen -kind many -dir "$W/ctx/many" -files "$FILES" -bytes $((MANY_MB * 1000000)) ;;
esac
case " $WORKLOADS " in *" c "*) "$BT" gen -kind big -dir "$W/ctx/big" -bytes $((BIG_MB * 1000000)) ;; esac
ctx_of() { case $1 in a | d | e) echo small ;; b | f) echo many ;; c) echo big ;; esac; }

# --- registry, proxy, credentials -----------------------------------------
# Every run pushes to a repository of its own, so no run finds its blobs
# already there.
repos=()
for n in $NETS; do
  for w in $WORKLOADS; do for t in plugin plugin-zstd executor executor-nocc; do for i in $(seq 0 "$RUNS"); do
    repos+=("bench/$n-$w-$t-$i")
  done; done; done
  if [ "$PROFILE" = 1 ]; then for w in $WORKLOADS; do repos+=("bench/$n-$w-plugin-profile"); done; fi
  repos+=("bench/$n-cache-plugin" "bench/$n-cache-executor")
done
log "starting the local ECR stand-in"
bench_local_ecr "${repos[@]}"

PX=
case " $NETS " in *" delay "*)
  "$W/bin/delayproxy" -target "$REG" -rtt "$RTT" -addr-file "$W/proxy.addr" >"$W/logs/delayproxy.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 40); do [ -s "$W/proxy.addr" ] && break; sleep 0.25; done
  PX=$(cat "$W/proxy.addr")
  ;;
esac
host_of() { if [ "$1" = delay ]; then echo "$PX"; else echo "$REG"; fi; }
# kaniko's executor gets what the plugin writes for itself: the ECR token.
"$BT" docker-config -dir "$W/dockercfg" -registry "$REG${PX:+,$PX}"

RESULTS=$W/results.tsv
printf '# net\tworkload\ttool\trun\twall_s\tmaxrss_kib\tcpu_s\n' >"$RESULTS"
SIZES=$W/sizes.tsv
printf '# net\tworkload\ttool\trun\tbytes\n' >"$SIZES"
PROFILES=$W/profiles.tsv
printf '# net\tworkload\tkind\tphase\tpart\towner\tseconds\n' >"$PROFILES"


# build TOOL NET WORKLOAD RUN: one sandboxed build and push, timed. RUN
# "profile": the plugin with KANIKO_ECR_PROFILE, split into parts by
# benchtool profile and left out of the timed results.
build() {
  local tool=$1 net=$2 wl=$3 run=$4
  local host repo ctx id snap=redo tags=latest
  host=$(host_of "$net")
  repo=bench/$net-$wl-$tool-$run
  ctx=$W/ctx/$(ctx_of "$wl")
  id=$net-$wl-$tool-$run
  [ "$wl" = f ] && snap=full
  [ "$wl" = e ] && tags=t1,t2,t3,t4,t5
  local env=(SANDBOX_NOPIDNS=1 "SANDBOX_ROOTS=$ROOTS" "SANDBOX_WRAP=/usr/bin/time -v -o $W/time/$id")
  local status=0
  if [ "$tool" = plugin ] || [ "$tool" = plugin-zstd ]; then
    env+=("PLUGIN_REGISTRY=$host" "PLUGIN_REPO=$repo" "PLUGIN_TAGS=$tags" "PLUGIN_SNAPSHOT_MODE=$snap"
      "PLUGIN_BUILD_ARGS=BASE_IMAGE=$host/$BASE_REPO:latest")
    [ "$tool" = plugin-zstd ] && env+=(PLUGIN_COMPRESSION=zstd)
    # shellcheck disable=SC2206 # split on purpose: one setting per word
    [ -n "${BENCH_PLUGIN_ENV:-}" ] && env+=($BENCH_PLUGIN_ENV)
    [ "$wl" = d ] && env+=(PLUGIN_ENABLE_CACHE=true "PLUGIN_CACHE_REPO=bench/$net-cache-plugin")
    # sandbox.sh binds the profile directory at /kaniko/profile, which
    # kaniko never snapshots.
    [ "$run" = profile ] && env+=("KANIKO_ECR_PROFILE=$W/profile/$net-$wl")
    env "${env[@]}" scripts/sandbox.sh "$PLUGIN_BIN" "$ctx" "$CA_BUNDLE" >"$W/logs/$id.log" 2>&1 || status=$?
  else
    # --force: the executor's container check looks at /proc/1, which the
    # sandbox shares with the host when there is no pid namespace.
    local args=(--force --dockerfile=/harness/Dockerfile --context=dir:///harness "--snapshot-mode=$snap"
      "--build-arg=BASE_IMAGE=$host/$BASE_REPO:latest")
    local t
    for t in ${tags//,/ }; do args+=("--destination=$host/$repo:$t"); done
    [ "$wl" = d ] && args+=(--cache=true "--cache-repo=$host/bench/$net-cache-executor")
    # kaniko-ecr does not keep compressed layers in memory; this run shows
    # the executor with that one default changed.
    [ "$tool" = executor-nocc ] && args+=(--compressed-caching=false)
    env+=(SANDBOX_BIN_PATH=/kaniko/executor "SANDBOX_BIND=$W/dockercfg:/kaniko/.docker")
    # The executor reads credentials from the docker config only.
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL_ECR -u AWS_ENDPOINT_URL_STS \
      "${env[@]}" scripts/sandbox.sh "$EXEC_BIN" "$ctx" "$CA_BUNDLE" "${args[@]}" >"$W/logs/$id.log" 2>&1 || status=$?
  fi
  if [ "$status" != 0 ]; then
    echo "bench.sh: $id failed with status $status; its log ends:" >&2
    tail -n 20 "$W/logs/$id.log" >&2
    exit 1
  fi
  if [ "$run" = profile ]; then
    local pd=$W/profile/$net-$wl
    "$BT" profile -in "$pd/cpu.pprof" -phases "$pd/phases.tsv" -wall "$pd/wall.tsv" \
      -net "$net" -workload "$wl" >>"$PROFILES"
    return
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$net" "$wl" "$tool" "$run" "$(timev "$W/time/$id")" >>"$RESULTS"
  case $tool-$run in plugin*-[0-9]*)
    # The summary's "size: 103.2 MiB": what the push sent.
    sed -n 's/.*msg="size: \([0-9.]*\) \([KMG]*\)i*B".*/\1 \2/p' "$W/logs/$id.log" | tail -n 1 |
      awk -v k="$net\t$wl\t$tool\t$run" '{ m = 1; if ($2 == "K") m = 1024; if ($2 == "M") m = 1048576; if ($2 == "G") m = 1073741824
        printf "%s\t%.0f\n", k, $1 * m }' >>"$SIZES" ;;
  esac
}

# --- builds, interleaved ----------------------------------------------------
for net in $NETS; do
  for wl in $WORKLOADS; do
    log "$net ($wl): warm-up and $RUNS runs each"
    for i in $(seq 0 "$RUNS"); do
      build plugin "$net" "$wl" "$i"
      build executor "$net" "$wl" "$i"
      case " $NOCC " in *" $wl "*) build executor-nocc "$net" "$wl" "$i" ;; esac
      case " $ZSTD " in *" $wl "*) build plugin-zstd "$net" "$wl" "$i" ;; esac
    done
    if [ "$PROFILE" = 1 ]; then
      log "$net ($wl): one profiled run"
      build plugin "$net" "$wl" profile
    fi
  done
done

# --- the floor ------------------------------------------------------------
# tar of the context through gzip at kaniko's level (1) to /dev/null, with
# GNU gzip and with Go's compress/gzip (what kaniko uses); then a push of a
# one-layer image made of those bytes. The compression part does not depend
# on the network, so it is timed once and counted for every net.
for wl in b c; do
  case " $WORKLOADS " in *" $wl "*) ;; *) continue ;; esac
  ctx=$W/ctx/$(ctx_of "$wl")
  log "floor ($wl)"
  tar -C "$ctx" -cf - . | "$BT" gzip -level 1 >"$W/floor-$wl.tar.gz"
  # For "Where the time goes": the floor in parts, tar alone (through cat:
  # GNU tar reads no file data when it writes to /dev/null) and Go's gzip
  # alone, of a tar file read back from the page cache.
  if [ "$PROFILE" = 1 ]; then
    tar -C "$ctx" -cf "$W/floor-$wl.tar" .
    for i in $(seq 0 "$RUNS"); do
      /usr/bin/time -v -o "$W/time/floor-$wl-tar-$i" sh -c "tar -C '$ctx' -cf - . | cat >/dev/null"
      /usr/bin/time -v -o "$W/time/floor-$wl-gogzip-$i" sh -c "'$BT' gzip -level 1 <'$W/floor-$wl.tar' >/dev/null"
      for net in $NETS; do
        printf '%s\t%s\ttar\t%s\t%s\t0\n' "$net" "$wl" "$i" "$(timev "$W/time/floor-$wl-tar-$i" | cut -f1)" >>"$RESULTS"
        printf '%s\t%s\tgogzip\t%s\t%s\t0\n' "$net" "$wl" "$i" "$(timev "$W/time/floor-$wl-gogzip-$i" | cut -f1)" >>"$RESULTS"
      done
    done
    rm -f "$W/floor-$wl.tar"
  fi
  for i in $(seq 0 "$RUNS"); do
    for kind in tar-gzip tar-gogzip; do
      if [ $kind = tar-gzip ]; then z="gzip -1"; else z="$BT gzip -level 1"; fi
      /usr/bin/time -v -o "$W/time/floor-$wl-$kind-$i" sh -c "tar -C '$ctx' -cf - . | $z >/dev/null"
      for net in $NETS; do
        printf '%s\t%s\t%s\t%s\t%s\t0\n' "$net" "$wl" "$kind" "$i" "$(timev "$W/time/floor-$wl-$kind-$i" | cut -f1)" >>"$RESULTS"
      done
    done
    # Over HTTP/2 (go-containerregistry's default) and HTTP/1.1: the
    # floor is the faster.
    for net in $NETS; do
      for kind in push push-h1; do
        h2=1
        [ $kind = push-h1 ] && h2=0
        s=$(GODEBUG=http2client=$h2 SSL_CERT_FILE=$CA_BUNDLE DOCKER_CONFIG=$W/dockercfg "$BT" push-layer \
          -layer "$W/floor-$wl.tar.gz" -ref "$(host_of "$net")/bench/floor-$net-$wl-$kind-$i:latest")
        printf '%s\t%s\t%s\t%s\t%s\t0\n' "$net" "$wl" "$kind" "$i" "$s" >>"$RESULTS"
      done
    done
  done
done

# --- report ---------------------------------------------------------------
cmdline="scripts/bench.sh"
for v in BENCH_RUNS BENCH_PLUGIN_ENV BENCH_WORKLOADS BENCH_NETS BENCH_RTT BENCH_FILES BENCH_MANY_MB BENCH_BIG_MB BENCH_NOCC BENCH_ZSTD BENCH_BASE BENCH_ROOTS BENCH_PROFILE; do
  [ -n "${!v+x}" ] && cmdline="$v=\"${!v}\" $cmdline"
done
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'mem\t%s\n' "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  printf 'kernel\tLinux %s\n' "$(uname -r)"
  printf 'go\t%s\n' "$(go env GOVERSION)"
  printf 'kaniko\t%s\n' "$KANIKO_VERSION"
  printf 'runs\t%s\n' "$RUNS"
  printf 'nets\t%s\n' "$NETS"
  printf 'rtt\t%s\n' "$RTT"
  printf 'files\t%s\nmany_mb\t%s\nbig_mb\t%s\n' "$FILES" "$MANY_MB" "$BIG_MB"
  printf 'command\t%s\n' "$cmdline"
  printf 'base\t%s\n' "$BASE"
  printf 'roots\t%s\n' "$(stat -f -c %T "$ROOTS")"
} >"$W/meta.tsv"
if [ "$OUT" != - ]; then
  mkdir -p "$(dirname "$OUT")"
  "$BT" report -results "$RESULTS" -meta "$W/meta.tsv" -profiles "$PROFILES" -sizes "$SIZES" -out "$OUT"
  log "wrote $OUT"
fi
if [ "${BENCH_KEEP:-0}" = 1 ]; then
  log "results: $RESULTS"
  if [ "$PROFILE" = 1 ]; then log "profiles: $W/profile (split: $PROFILES)"; fi
else
  cat "$RESULTS"
  if [ "$PROFILE" = 1 ]; then cat "$PROFILES"; fi
fi
