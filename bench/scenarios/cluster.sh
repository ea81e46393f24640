#!/usr/bin/env bash
# bench/scenarios/cluster.sh: what cluster mode (issue 13, docs/cluster.md) costs. The same
# fan-out three ways, against fresh ringcast nodes each time (lib.sh: one shard pinned to
# SERVER_CPU, the bench on LOADER_CPU): `single` (no Redis), `cluster` (one node, --redis-url
# to a redis-server started here, pinned to SERVER_CPU too, so that ringcast and Redis share
# the server's core as they would share a host) and `two` (two nodes on that core and that
# Redis: the publisher posts to the first, the subscribers are split over both, and the
# ringcast CPU is both nodes' sum: ringcast-bench --publish-port, --subscribe-ports and
# --server-pid A,B). In cluster mode every publish goes to Redis
# (SPUBLISH, or the history script: every channel keeps history by default) and is delivered
# from its echo, and the REST answer waits for Redis' reply. One channel x --subs subscribers
# (1000), --payload bytes (128); cases sat1 (one publisher at max rate: what the round trip to
# Redis costs in events/s) and lat60 (60 events/s: the added latency), the modes
# interleaved in every repetition and their order reversed every other one.
# Reported per case and mode (medians over the repetitions, and the range): events/s,
# deliveries/s, ringcast CPU-us per delivery, Redis CPU-us per event (utime+stime of
# redis-server over the bench run / events accepted), publish-to-receive latency p50/p99 and
# the REST ack p99; then the cluster/single and two/single ratios and the added p99 latency.
# Results: $OUT_DIR/results.jsonl (scenario "cluster", field `mode`); the table is printed and
# written to $OUT_DIR/cluster-summary.md.
# Usage: bench/scenarios/cluster.sh [--subs 1000] [--payload 128] [--cases sat1,lat60]
#          [--modes single,cluster,two] [--reps 3] [--duration 5]
# Functional check on a busy machine (numbers not to be quoted):
#   SKIP_QUIET_CHECK=1 bench/scenarios/cluster.sh --subs 100 --reps 1 --duration 2
DURATION=${DURATION:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CL_SUBS=${CL_SUBS:-1000}
CL_PAYLOAD=${CL_PAYLOAD:-128}
REDIS_PID=""
REDIS_PORT=$((PORT_BASE + 250))
NODE2_PID=""
NODE2_PORT=$((PORT_BASE + 240))

node2_stop() {
  [[ -n $NODE2_PID ]] || return 0
  stop_pid "$NODE2_PID"
  NODE2_PID=""
}

cleanup() {
  server_stop
  node2_stop
  [[ -n $REDIS_PID ]] && kill -KILL "$REDIS_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT

redis_start() {
  command -v redis-server >/dev/null || { log "redis-server is required (tools/dev installs it)"; exit 2; }
  taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --logfile "$OUT_DIR/logs/redis.log" &
  REDIS_PID=$!
  local _
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "redis-server did not start"
  exit 2
}

# CPU seconds (user + system) of a process so far.
cpu_s() {
  awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"
}

# wait_ready PORT: until the node's /ready is 200 (its Redis link is up), at most 5 s.
wait_ready() {
  local _
  for _ in $(seq 50); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready") == 200 ]] && return 0
    sleep 0.1
  done
  log "node on port $1 not ready"
}

# node2_start: the second node of mode `two`, like server_start's ringcast on NODE2_PORT.
node2_start() {
  local extra=()
  read -ra extra <<< "${RINGCAST_ARGS:-}"
  taskset -c "$SERVER_CPU" "$RINGCAST_BIN" --host 127.0.0.1 --port "$NODE2_PORT" --shards 1 \
    --pin-cpus "$SERVER_CPU" --log-level warn --data-dir "$OUT_DIR/ringcast-data-2" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT" "${extra[@]}" \
    > "$OUT_DIR/logs/node2-$RUN_SEQ.log" 2>&1 &
  NODE2_PID=$!
  wait_ready "$NODE2_PORT"
}

# cluster_run MODE CASE REP: MODE single, cluster or two.
cluster_run() {
  local mode=$1 kase=$2 rep=$3
  local args=(--connections "$CL_SUBS" --channels 1 --payload-bytes "$CL_PAYLOAD"
              --duration "$DURATION" --warmup "$WARMUP" --drain 15 --connect-timeout 60
              --allow-loss)
  case $kase in
    sat1) args+=(--publishers 1 --rate max) ;;
    lat60) args+=(--publishers 1 --rate 60) ;;
    *) log "unknown case $kase"; return 1 ;;
  esac
  local saved=${RINGCAST_ARGS:-}
  if [[ $mode != single ]]; then
    RINGCAST_ARGS="$saved --redis-url redis://127.0.0.1:$REDIS_PORT"
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
  fi
  server_start ringcast || { RINGCAST_ARGS=$saved; return 0; }
  RINGCAST_ARGS=$saved
  if [[ $mode != single ]]; then wait_ready "$SERVER_PORT"; fi
  if [[ $mode == two ]]; then
    node2_start
    args+=(--publish-port "$SERVER_PORT" --subscribe-ports "$SERVER_PORT,$NODE2_PORT"
           --server-pid "$SERVER_PID,$NODE2_PID")
  fi
  log "cluster $kase $mode subs=$CL_SUBS payload=$CL_PAYLOAD rep=$rep"
  local before after
  before=$(cpu_s "$REDIS_PID")
  run_bench "$(jq -cn --arg c "$kase" --arg m "$mode" --argjson s "$CL_SUBS" \
      --argjson p "$CL_PAYLOAD" --argjson r "$rep" \
      '{scenario: "cluster", case: $c, mode: $m, subs: $s, channels: 1, payload: $p, rep: $r}')" \
    "${args[@]}"
  after=$(cpu_s "$REDIS_PID")
  # The Redis CPU of this run, added to the line run_bench just wrote.
  local tmp="$RESULTS.tmp"
  head -n -1 "$RESULTS" > "$tmp"
  tail -n 1 "$RESULTS" | jq -c --argjson rc "$(awk -v a="$after" -v b="$before" \
    'BEGIN { printf "%.3f", a - b }')" '. + {redis_cpu_s: $rc}' >> "$tmp"
  mv "$tmp" "$RESULTS"
  server_stop
  node2_stop
}

