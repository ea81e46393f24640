#!/usr/bin/env bash
# bench/scenarios/many_channels.sh: many small channels. C channels with S subscribers each
# (the issue's 10k x 10 = 100k connections does not fit one process's 20000 descriptors here:
# the default is 1900 x 10 = 19000), $MC_PUBLISHERS (16) publishers cycling over the channels
# at max rate with 10 events per request (/batch_events), so every event fans out to only S
# sockets and the per-publish work (HTTP, signature, JSON, routing) weighs as much as the
# writes.
# Reported as for fan-out: deliveries/s, server CPU-us per delivery, deliveries per server
# CPU-second, frames per write, latency, and which side was at 100 %.
# Usage: bench/scenarios/many_channels.sh [--channels 1900] [--per-channel 10]
#          [--servers ringcast,ws,socketio] [--payload 128] [--reps 3]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MC_CHANNELS=${MC_CHANNELS:-1900}
MC_PER_CHANNEL=${MC_PER_CHANNEL:-10}
MC_PAYLOAD=${MC_PAYLOAD:-128}
MC_PUBLISHERS=${MC_PUBLISHERS:-16}

# many_run SERVER REP
many_run() {
  local server=$1 rep=$2
  local n=$((MC_CHANNELS * MC_PER_CHANNEL))
  server_start "$server" || return 0
  log "many-channels $server ${MC_CHANNELS}x$MC_PER_CHANNEL rep=$rep"
  run_bench "$(jq -cn --argjson n "$n" --argjson c "$MC_CHANNELS" --argjson p "$MC_PAYLOAD" \
      --argjson r "$rep" \
      '{scenario: "many-channels", case: "satNb10", subs: $n, channels: $c, payload: $p,
        rep: $r}')" \
    --connections "$n" --channels "$MC_CHANNELS" --payload-bytes "$MC_PAYLOAD" \
    --publishers "$MC_PUBLISHERS" --batch 10 --rate max --duration "$DURATION" --warmup "$WARMUP" --drain 15 \
    --connect-rate 20000 --connect-timeout 120 --count-server-writes --allow-loss
  server_stop
}

many_main() {
  local servers=ringcast,ws,socketio
  while (($#)); do
    case $1 in
      --channels) MC_CHANNELS=$2 ;;
      --per-channel) MC_PER_CHANNEL=$2 ;;
      --payload) MC_PAYLOAD=$2 ;;
      --servers) servers=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  wait_quiet
  reps_by_server many_run "$servers"
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then many_main "$@"; fi
