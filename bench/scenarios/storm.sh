#!/usr/bin/env bash
# bench/scenarios/storm.sh: connection storm. N connections connect and subscribe as fast as
# the server takes them (--connect-rate max, 1000 in the handshake at once), are held 1 s,
# then the bench exits and closes all of them at once and a second bench connects N again
# ("all reconnect"), against the same server process. Reported per round: connections per
# second, handshake and subscribe latency (p50/p99, from connect()), the server's CPU per
# connection during the connect phase, and whether the server's (or the loader's) busiest
# thread was at 100 %.
# One bench process per round holds any size (its subscribers are io_uring direct descriptors,
# lib.sh bench_direct_args); above 15,000 ringcast runs with --descriptors direct and a shard per
# 15,000 (server_direct_args). The node peers are bound by the open-file limit (20000 here),
# so the default stays 19000; --size 50000 --servers ringcast for the issue's 50k.
# Usage: bench/scenarios/storm.sh [--size 19000] [--servers ringcast,ws,socketio] [--reps 3]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STORM_SIZE=${STORM_SIZE:-19000}
STORM_CHANNELS=${STORM_CHANNELS:-100}

# storm_run SERVER REP
storm_run() {
  local server=$1 rep=$2 round sargs=""
  [[ $server == ringcast* ]] && sargs=$(server_direct_args "$STORM_SIZE")
  RINGCAST_ARGS="${RINGCAST_ARGS:-} $sargs" server_start "$server" || return 0
  for round in connect reconnect; do
    log "storm $round $server N=$STORM_SIZE rep=$rep"
    run_bench "$(jq -cn --arg c "$round" --argjson n "$STORM_SIZE" --argjson ch "$STORM_CHANNELS" \
        --argjson r "$rep" \
        '{scenario: "storm", case: $c, subs: $n, channels: $ch, payload: 0, rep: $r}')" \
      --connect-only --connections "$STORM_SIZE" --channels "$STORM_CHANNELS" --duration 1 \
      --connect-rate max --connect-concurrency 1000 --connect-timeout 120 \
      $(bench_direct_args "$STORM_SIZE")
  done
  server_stop
}

storm_main() {
  local servers=ringcast,ws,socketio
  while (($#)); do
    case $1 in
      --size) STORM_SIZE=$2 ;;
      --servers) servers=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  wait_quiet
  reps_by_server storm_run "$servers"
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then storm_main "$@"; fi
