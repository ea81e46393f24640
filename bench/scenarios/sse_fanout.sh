#!/usr/bin/env bash
# bench/scenarios/sse_fanout.sh: the cost of an SSE delivery against a WebSocket delivery
# (issue 11: "SSE should cost at most 1.2x WebSocket per delivery"). One ringcast channel with
# N subscribers (default 1000), REST publishes of P-byte payloads (default 128) fanned out to
# all of them; the same run twice, once with Pusher WebSocket subscribers (ringcast-bench
# --protocol pusher) and once with SSE subscribers (--protocol sse: GET /sse/app-key?channels=
# bench-0), each against a fresh ringcast (lib.sh: one shard pinned to SERVER_CPU, the bench on
# LOADER_CPU), the two protocols interleaved in every repetition and their order rotated.
# Cases: sat1 (1 publishing connection at max rate, one request in flight: one frame per write),
# satp8 (the same with 8 requests pipelined: several frames per write, so the per-delivery work
# in user space weighs more against the kernel's per-write cost) and lat60 (60 events/s from one
# publisher, below saturation). The saturated cases count the server's TCP segments (frames per
# write). Reported per case and protocol: server CPU-us per delivery
# (the server's CPU time over the measured window / deliveries in it), deliveries/s, frames per
# write, latency, and the SSE/WS ratio of the CPU per delivery (of the medians, and the spread
# of the ratios of each repetition's pair).
# --servers ringcast,ringcast-prev measures an earlier build (PREV_RINGCAST_BIN, lib.sh) in the
# same session, interleaved run by run: the ratios of both builds side by side.
# Usage: bench/scenarios/sse_fanout.sh [--subs 1000] [--payload 128] [--cases sat1,satp8,lat60]
#          [--servers ringcast] [--reps 3]
# Then: node bench/scenarios/summarize.js $OUT_DIR/results.jsonl
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SSE_SUBS=${SSE_SUBS:-1000}
SSE_PAYLOAD=${SSE_PAYLOAD:-128}

# sse_run SERVER PROTOCOL CASE REP: PROTOCOL is ws (Pusher over WebSocket) or sse.
sse_run() {
  local server=$1 proto=$2 kase=$3 rep=$4
  local args=(--connections "$SSE_SUBS" --channels 1 --payload-bytes "$SSE_PAYLOAD"
              --duration "$DURATION" --warmup "$WARMUP" --drain 15 --connect-timeout 60
              --allow-loss)
  case $kase in
    sat1) args+=(--publishers 1 --rate max --count-server-writes) ;;
    satp8) args+=(--publishers 1 --pipeline 8 --rate max --count-server-writes) ;;
    lat60) args+=(--publishers 1 --rate 60) ;;
    *) log "unknown case $kase"; return 1 ;;
  esac
  server_start "$server" || return 0
  log "sse-fanout $kase $server $proto subs=$SSE_SUBS payload=$SSE_PAYLOAD rep=$rep"
  BENCH_PROTOCOL=$([[ $proto == sse ]] && echo sse || echo pusher) run_bench \
    "$(jq -cn --arg c "$kase" --arg proto "$proto" --argjson s "$SSE_SUBS" \
        --argjson p "$SSE_PAYLOAD" --argjson r "$rep" \
        '{scenario: "sse-fanout", case: $c, protocol: $proto, subs: $s, channels: 1,
          payload: $p, rep: $r}')" \
    "${args[@]}"
  server_stop
}

sse_main() {
  local cases=sat1,satp8,lat60 servers=ringcast rep kase proto order server
  while (($#)); do
    case $1 in
      --subs) SSE_SUBS=$2 ;;
      --payload) SSE_PAYLOAD=$2 ;;
      --cases) cases=$2 ;;
      --servers) servers=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools --no-peers
  machine_info
  wait_quiet
  for rep in $(seq "$REPS"); do
    for kase in ${cases//,/ }; do
      # Alternate which protocol runs first, so neither always meets a warmer machine.
      if (( rep % 2 )); then order="ws sse"; else order="sse ws"; fi
      for server in ${servers//,/ }; do
        for proto in $order; do sse_run "$server" "$proto" "$kase" "$rep"; done
      done
    done
  done
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then sse_main "$@"; fi
