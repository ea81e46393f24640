#!/usr/bin/env bash
# bench/scenarios/presence_churn.sh: publishing while presence members join and leave.
# ringcast (one shard, pinned to $SERVER_CPU) serves $PC_SUBS ringcast-bench subscribers of
# $PC_CHANNELS channels, published to at $PC_RATE events/s (REST, signed, $PC_PUBLISHERS
# publishers) from $LOADER_CPU. Case "quiet": that alone. Case "churn": the same while
# presence_churn.js (also on $LOADER_CPU) keeps $PC_CONNECTIONS connections joining and leaving
# presence-churn-* channels at $PC_CHURN joins plus leaves per second, and publishes
# $PC_CHURN_PUBLISH events/s to those same presence channels (so their publishes, member events
# and joins meet on the control plane and the shard).
# Limitation: ringcast-bench cannot subscribe presence channels (it sends no channel_data), so
# the latency it measures is that of the public channels next to the churn, on the same control
# plane and shard; the churned channels' own traffic is counted by presence_churn.js.
# Reported per case: publish ack and publish-to-receive latency (p50/p99/max), deliveries, the
# server's CPU, and the churn achieved (joins, leaves, confirmations, member events per second).
# Usage: bench/scenarios/presence_churn.sh [--churn 2000] [--connections 200] [--rate 1000]
#          [--subs 1000] [--reps 3] [--builds new=build/ringcast,old=/path/to/ringcast]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PC_CHURN=${PC_CHURN:-2000}
PC_CONNECTIONS=${PC_CONNECTIONS:-200}
PC_CHURN_CHANNELS=${PC_CHURN_CHANNELS:-20}
PC_CHURN_PUBLISH=${PC_CHURN_PUBLISH:-100}
PC_RATE=${PC_RATE:-1000}
PC_SUBS=${PC_SUBS:-1000}
PC_CHANNELS=${PC_CHANNELS:-10}
PC_PUBLISHERS=${PC_PUBLISHERS:-4}
CHURN_PID=""

churn_stop() {
  [[ -n $CHURN_PID ]] || return 0
  kill -TERM "$CHURN_PID" 2>/dev/null || true
  wait "$CHURN_PID" 2>/dev/null || true
  CHURN_PID=""
}
trap 'churn_stop; server_stop' EXIT

# churn_run BUILD CASE REP (BUILD: LABEL=PATH)
churn_run() {
  local label=${1%%=*} kase=$2 rep=$3
  RINGCAST_BIN=${1#*=}
  local churn_json="$OUT_DIR/raw/churn-$label-$kase-$rep.json"
  server_start ringcast || return 0
  if [[ $kase == churn ]]; then
    taskset -c "$LOADER_CPU" node "$SCEN_DIR/presence_churn.js" --port "$SERVER_PORT" \
      --connections "$PC_CONNECTIONS" --channels "$PC_CHURN_CHANNELS" --rate "$PC_CHURN" \
      --publish-rate "$PC_CHURN_PUBLISH" > "$churn_json" 2>&1 &
    CHURN_PID=$!
    sleep 1
  fi
  log "presence-churn $label $kase rep=$rep"
  run_bench "$(jq -cn --arg c "$kase" --argjson n "$PC_SUBS" --argjson r "$rep" \
      --argjson ch "$PC_CHANNELS" --argjson churn "$PC_CHURN" --arg b "$label" \
      '{scenario: "presence-churn", case: $c, build: $b, subs: $n, channels: $ch,
        payload: 128, rep: $r, churn_per_s: $churn}')" \
    --connections "$PC_SUBS" --channels "$PC_CHANNELS" --payload-bytes 128 --rate "$PC_RATE" \
    --publishers "$PC_PUBLISHERS" --duration "$DURATION" --warmup "$WARMUP" --allow-loss
  churn_stop
  if [[ -s $churn_json ]]; then
    jq -c --arg c "$kase" --argjson r "$rep" --arg b "$label" \
      '{event: "churn", case: $c, build: $b, rep: $r} + .' \
      "$churn_json" >> "$OUT_DIR/session.jsonl"
  fi
  server_stop
}

churn_summary() {
  echo "| build | case | rep | publish ack p50 / p99 / max (ms) | publish-to-receive p50 / p99 / max (ms) | delivered / expected | server CPU, % of a core | churn: joins+leaves/s, confirmed/s, member events/s, refused |"
  echo "|---|---|---|---|---|---|---|---|"
  local line
  while IFS= read -r line; do
    local kase rep build churn
    kase=$(jq -r .case <<< "$line")
    rep=$(jq -r .rep <<< "$line")
    build=$(jq -r .build <<< "$line")
    churn=$(jq -r --arg c "$kase" --argjson r "$rep" --arg b "$build" \
      'select(.event == "churn" and .case == $c and .rep == $r and .build == $b) |
       "\((.joins + .leaves) / .seconds | floor), \(.succeeded / .seconds | floor), \((.member_added + .member_removed) / .seconds | floor), \(.refused)"' \
      "$OUT_DIR/session.jsonl" | head -1)
    jq -r --arg f "${churn:--}" '
      def ms(x): (x / 1000 * 100 | round) / 100;
      .bench as $b |
      "| \(.build) | \(.case) | \(.rep) | \(ms($b.publish.ack_latency_us.p50)) / \(ms($b.publish.ack_latency_us.p99)) / \(ms($b.publish.ack_latency_us.max)) | \(ms($b.latency_us.p50)) / \(ms($b.latency_us.p99)) / \(ms($b.latency_us.max)) | \($b.deliveries.received) / \($b.deliveries.expected) | \(($b.server.window.util // null) | if . then (. * 100 | round) else "-" end) | \($f) |"' \
      <<< "$line"
  done < "$RESULTS"
}

churn_main() {
  local builds="ringcast=$RINGCAST_BIN"
  while (($#)); do
    case $1 in
      --builds) builds=$2 ;;
      --churn) PC_CHURN=$2 ;;
      --connections) PC_CONNECTIONS=$2 ;;
      --rate) PC_RATE=$2 ;;
      --subs) PC_SUBS=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  local b
  for b in ${builds//,/ }; do
    [[ -x ${b#*=} ]] || { log "missing ${b#*=}"; exit 2; }
  done
  [[ -x $BENCH_BIN ]] || { log "missing $BENCH_BIN: build first (ninja -C build -j2)"; exit 2; }
  command -v jq >/dev/null || { log "jq is required"; exit 2; }
  [[ -d $SCEN_DIR/../peers/node_modules/ws ]] ||
    { log "missing bench/peers/node_modules: run it as tools/dev bench presence_churn"; exit 2; }
  machine_info
  wait_quiet
  local rep
  for rep in $(seq "$REPS"); do
    for b in ${builds//,/ }; do
      churn_run "$b" quiet "$rep"
      churn_run "$b" churn "$rep"
    done
  done
  churn_summary | tee "$OUT_DIR/summary.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then churn_main "$@"; fi
