# bench/scenarios/lib.sh: helpers shared by the scenario scripts (sourced, never run).
#
# Contract: every scenario starts the server under test pinned to $SERVER_CPU (default 0) with
# taskset (ringcast with --shards 1 --pin-cpus $SERVER_CPU, so its control plane shares the
# core; a peer under node), runs the load (ringcast-bench or floor_bench's receiver) pinned to
# $LOADER_CPU (default 1), and has ringcast-bench read the server's CPU time (all threads,
# /proc/PID/task/*/schedstat, ns) at the start and end of the measured window (--server-pid).
# Each run appends one JSON line to $OUT_DIR/results.jsonl:
#   {"scenario","case","server","subs","channels","payload","rep", ..., "bench":{...}}
# where "bench" is ringcast-bench's --json summary or floor_bench's JSON, and "load1" the
# 1-minute load average when the run started. summarize.js turns the file into tables
# (median and min-max over the repetitions) and ratios.
# Every process started here is killed by its PID (server_stop, and the EXIT trap).
# Server kinds: ringcast (RINGCAST_BIN), ringcast-prev (PREV_RINGCAST_BIN, default
# build-prev/ringcast: an earlier build, same flags, for side-by-side sessions of a change; see
# docs/benchmarks.md), ringcast-dialogue (ringcast with Dialogue rooms bench-0 ..
# bench-$DIALOGUE_ROOMS-1 in its config, driven as Socket.IO clients speaking Dialogue: the bench's
# --protocol dialogue), ws and socketio (the node peers).
# Environment knobs: BUILD (build dir), OUT_DIR, REPS (>= 3), DURATION (s), WARMUP (s),
# SERVER_CPU, LOADER_CPU, PORT_BASE, SOURCE_IPS, MAX_LOAD (0.6), QUIET_WAIT_S (2400),
# SKIP_QUIET_CHECK=1 (functional runs only: numbers from a busy machine are not to be quoted).
set -euo pipefail
[[ -n ${RC_SCEN_LIB_LOADED:-} ]] && return 0
RC_SCEN_LIB_LOADED=1

SCEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCEN_DIR/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BENCH_BIN=${BENCH_BIN:-$BUILD/tools/ringcast-bench}
FLOOR_BIN=${FLOOR_BIN:-$BUILD/bench/floor_bench}
RINGCAST_BIN=${RINGCAST_BIN:-$BUILD/ringcast}
PREV_RINGCAST_BIN=${PREV_RINGCAST_BIN:-$ROOT/build-prev/ringcast}
PEERS_DIR=$ROOT/bench/peers
SERVER_CPU=${SERVER_CPU:-0}
LOADER_CPU=${LOADER_CPU:-1}
REPS=${REPS:-3}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
SOURCE_IPS=${SOURCE_IPS:-8}
PORT_BASE=${PORT_BASE:-6300}
MAX_LOAD=${MAX_LOAD:-0.6}
QUIET_WAIT_S=${QUIET_WAIT_S:-2400}
OUT_DIR=${OUT_DIR:-$BUILD/bench-results/$(date +%Y%m%d-%H%M%S)}
RESULTS=$OUT_DIR/results.jsonl
mkdir -p "$OUT_DIR/raw" "$OUT_DIR/logs"