cluster_summary() {
  jq -rs '
    def median: sort | if length == 0 then null else .[(length / 2 | floor)] end;
    def fmt(d): if . == null then "-" else (. * pow(10; d) | round / pow(10; d) | tostring) end;
    [.[] | select(.scenario == "cluster" and .bench != null)]
    | group_by(.case) | map(
        . as $runs | (.[0].case) as $case
        | ["single", "cluster", "two"] | map(. as $m | [$runs[] | select(.mode == $m)] | {
            mode: $m, n: length,
            eps: ([.[].bench.publish.events_per_s] | median),
            dps: ([.[].bench.deliveries.per_s] | median),
            cpu: ([.[].bench.server.cpu_us_per_delivery] | median),
            cpu_range: ([.[].bench.server.cpu_us_per_delivery] | [min, max]),
            redis: ([.[] | (.redis_cpu_s * 1e6 / ([.bench.publish.events_accepted, 1] | max))]
                    | median),
            p50: ([.[].bench.latency_us.p50] | median),
            p99: ([.[].bench.latency_us.p99] | median),
            ack99: ([.[].bench.publish.ack_latency_us.p99] | median),
            lost: ([.[].bench.deliveries.lost] | add)
          })
        | . as $rows
        | "### \($case)\n\n| mode | runs | events/s | deliveries/s | ringcast CPU-us/delivery (range) | Redis CPU-us/event | latency p50 / p99 us | ack p99 us | lost |\n|---|---|---|---|---|---|---|---|---|\n"
          + ($rows | map(select(.n > 0)) | map("| \(.mode) | \(.n) | \(.eps | fmt(0)) | \(.dps | fmt(0)) | \(.cpu | fmt(3)) (\(.cpu_range[0] | fmt(3))-\(.cpu_range[1] | fmt(3))) | \(.redis | fmt(1)) | \(.p50 | fmt(0)) / \(.p99 | fmt(0)) | \(.ack99 | fmt(0)) | \(.lost) |") | join("\n"))
          + "\n\n" + ([$rows[1], $rows[2]] | map(select(.n > 0) | "\(.mode)/single: events/s \(((.eps // 0) / ([$rows[0].eps // 1, 1] | max)) | fmt(2))x, deliveries per ringcast CPU-second \((([$rows[0].cpu // 0, 0.0001] | max) / ([.cpu // 0, 0.0001] | max)) | fmt(2))x, p99 latency +\(((.p99 // 0) - ($rows[0].p99 // 0)) | fmt(0)) us") | join("\n")) + "\n")
    | join("\n")' "$RESULTS" | tee "$OUT_DIR/cluster-summary.md"
}

cluster_main() {
  local cases=sat1,lat60 modes=single,cluster,two rep kase order mode
  while (($#)); do
    case $1 in
      --subs) CL_SUBS=$2 ;;
      --payload) CL_PAYLOAD=$2 ;;
      --cases) cases=$2 ;;
      --modes) modes=$2 ;;
      --reps) REPS=$2 ;;
      --duration) DURATION=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools --no-peers
  command -v curl >/dev/null || { log "curl is required"; exit 2; }
  machine_info
  wait_quiet
  redis_start
  for rep in $(seq "$REPS"); do
    for kase in ${cases//,/ }; do
      # The modes in turn, their order reversed every other repetition.
      order=${modes//,/ }
      if (( rep % 2 == 0 )); then order=$(tr ' ' '\n' <<< "$order" | tac | tr '\n' ' '); fi
      for mode in $order; do cluster_run "$mode" "$kase" "$rep"; done
    done
  done
  cluster_summary
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then cluster_main "$@"; fi
