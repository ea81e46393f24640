#!/usr/bin/env bash
# bench/scenarios/datonow_post.sh: acknowledged Datonow POST /api/message per second with the
# store's `always` sync (one write + one fdatasync per control-plane turn: group commit) at 1,
# 16 and 256 concurrent clients (docs/benchmarks.md, "Datonow POST /api/message").
# ringcast runs --shards 1 pinned to CPU ${SERVER_CPU:-0} with a fresh --data-dir and the REST
# rate limit off (datonow_api_requests_per_minute 0); the loader (datonow_post.js, one node
# process) runs on CPU ${LOADER_CPU:-1}. Each level runs DURATION seconds after a 1 s warm-up,
# on a fresh store, with APPS (64) apps so that no app reaches its cap of 10,000 stored messages.
# Usage: bench/scenarios/datonow_post.sh [--clients 1,16,256] [--duration 5] [--sync always]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN=${RINGCAST_BIN:-$ROOT/build/ringcast}
CLIENTS=1,16,256
DURATION=5
SYNC=always
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) CLIENTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --sync) SYNC=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
PORT=${PORT:-6091}
APPS=${APPS:-64}
for c in ${CLIENTS//,/ }; do
  DIR=$(mktemp -d /tmp/ringcast-datonow-bench-XXXXXX)
  node -e 'const n = +process.argv[1]; console.log(JSON.stringify({ apps: Array.from({ length: n },
    (_, i) => ({ id: `bench-${i}`, key: `bench-key-${i}`, secret: `secret-${i}` })) }))' "$APPS" >"$DIR/config.json"
  taskset -c "${SERVER_CPU:-0}" "$BIN" --shards 1 --port "$PORT" --host 127.0.0.1 --data-dir "$DIR" \
    --config "$DIR/config.json" --store-sync "$SYNC" --datonow-api-requests-per-minute 0 --log-level warn >"$DIR/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.05
  done
  taskset -c "${LOADER_CPU:-1}" node "$ROOT/bench/scenarios/datonow_post.js" --port "$PORT" \
    --clients "$c" --apps "$APPS" --duration "$DURATION" --server-pid "$PID"
  # The group commit's figures over the whole run (warm-up included): records per sync.
  curl -s "http://127.0.0.1:$PORT/metrics" | awk -v c="$c" '
    /^ringcast_wal_commits_total /{commits=$2} /^ringcast_wal_records_total /{records=$2}
    /^ringcast_wal_fsync_seconds_count /{syncs=$2} /^ringcast_wal_fsync_seconds_sum /{sum=$2}
    END{printf "{\"clients\":%d,\"wal_commits\":%d,\"wal_records\":%d,\"fsyncs\":%d,\"records_per_sync\":%.1f,\"fsync_mean_ms\":%.3f}\n",
        c, commits, records, syncs, syncs ? records / syncs : 0, syncs ? 1000 * sum / syncs : 0}'
  kill -TERM "$PID"
  wait "$PID" || true
  rm -rf "$DIR"
done