SERVER_PID=""
SERVER_KIND=""
SERVER_PORT=0
RUN_SEQ=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# check_tools [--no-peers]: the binaries, jq, and (unless --no-peers: ringcast-only scenarios)
# the node peers.
check_tools() {
  local f
  for f in "$BENCH_BIN" "$FLOOR_BIN" "$RINGCAST_BIN"; do
    [[ -x $f ]] || { log "missing $f: build first (ninja -C build -j2)"; exit 2; }
  done
  if [[ ${1:-} != --no-peers ]] &&
     [[ ! -d $PEERS_DIR/node_modules/socket.io || ! -d $PEERS_DIR/node_modules/ws ]]; then
    log "missing peers: (cd bench/peers && npm ci)"
    exit 2
  fi
  command -v jq >/dev/null || { log "jq is required"; exit 2; }
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# Other people's work that would disturb a measurement: builds, test runs, servers, fuzzers.
foreign_busy() {
  local me=$$
  ps -eo pid=,args= | awk -v me="$me" -v sp="${SERVER_PID:-0}" '
    $1 == me || $1 == sp { next }
    /awk -v me/ { next }
    /(^|\/)ninja( |$)|node --test|\/ringcast( |$)|ringcast-bench|floor_bench|fuzz|cc1plus/ {
      print; found = 1 }
    END { exit found ? 0 : 1 }'
}

# Waits until the 1-minute load is below MAX_LOAD and nothing foreign runs (up to
# QUIET_WAIT_S, checking every 120 s, or 30 s when only the load of our own last runs is
# left; then goes on and says so). Records the load.
wait_quiet() {
  [[ ${SKIP_QUIET_CHECK:-0} == 1 ]] && { log "quiet check skipped (load $(load1))"; return; }
  local waited=0
  while :; do
    local l busy=""
    l=$(load1)
    busy=$(foreign_busy || true)
    if awk -v l="$l" -v m="$MAX_LOAD" 'BEGIN { exit !(l < m) }' && [[ -z $busy ]]; then
      log "machine quiet: load $l"
      echo "{\"event\":\"quiet\",\"load1\":$l,\"waited_s\":$waited}" >> "$OUT_DIR/session.jsonl"
      return
    fi
    if (( waited >= QUIET_WAIT_S )); then
      log "WARNING: still busy after ${waited}s (load $l); measuring anyway"
      echo "{\"event\":\"busy\",\"load1\":$l,\"waited_s\":$waited}" >> "$OUT_DIR/session.jsonl"
      return
    fi
    # Others' work: wait 120 s. Only the load of our own runs that just ended (the 1-minute
    # average decays with a 1-minute time constant): check again after 30 s.
    local pause=120
    [[ -z $busy ]] && pause=30
    log "busy (load $l${busy:+; $(head -3 <<< "$busy" | cut -c1-100 | tr '\n' ';')}); waiting ${pause} s"
    sleep "$pause"
    waited=$((waited + pause))
  done
}

machine_info() {
  local cpu commit
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
  jq -cn --arg nproc "$(nproc)" --arg cpu "$cpu" \
    --arg kernel "$(uname -r)" --arg nofile "$(ulimit -Hn)" --arg node "$(node --version)" \
    --arg mem "$(awk '/MemTotal/ {print $2}' /proc/meminfo)" --arg load "$(cat /proc/loadavg)" \
    --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg commit "$commit" \
    '{event:"machine", nproc:$nproc, cpu:$cpu, kernel:$kernel, nofile_hard:$nofile, node:$node,
      mem_kb:$mem, loadavg:$load, date:$date, commit:$commit}' >> "$OUT_DIR/session.jsonl"
}

# dialogue_config FILE: a config whose Dialogue rooms are the bench's channels (any event, every
# member subscribed to all; DIALOGUE_ROOMS of them, default 1000).
dialogue_config() {
  local n=${DIALOGUE_ROOMS:-1000}
  jq -cn --argjson n "$n" '{dialogue: {rooms: [range($n) | "bench-\(.)" |
    {id: ., name: ., events: ["*"], defaultSubscriptions: ["*"]}]}}' > "$1"
}

# server_start KIND: ringcast | ringcast-prev | ringcast-dialogue | ws | socketio. Sets
# SERVER_PID, SERVER_PORT.
server_start() {
  SERVER_KIND=$1
  RUN_SEQ=$((RUN_SEQ + 1))
  SERVER_PORT=$((PORT_BASE + RUN_SEQ % 200))
  local logf="$OUT_DIR/logs/server-$RUN_SEQ-$SERVER_KIND.log"
  local extra=()
  read -ra extra <<< "${RINGCAST_ARGS:-}"
  ulimit -n "$(ulimit -Hn)"
  case $SERVER_KIND in
    ringcast | ringcast-prev | ringcast-dialogue)
      local bin=$RINGCAST_BIN
      if [[ $SERVER_KIND == ringcast-dialogue ]]; then
        dialogue_config "$OUT_DIR/dialogue-config.json"
        extra+=(--config "$OUT_DIR/dialogue-config.json")
      fi
      if [[ $SERVER_KIND == ringcast-prev ]]; then
        bin=$PREV_RINGCAST_BIN
        [[ -x $bin ]] || { log "missing $bin: build the earlier commit there"; exit 2; }
      fi
      taskset -c "$SERVER_CPU" "$bin" --host 127.0.0.1 --port "$SERVER_PORT" --shards 1 \
        --pin-cpus "$SERVER_CPU" --log-level warn --data-dir "$OUT_DIR/ringcast-data" \
        "${extra[@]}" > "$logf" 2>&1 &
      ;;
    ws)
      taskset -c "$SERVER_CPU" node "$PEERS_DIR/ws_server.js" --port "$SERVER_PORT" \
        > "$logf" 2>&1 &
      ;;
    socketio)
      taskset -c "$SERVER_CPU" node "$PEERS_DIR/socketio_server.js" --port "$SERVER_PORT" \
        > "$logf" 2>&1 &
      ;;
    *) log "unknown server $SERVER_KIND"; exit 2 ;;
  esac
  SERVER_PID=$!
  local _
  for _ in $(seq 100); do
    if grep -q "listening on" "$logf" 2>/dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "server $SERVER_KIND did not start:"; cat "$logf" >&2
  server_stop
  return 1
}

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaped.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  local _
  for _ in $(seq 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

server_stop() {
  [[ -n $SERVER_PID ]] || return 0
  stop_pid "$SERVER_PID"
  SERVER_PID=""
}

cleanup() { server_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# reps_by_server FUNC SERVERS: FUNC SERVER REP for every repetition and server (comma list).
reps_by_server() {
  local fn=$1 servers=$2 rep server
  for rep in $(seq "$REPS"); do
    for server in ${servers//,/ }; do "$fn" "$server" "$rep"; done
  done
}

# Direct descriptors (issue 16). bench_direct_args N: the bench's subscribers become io_uring
# direct descriptors, in one registered table per thread of at most 15,000 (a table is capped by
# the open-file limit), so one bench process holds N connections whatever RLIMIT_NOFILE is.
# server_direct_args N: for N over 15,000, ringcast gets --descriptors direct and one shard per
# 15,000 (all on SERVER_CPU; a later --shards overrides server_start's); nothing below that.
# The peers (node) hold regular descriptors, so they stay below the open-file limit.
bench_direct_args() { echo "--descriptors direct --threads $(( ($1 + 14999) / 15000 ))"; }
server_direct_args() {
  if (( $1 > 15000 )); then echo "--descriptors direct --shards $(( ($1 + 14999) / 15000 ))"; fi
}

# bench_protocol KIND: the --protocol the bench speaks to that server (BENCH_PROTOCOL, when
# set, wins: sse_fanout.sh runs SSE subscribers against ringcast).
bench_protocol() {
  if [[ -n ${BENCH_PROTOCOL:-} ]]; then echo "$BENCH_PROTOCOL"; return; fi
  case $1 in
    socketio) echo socketio ;;
    ringcast-dialogue) echo dialogue ;;
    *) echo pusher ;;
  esac
}

