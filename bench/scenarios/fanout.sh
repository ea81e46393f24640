#!/usr/bin/env bash
# bench/scenarios/fanout.sh: one channel, N subscribers, REST publishes fanned out to all.
#
# Cases (each a fresh server, pinned; the bench pinned to the other core; see lib.sh):
#   sat1    saturation, one publishing connection (one REST request in flight)
#   satp8   saturation, one publishing connection, 8 requests in flight (HTTP pipelining)
#   satb10  saturation, one publishing connection, 10 events per request (/batch_events)
#   sat4    saturation, four publishing connections
#   lat60   60 publishes/s from one publishing connection (latency at low load; the floor's
#           paced rounds compare with it)
#   lat60p4 60 publishes/s from 4 publishing connections, each request carrying whatever is
#           due (--batch 10 --batch-due): at 10k subscribers 60/s is more than one frame per
#           write can carry, so this shows whether coalescing keeps up
#   half    half of ringcast's highest saturated event rate of this configuration (measured
#           in the same session), offered by 4 publishers with --batch 10 --batch-due (no
#           batching delay, no single-connection queueing), for p99 latency under load;
#           ringcast only unless HALF_SERVERS lists more (the peers cannot keep that rate)
# Saturation runs count the server's TCP segments (frames per write). Every (server, case) is
# repeated REPS times, servers interleaved, and appended to $OUT_DIR/results.jsonl.
# Usage: bench/scenarios/fanout.sh [--subs 1000,10000] [--payloads 128,2048]
#          [--servers ringcast,ws,socketio]
#          [--cases sat1,satp8,satb10,sat4,lat60,lat60p4,half]
#          [--reps 3]
# Then: node bench/scenarios/summarize.js $OUT_DIR/results.jsonl
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# fanout_run SERVER SUBS PAYLOAD CASE REP [RATE]
fanout_run() {
  local server=$1 subs=$2 payload=$3 kase=$4 rep=$5 rate=${6:-0}
  local meta
  meta=$(jq -cn --arg c "$kase" --argjson s "$subs" --argjson p "$payload" --argjson r "$rep" \
    --argjson rate "$rate" \
    '{scenario: "fanout", case: $c, subs: $s, channels: 1, payload: $p, rep: $r, rate: $rate}')
  local args=(--connections "$subs" --channels 1 --payload-bytes "$payload" --duration "$DURATION"
              --warmup "$WARMUP" --drain 15 --connect-timeout 60 --allow-loss)
  case $kase in
    sat1) args+=(--publishers 1 --rate max --count-server-writes) ;;
    satp8) args+=(--publishers 1 --pipeline 8 --rate max --count-server-writes) ;;
    satb10) args+=(--publishers 1 --batch 10 --rate max --count-server-writes) ;;
    sat4) args+=(--publishers 4 --rate max --count-server-writes) ;;
    lat60) args+=(--publishers 1 --rate 60) ;;
    lat60p4) args+=(--publishers 4 --batch 10 --batch-due --rate 60) ;;
    half) args+=(--publishers 4 --batch 10 --batch-due --rate "$rate") ;;
    *) log "unknown case $kase"; return 1 ;;
  esac
  server_start "$server" || return 0
  log "fanout $kase $server subs=$subs payload=$payload rep=$rep rate=$rate"
  run_bench "$meta" "${args[@]}"
  server_stop
}

# ringcast's highest median saturated event rate for (subs, payload) so far in this session,
# and the case that reached it: "<case> <events/s>" (nothing when there is none).
ringcast_max_rate() {
  local subs=$1 payload=$2
  [[ -s $RESULTS ]] || return 0
  jq -rs --argjson s "$subs" --argjson p "$payload" '
    [.[] | select(.scenario == "fanout" and .server == "ringcast" and .subs == $s
                  and .payload == $p and (.case | startswith("sat")) and .bench != null)]
    | group_by(.case)
    | map({case: .[0].case,
           rate: ([.[].bench.publish.events_per_s] | sort | .[(length - 1) / 2 | floor])})
    | max_by(.rate) // empty | "\(.case) \(.rate)"' "$RESULTS"
}

# half_runs SUBS PAYLOAD SERVERS: p99 at half of ringcast's maximum rate (see "half" above),
# every server in SERVERS, REPS times.
half_runs() {
  local subs=$1 payload=$2 servers=$3 best kase max half rep server
  best=$(ringcast_max_rate "$subs" "$payload")
  if [[ -z $best ]]; then
    log "no ringcast saturation result for subs=$subs payload=$payload: no half-rate run"
    return
  fi
  read -r kase max <<< "$best"
  half=$(awk -v m="$max" 'BEGIN { printf "%.0f", m / 2 }')
  log "half of ringcast's max rate ($max/s, $kase) for subs=$subs payload=$payload: $half/s"
  for rep in $(seq "$REPS"); do
    for server in ${servers//,/ }; do
      fanout_run "$server" "$subs" "$payload" half "$rep" "$half"
    done
  done
}

# fanout_rep SUBS PAYLOAD SERVERS CASES REP: one repetition of every case but `half`, the
# servers interleaved case by case; their order rotates with REP so none always runs first.
fanout_rep() {
  local subs=$1 payload=$2 servers=$3 cases=$4 rep=$5
  local kase server order
  IFS=, read -ra srv <<< "$servers"
  order=("${srv[@]:$(( (rep - 1) % ${#srv[@]} ))}" "${srv[@]:0:$(( (rep - 1) % ${#srv[@]} ))}")
  for kase in ${cases//,/ }; do
    [[ $kase == half ]] && continue
    for server in "${order[@]}"; do fanout_run "$server" "$subs" "$payload" "$kase" "$rep"; done
  done
}

# fanout_half SUBS PAYLOAD CASES: the `half` case, if CASES names it (after the max-rate runs).
fanout_half() {
  if [[ ,$3, == *,half,* ]]; then half_runs "$1" "$2" "${HALF_SERVERS:-ringcast}"; fi
}

# fanout_config SUBS PAYLOAD SERVERS CASES: all repetitions of one configuration, interleaved.
fanout_config() {
  local rep
  for rep in $(seq "$REPS"); do fanout_rep "$1" "$2" "$3" "$4" "$rep"; done
  fanout_half "$1" "$2" "$4"
}

fanout_main() {
  local subs=1000,10000 payloads=128,2048 servers=ringcast,ws,socketio
  local cases=sat1,satp8,satb10,sat4,lat60,lat60p4,half
  while (($#)); do
    case $1 in
      --subs) subs=$2 ;;
      --payloads) payloads=$2 ;;
      --servers) servers=$2 ;;
      --cases) cases=$2 ;;
      --reps) REPS=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  check_tools
  machine_info
  local s p
  for s in ${subs//,/ }; do
    for p in ${payloads//,/ }; do
      wait_quiet
      fanout_config "$s" "$p" "$servers" "$cases"
    done
  done
  summarize
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then fanout_main "$@"; fi
