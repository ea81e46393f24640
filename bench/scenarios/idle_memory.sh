#!/usr/bin/env bash
# bench/scenarios/idle_memory.sh: RSS per idle connection. For each size N a fresh server is
# started; its RSS is read before any connection (the idle baseline), then N connections
# connect, subscribe (each to one of --channels channels) and stay idle for --hold seconds;
# the bench reads the server's RSS when all are connected and at the end of the hold
# (ringcast-bench --connect-only --server-pid). summarize.js reports, per server: user space
# per connection at the largest size ((RSS - baseline) / N) and the slope between the two
# sizes ((RSS(N2) - RSS(N1)) / (N2 - N1)), which removes fixed costs paid once the first
# connections arrive (buffer pools, tables).
# One bench process holds every size: its subscribers are io_uring direct descriptors
# (ringcast-bench --descriptors direct, lib.sh bench_direct_args), so the open-file limit (20000
# here) does not bound it. Above 15,000 connections ringcast runs with --descriptors direct and
# one shard per 15,000 (server_direct_args); the node peers cannot pass the limit, so give them
# sizes below it. Idle memory at 100k: --sizes 15000,100000 --servers ringcast.
# Usage: bench/scenarios/idle_memory.sh [--sizes 2000,15000] [--channels 100]
#          [--servers ringcast,ws,socketio] [--hold 2] [--reps 3]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IDLE_CHANNELS=${IDLE_CHANNELS:-100}
IDLE_HOLD=${IDLE_HOLD:-2}

# idle_run SERVER N REP
idle_run() {
  local server=$1 n=$2 rep=$3
  local sargs=""
  [[ $server == ringcast* ]] && sargs=$(server_direct_args "$n")
  RINGCAST_ARGS="${RINGCAST_ARGS:-} $sargs" server_start "$server" || return 0
  sleep 0.3  # let the server settle before the baseline RSS is read
  log "idle-memory $server N=$n rep=$rep"
  run_bench "$(jq -cn --argjson n "$n" --argjson c "$IDLE_CHANNELS" --argjson r "$rep" \
      '{scenario: "idle", case: "idle", subs: $n, channels: $c, payload: 0, rep: $r}')" \
    --connect-only --connections "$n" --channels "$IDLE_CHANNELS" --duration "$IDLE_HOLD" \
    --connect-rate 20000 --connect-timeout 120 $(bench_direct_args "$n")
  server_stop
}

idle_config() {
  local sizes=$1 servers=$2 rep=$3 n server
  for n in ${sizes//,/ }; do
    for server in ${servers//,/ }; do idle_run "$server" "$n" "$rep"; done
  done
}

idle_main() {
  local sizes=2000,15000 servers=ringcast,ws,socketio
  while (($#)); do
    case $1 in
      --sizes) sizes=$2 ;;
      --channels) IDLE_CHANNELS=$2 ;;
      --servers) servers=$2 ;;
      --hold) IDLE_HOLD=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  wait_quiet
  local rep
  for rep in $(seq "$REPS"); do idle_config "$sizes" "$servers" "$rep"; done
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then idle_main "$@"; fi
