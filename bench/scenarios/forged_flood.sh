#!/usr/bin/env bash
# bench/scenarios/forged_flood.sh: legitimate publishes during a flood of forged REST requests.
# ringcast (one shard, pinned to $SERVER_CPU) serves $FF_SUBS subscribers of one channel and
# $FF_PUBLISHERS (8) ringcast-bench publishers at a fixed $FF_RATE events/s in all (REST,
# signed; several, so that a slow answer does not make the schedule fall behind), on $LOADER_CPU.
# Case "quiet": that alone. Case "flood": the same while forged_flood.js (also on $LOADER_CPU,
# competing with the bench, not with the server) keeps $FF_CONNECTIONS connections sending
# publishes with a wrong signature and a $FF_BODY-byte body back to back.
# Reported per case: publish ack and publish-to-receive latency (p50/p99/max), deliveries, the
# server's CPU (all threads, % of one core), and the forged requests answered per second with
# their statuses.
# The server must refuse a forged request from its head, so the flood costs one HMAC and a
# skipped body per request and the legitimate latency stays near the quiet case.
# --builds LABEL=PATH,... measures several ringcast binaries interleaved, repetition by
# repetition (default: this build as "ringcast").
# Usage: bench/scenarios/forged_flood.sh [--connections 32] [--body 1048576] [--rate 200]
#          [--subs 100] [--reps 3] [--builds new=build/ringcast,old=/path/to/ringcast]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FF_CONNECTIONS=${FF_CONNECTIONS:-32}
FF_BODY=${FF_BODY:-1048576}
FF_RATE=${FF_RATE:-200}
FF_SUBS=${FF_SUBS:-100}
FF_PUBLISHERS=${FF_PUBLISHERS:-8}
FLOOD_PID=""

flood_stop() {
  [[ -n $FLOOD_PID ]] || return 0
  kill -TERM "$FLOOD_PID" 2>/dev/null || true
  wait "$FLOOD_PID" 2>/dev/null || true
  FLOOD_PID=""
}
trap 'flood_stop; server_stop' EXIT

# flood_run BUILD CASE REP (BUILD: LABEL=PATH)
flood_run() {
  local label=${1%%=*} kase=$2 rep=$3
  RINGCAST_BIN=${1#*=}
  local flood_json="$OUT_DIR/raw/flood-$label-$kase-$rep.json"
  server_start ringcast || return 0
  if [[ $kase == flood ]]; then
    taskset -c "$LOADER_CPU" node "$SCEN_DIR/forged_flood.js" --port "$SERVER_PORT" \
      --connections "$FF_CONNECTIONS" --body-bytes "$FF_BODY" > "$flood_json" 2>&1 &
    FLOOD_PID=$!
    sleep 1
  fi
  log "forged-flood $label $kase rep=$rep"
  run_bench "$(jq -cn --arg c "$kase" --argjson n "$FF_SUBS" --argjson r "$rep" \
      --argjson fc "$FF_CONNECTIONS" --argjson fb "$FF_BODY" --arg b "$label" \
      '{scenario: "forged-flood", case: $c, build: $b, subs: $n, channels: 1, payload: 128,
        rep: $r, flood_connections: $fc, flood_body: $fb}')" \
    --connections "$FF_SUBS" --channels 1 --payload-bytes 128 --rate "$FF_RATE" \
    --publishers "$FF_PUBLISHERS" \
    --duration "$DURATION" --warmup "$WARMUP" --allow-loss
  flood_stop
  if [[ -s $flood_json ]]; then
    jq -c --arg c "$kase" --argjson r "$rep" --arg b "$label" \
      '{event: "flood", case: $c, build: $b, rep: $r} + .' \
      "$flood_json" >> "$OUT_DIR/session.jsonl"
  fi
  server_stop
}

flood_summary() {
  echo "| build | case | rep | publish ack p50 / p99 / max (ms) | publish-to-receive p50 / p99 / max (ms) | delivered / expected | server CPU, % of a core | forged answered/s (statuses) |"
  echo "|---|---|---|---|---|---|---|---|"
  local line
  while IFS= read -r line; do
    local kase rep build flood
    kase=$(jq -r .case <<< "$line")
    rep=$(jq -r .rep <<< "$line")
    build=$(jq -r .build <<< "$line")
    flood=$(jq -r --arg c "$kase" --argjson r "$rep" --arg b "$build" \
      'select(.event == "flood" and .case == $c and .rep == $r and .build == $b) |
       "\(.answered_per_s | floor) (\(.answers | tojson))"' "$OUT_DIR/session.jsonl" | head -1)
    jq -r --arg f "${flood:--}" '
      def ms(x): (x / 1000 * 100 | round) / 100;
      .bench as $b |
      "| \(.build) | \(.case) | \(.rep) | \(ms($b.publish.ack_latency_us.p50)) / \(ms($b.publish.ack_latency_us.p99)) / \(ms($b.publish.ack_latency_us.max)) | \(ms($b.latency_us.p50)) / \(ms($b.latency_us.p99)) / \(ms($b.latency_us.max)) | \($b.deliveries.received) / \($b.deliveries.expected) | \(($b.server.window.util // null) | if . then (. * 100 | round) else "-" end) | \($f) |"' \
      <<< "$line"
  done < "$RESULTS"
}

flood_main() {
  local builds="ringcast=$RINGCAST_BIN"
  while (($#)); do
    case $1 in
      --builds) builds=$2 ;;
      --connections) FF_CONNECTIONS=$2 ;;
      --body) FF_BODY=$2 ;;
      --rate) FF_RATE=$2 ;;
      --subs) FF_SUBS=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  # Only ringcast, ringcast-bench, node and jq are needed (not the peers of check_tools).
  local f
  local b
  for b in ${builds//,/ }; do
    [[ -x ${b#*=} ]] || { log "missing ${b#*=}"; exit 2; }
  done
  for f in "$BENCH_BIN"; do
    [[ -x $f ]] || { log "missing $f: build first (ninja -C build -j2)"; exit 2; }
  done
  command -v jq >/dev/null || { log "jq is required"; exit 2; }
  machine_info
  wait_quiet
  local rep
  for rep in $(seq "$REPS"); do
    for b in ${builds//,/ }; do
      flood_run "$b" quiet "$rep"
      flood_run "$b" flood "$rep"
    done
  done
  flood_summary | tee "$OUT_DIR/summary.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then flood_main "$@"; fi