# run_bench META_JSON ARGS...: one ringcast-bench run against the running server, pinned to
# the loader core; appends {META..., load1, bench: <summary>} to results.jsonl. Returns the
# bench's exit status (1 = loss, reported in the tables, not fatal).
run_bench() {
  local meta=$1
  shift
  local out="$OUT_DIR/raw/run-$RUN_SEQ.json"
  local l rc=0
  l=$(load1)
  taskset -c "$LOADER_CPU" "$BENCH_BIN" --port "$SERVER_PORT" --server-pid "$SERVER_PID" \
    --protocol "$(bench_protocol "$SERVER_KIND")" --source-ips "$SOURCE_IPS" --quiet \
    --json "$out" "$@" > "$OUT_DIR/logs/run-$RUN_SEQ.txt" 2>&1 || rc=$?
  if [[ -s $out ]]; then
    jq -c --argjson m "$meta" --arg server "$SERVER_KIND" --argjson load1 "$l" --argjson rc "$rc" \
      '$m + {server:$server, load1:$load1, exit:$rc, bench:.}' "$out" >> "$RESULTS"
  else
    log "bench produced no JSON (exit $rc): $(tail -3 "$OUT_DIR/logs/run-$RUN_SEQ.txt")"
    jq -cn --argjson m "$meta" --arg server "$SERVER_KIND" --argjson rc "$rc" \
      '$m + {server:$server, exit:$rc, bench:null}' >> "$RESULTS"
  fi
  return 0
}

# run_floor META_JSON ARGS...: one floor_bench run (sender on the server core, receiver on the
# loader core); appends {META..., server:"floor", bench: <floor JSON>}.
run_floor() {
  local meta=$1
  shift
  RUN_SEQ=$((RUN_SEQ + 1))
  local out="$OUT_DIR/raw/floor-$RUN_SEQ.json"
  local l rc=0
  l=$(load1)
  ulimit -n "$(ulimit -Hn)"
  "$FLOOR_BIN" --sender-cpu "$SERVER_CPU" --receiver-cpu "$LOADER_CPU" --json "$out" "$@" \
    > "$OUT_DIR/logs/floor-$RUN_SEQ.txt" 2>&1 || rc=$?
  if [[ -s $out ]]; then
    jq -c --argjson m "$meta" --argjson load1 "$l" --argjson rc "$rc" \
      '$m + {server:"floor", load1:$load1, exit:$rc, bench:.}' "$out" >> "$RESULTS"
  else
    log "floor_bench failed (exit $rc): $(tail -3 "$OUT_DIR/logs/floor-$RUN_SEQ.txt")"
  fi
  return 0
}

# The frame ringcast and the ws peer send for a bench payload of P bytes:
# {"event":"bench","channel":"bench-0","data":"<P>"} plus the WebSocket header.
pusher_frame_bytes() {
  local body=$(( $1 + 47 ))
  if (( body <= 125 )); then
    echo $((body + 2))
  elif (( body <= 65535 )); then
    echo $((body + 4))
  else
    echo $((body + 10))
  fi
}

summarize() { node "$SCEN_DIR/summarize.js" "$RESULTS" "$OUT_DIR/session.jsonl"; }
