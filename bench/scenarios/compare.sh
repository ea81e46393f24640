#!/usr/bin/env bash
# bench/scenarios/compare.sh: the side-by-side session of issue #3. In one session, on a quiet
# machine, interleaved repetition by repetition: the kernel floor (floor.sh cases), ringcast,
# the ws peer and the socket.io peer on the fan-out configurations (fanout.sh cases), then
# p99 at half of ringcast's maximum rate, then idle memory (idle_memory.sh), optionally the
# connection storm and many-channels; finally the tables and ratios (summarize.js), also
# written to $OUT_DIR/summary.md.
# Usage: bench/scenarios/compare.sh [--subs 1000,10000] [--payloads 128,2048]
#          [--servers ringcast,ws,socketio] [--cases sat1,satp8,satb10,sat4,lat60,half]
#          [--idle-sizes 2000,19000] [--extra storm,many-channels] [--reps 3]
# Example (the full session, about 40 minutes here):
#   bench/scenarios/compare.sh --extra storm,many-channels
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$SCEN_DIR/fanout.sh"
source "$SCEN_DIR/floor.sh"
source "$SCEN_DIR/idle_memory.sh"
source "$SCEN_DIR/storm.sh"
source "$SCEN_DIR/many_channels.sh"

# compare_config SUBS PAYLOAD SERVERS CASES: per repetition the floor, then every server.
compare_config() {
  local rep
  for rep in $(seq "$REPS"); do
    wait_quiet
    floor_config "$1" "$2" "$rep"
    fanout_rep "$1" "$2" "$3" "$4" "$rep"
  done
  fanout_half "$1" "$2" "$4"
}

compare_main() {
  local subs=1000,10000 payloads=128,2048 servers=ringcast,ws,socketio
  local cases=sat1,satp8,satb10,sat4,lat60,half idle_sizes=2000,19000 extras=""
  while (($#)); do
    case $1 in
      --subs) subs=$2 ;;
      --payloads) payloads=$2 ;;
      --servers) servers=$2 ;;
      --cases) cases=$2 ;;
      --idle-sizes) idle_sizes=$2 ;;
      --extra) extras=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  log "results in $OUT_DIR"
  local s p rep
  for s in ${subs//,/ }; do
    for p in ${payloads//,/ }; do compare_config "$s" "$p" "$servers" "$cases"; done
  done
  if [[ -n $idle_sizes ]]; then
    wait_quiet
    for rep in $(seq "$REPS"); do idle_config "$idle_sizes" "$servers" "$rep"; done
  fi
  if [[ ,$extras, == *,storm,* ]]; then wait_quiet; reps_by_server storm_run "$servers"; fi
  if [[ ,$extras, == *,many-channels,* ]]; then wait_quiet; reps_by_server many_run "$servers"; fi
  summarize | tee "$OUT_DIR/summary.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then compare_main "$@"; fi
