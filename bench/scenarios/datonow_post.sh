#!/usr/bin/env bash
# bench/scenarios/datonow_post.sh: acknowledged Datonow POST /api/message per second with the
# store's `always` sync (one write + one fdatasync per control-plane turn: group commit) at 1,
# 16 and 256 concurrent clients (docs/benchmarks.md, "Datonow POST /api/message").
# ringcast runs --shards 1 pinned to CPU ${SERVER_CPU:-0} with a fresh --data-dir and the REST
# rate limit off (datonow_api_requests_per_minute 0); the loader (datonow_post.js, one node
# process) runs on CPU ${LOADER_CPU:-1}. Each level runs DURATION seconds after a 1 s warm-up,
# on a fresh store, with APPS (64) apps so that no app reaches its cap of 10,000 stored messages.
# --modes single,cluster,two (default single): `cluster` runs the node with --redis-url to a
# redis-server started here (pinned to the server CPU too), `two` runs two such nodes on that
# core with the clients split over them (in cluster mode every write is committed to Redis'
# shared store before its answer: docs/cluster.md, "The Datonow store"); server_cpu_pct is the
# nodes' sum, and redis_cpu_pct is added.
# Usage: bench/scenarios/datonow_post.sh [--clients 1,16,256] [--duration 5] [--sync always]
#          [--modes single,cluster,two] [--reps 1]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN=${RINGCAST_BIN:-$ROOT/build/ringcast}
CLIENTS=1,16,256
DURATION=5
SYNC=always
MODES=single
REPS=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --modes) MODES=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --sync) SYNC=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PORT=${PORT:-6091}
APPS=${APPS:-64}
REDIS_PORT=$((PORT + 50))
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
start_node() {  # DIR PORT [REDIS URL] NAME: starts a node, sets NODE_PID
  local extra=()
  [[ -n ${3:-} ]] && extra=(--redis-url "$3" --cluster-node-id "$4")
  taskset -c "${SERVER_CPU:-0}" "$BIN" --shards 1 --port "$2" --host 127.0.0.1 --data-dir "$1" \
    --config "$DIR/config.json" --store-sync "$SYNC" --datonow-api-requests-per-minute 0 \
    --log-level warn "${extra[@]}" >"$1/server.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$2/ready" >/dev/null 2>&1 && break
    sleep 0.05
  done
}
for rep in $(seq "$REPS"); do
for mode in ${MODES//,/ }; do
for c in ${CLIENTS//,/ }; do
  DIR=$(mktemp -d /tmp/ringcast-datonow-bench-XXXXXX)
  node -e 'const n = +process.argv[1]; console.log(JSON.stringify({ apps: Array.from({ length: n },
    (_, i) => ({ id: `bench-${i}`, key: `bench-key-${i}`, secret: `secret-${i}` })) }))' "$APPS" >"$DIR/config.json"
  URL=""
  REDIS_PID=""
  if [[ $mode != single ]]; then
    taskset -c "${SERVER_CPU:-0}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
      --appendonly no >/dev/null 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do
      redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
    URL="redis://127.0.0.1:$REDIS_PORT"
  fi
  mkdir -p "$DIR/a" "$DIR/b"
  start_node "$DIR/a" "$PORT" "$URL" a
  PID=$NODE_PID
  PIDS=$PID
  PORTS=$PORT
  if [[ $mode == two ]]; then
    start_node "$DIR/b" $((PORT + 1)) "$URL" b
    PID2=$NODE_PID
    PIDS="$PID,$PID2"
    PORTS="$PORT,$((PORT + 1))"
  fi
  R0=$([[ -n $REDIS_PID ]] && ticks "$REDIS_PID" || echo 0)
  T0=$(date +%s.%N)
  LINE=$(taskset -c "${LOADER_CPU:-1}" node "$ROOT/bench/scenarios/datonow_post.js" --port "$PORT" \
    --ports "$PORTS" --clients "$c" --apps "$APPS" --duration "$DURATION" --server-pid "$PIDS")
  R1=$([[ -n $REDIS_PID ]] && ticks "$REDIS_PID" || echo 0)
  T1=$(date +%s.%N)
  # Redis' CPU over the loader's whole run (warm-up included), % of one core.
  RCPU=$(awk -v a="$R0" -v b="$R1" -v t0="$T0" -v t1="$T1" 'BEGIN { printf "%d", (b - a) / (t1 - t0) }')
  echo "${LINE%\}},\"mode\":\"$mode\",\"redis_cpu_pct\":$([[ -n $REDIS_PID ]] && echo "$RCPU" || echo null)}"
  # The group commit's figures over the whole run (warm-up included): records per sync.
  curl -s "http://127.0.0.1:$PORT/metrics" | awk -v c="$c" '
    /^ringcast_wal_commits_total /{commits=$2} /^ringcast_wal_records_total /{records=$2}
    /^ringcast_wal_fsync_seconds_count /{syncs=$2} /^ringcast_wal_fsync_seconds_sum /{sum=$2}
    END{printf "{\"clients\":%d,\"wal_commits\":%d,\"wal_records\":%d,\"fsyncs\":%d,\"records_per_sync\":%.1f,\"fsync_mean_ms\":%.3f}\n",
        c, commits, records, syncs, syncs ? records / syncs : 0, syncs ? 1000 * sum / syncs : 0}'
  for p in ${PIDS//,/ }; do kill -TERM "$p"; wait "$p" || true; done
  if [[ -n $REDIS_PID ]]; then kill -KILL "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
done
done
done
