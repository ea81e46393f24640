#!/usr/bin/env bash
# bench/scenarios/floor.sh: the kernel floor (bench/floor_bench.cc) for the fan-out
# configurations, with ringcast's frame size for each payload (the frame the ws peer sends
# too), sender on $SERVER_CPU, receiver on $LOADER_CPU.
#
# Cases (bench case names as in summarize.js):
#   send        one send() per delivery                 (saturation)
#   uring       one IORING_OP_SEND per delivery          (saturation)
#   writev-K    IORING_OP_SENDMSG, K frames per write (K = 1, 4, 16), the way ringcast writes
#   paced60     send(), rounds paced at 60/s: the time to write M sockets once and the
#               time until the last of them has read it (the latency floor)
# Usage: bench/scenarios/floor.sh [--subs 1000,10000] [--payloads 128,2048] [--reps 3]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# floor_run SUBS PAYLOAD CASE REP
floor_run() {
  local subs=$1 payload=$2 kase=$3 rep=$4
  local frame k=1 target=400000
  frame=$(pusher_frame_bytes "$payload")
  local args=(--sockets "$subs" --frame-bytes "$frame")
  case $kase in
    send) args+=(--mode send) ;;
    uring) args+=(--mode uring) ;;
    writev-*)
      k=${kase#writev-}
      target=$((target * (k > 1 ? 2 : 1)))
      args+=(--mode uring-writev --frames-per-write "$k")
      ;;
    paced60)
      args+=(--mode send --round-interval-us 16667 --rounds $((60 * DURATION)) --warmup-rounds 6)
      ;;
    *) log "unknown floor case $kase"; return 1 ;;
  esac
  if [[ $kase != paced60 ]]; then
    local rounds=$(( target / (subs * k) ))
    (( rounds < 20 )) && rounds=20
    args+=(--rounds "$rounds" --warmup-rounds $(( rounds / 10 > 2 ? rounds / 10 : 2 )))
  fi
  log "floor $kase subs=$subs payload=$payload (frame $frame B) rep=$rep"
  run_floor "$(jq -cn --arg c "floor-$kase" --argjson s "$subs" --argjson p "$payload" \
    --argjson r "$rep" --argjson k "$k" \
    '{scenario: "fanout", case: $c, subs: $s, channels: 1, payload: $p, rep: $r,
      frames_per_write: $k}')" "${args[@]}"
}

FLOOR_CASES=${FLOOR_CASES:-send,uring,writev-1,writev-4,writev-16,paced60}

floor_config() {
  local subs=$1 payload=$2 rep=$3 kase
  for kase in ${FLOOR_CASES//,/ }; do floor_run "$subs" "$payload" "$kase" "$rep"; done
}

floor_main() {
  local subs=1000,10000 payloads=128,2048
  while (($#)); do
    case $1 in
      --subs) subs=$2 ;;
      --payloads) payloads=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  local s p rep
  for s in ${subs//,/ }; do
    for p in ${payloads//,/ }; do
      wait_quiet
      for rep in $(seq "$REPS"); do floor_config "$s" "$p" "$rep"; done
    done
  done
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then floor_main "$@"; fi
