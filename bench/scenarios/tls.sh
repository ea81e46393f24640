#!/usr/bin/env bash
# bench/scenarios/tls.sh: what TLS costs the server (issue 12), TLS next to plaintext, each run
# against a fresh ringcast (lib.sh: one shard pinned to SERVER_CPU, the bench on LOADER_CPU).
# A throw-away CA and a P-256 ECDSA server certificate for 127.0.0.1/localhost are made with
# the `openssl` command (as tests/e2e/lib/test_ca.js does) in a temp dir removed at exit; TLS
# runs start ringcast with --tls-cert/--tls-key and the bench with --tls --tls-ca (verified).
# Parts (--only memory|fanout; both by default), every repetition running plain and TLS in
# turn, the order alternating from one repetition to the next:
#   memory  N connections (default 10,000) over 100 channels connect, subscribe and stay idle
#           for 2 s (ringcast-bench --connect-only --server-pid, as idle_memory.sh): server RSS
#           before the first connect and once all are subscribed, as bytes per connection, and
#           the server's CPU per connection over the connect phase (TCP accept + TLS handshake
#           + WebSocket upgrade + subscribe), whose inverse is connections (for TLS: full
#           handshakes) per second per core. The bench holds its subscribers as io_uring direct
#           descriptors (lib.sh bench_direct_args); ringcast switches to --descriptors direct
#           only above 15,000 (server_direct_args), below that server_start's `ulimit -n` (the
#           hard limit, 20,000 here) is enough.
#   fanout  1 channel x --subs subscribers (1000), --payload bytes (128), one publisher at max
#           rate (case max, counting the server's TCP segments: frames per write) and, with
#           --rate R, also at R events/s (case rateR): server CPU-us per delivery for plain and
#           TLS and the TLS/plain ratio (of the medians, and the range of the per-repetition
#           ratios). With TLS the publisher's REST requests are HTTPS too (one keep-alive
#           connection, one handshake before the window).
# Results go to $OUT_DIR/results.jsonl (scenarios tls-idle and tls-fanout, field `transport`);
# the tables are printed at the end and written to $OUT_DIR/tls-summary.md (summarize.js does
# not know these scenarios).
# Usage: bench/scenarios/tls.sh [--connections 10000] [--subs 1000] [--payload 128]
#          [--rate R] [--reps 3] [--duration 5] [--only memory|fanout]
# Functional check on a busy machine (numbers not to be quoted):
#   SKIP_QUIET_CHECK=1 bench/scenarios/tls.sh --connections 500 --subs 100 --reps 1 --duration 2
DURATION=${DURATION:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TLS_CONNECTIONS=${TLS_CONNECTIONS:-10000}
TLS_IDLE_CHANNELS=${TLS_IDLE_CHANNELS:-100}
TLS_IDLE_HOLD=${TLS_IDLE_HOLD:-2}
TLS_SUBS=${TLS_SUBS:-1000}
TLS_PAYLOAD=${TLS_PAYLOAD:-128}
TLS_RATE=${TLS_RATE:-}
TLS_DIR=""

cleanup() {
  server_stop
  [[ -n $TLS_DIR ]] && rm -rf "$TLS_DIR"
  return 0
}

# make_cert: a CA and a server certificate it signs (P-256 ECDSA, SAN localhost and 127.0.0.1).
make_cert() {
  TLS_DIR=$(mktemp -d -t ringcast-tls-bench.XXXXXX)
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  (
    cd "$TLS_DIR"
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 \
      -subj '/CN=ringcast bench CA' 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl req "${ec[@]}" -keyout server.key -out server.csr -subj '/CN=ringcast-bench' \
      2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 2 \
      -extfile ext.cnf -out server.pem 2>/dev/null
  ) || { log "openssl could not make the test certificate"; exit 2; }
}

# tls_server_start TRANSPORT [RINGCAST ARGS...]: a fresh ringcast, with the certificate for tls.
tls_server_start() {
  local transport=$1
  shift
  local args="${RINGCAST_ARGS:-} $*"
  [[ $transport == tls ]] && args+=" --tls-cert $TLS_DIR/server.pem --tls-key $TLS_DIR/server.key"
  RINGCAST_ARGS=$args server_start ringcast
}

# bench_tls_args TRANSPORT: the bench's TLS options.
bench_tls_args() { if [[ $1 == tls ]]; then echo "--tls --tls-ca $TLS_DIR/ca.pem"; fi; }

# memory_run TRANSPORT REP
memory_run() {
  local transport=$1 rep=$2 n=$TLS_CONNECTIONS
  tls_server_start "$transport" "$(server_direct_args "$n")" || return 0
  sleep 0.3  # let the server settle before the baseline RSS is read
  log "tls memory $transport N=$n rep=$rep"
  # shellcheck disable=SC2046  # the helpers' words are options
  run_bench "$(jq -cn --arg t "$transport" --argjson n "$n" --argjson c "$TLS_IDLE_CHANNELS" \
      --argjson r "$rep" \
      '{scenario: "tls-idle", case: "idle", transport: $t, subs: $n, channels: $c, payload: 0,
        rep: $r}')" \
    --connect-only --connections "$n" --channels "$TLS_IDLE_CHANNELS" \
    --duration "$TLS_IDLE_HOLD" --connect-rate 20000 --connect-timeout 120 \
    $(bench_direct_args "$n") $(bench_tls_args "$transport")
  server_stop
}

# fanout_tls_run TRANSPORT CASE REP: CASE is max or rate<R>.
fanout_tls_run() {
  local transport=$1 kase=$2 rep=$3
  local args=(--connections "$TLS_SUBS" --channels 1 --payload-bytes "$TLS_PAYLOAD"
              --duration "$DURATION" --warmup "$WARMUP" --drain 15 --connect-timeout 60
              --allow-loss --publishers 1)
  case $kase in
    max) args+=(--rate max --count-server-writes) ;;
    rate*) args+=(--rate "${kase#rate}") ;;
    *) log "unknown case $kase"; return 1 ;;
  esac
  tls_server_start "$transport" || return 0
  log "tls fanout $kase $transport subs=$TLS_SUBS payload=$TLS_PAYLOAD rep=$rep"
  # shellcheck disable=SC2046
  run_bench "$(jq -cn --arg c "$kase" --arg t "$transport" --argjson s "$TLS_SUBS" \
      --argjson p "$TLS_PAYLOAD" --argjson r "$rep" \
      '{scenario: "tls-fanout", case: $c, transport: $t, subs: $s, channels: 1, payload: $p,
        rep: $r}')" \
    "${args[@]}" $(bench_tls_args "$transport")
  server_stop
}

# The tables, from results.jsonl (lower median over the repetitions, as summarize.js).
tls_summary() {
  jq -rs '
    def med: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
    def f(d): if . == null then "-" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
    def spread(d): if length == 0 then "-"
                  else "\(min | f(d))-\(max | f(d))" end;
    def ok: .bench != null and .bench.server != null;
    ([.[] | select(.scenario == "tls-idle" and ok)
      | {t: .transport, rep, n: .subs, sub: .bench.connections.subscribed,
         failed: .bench.connections.failed, before: .bench.server.rss_kb_before,
         conn: .bench.server.rss_kb_connected,
         bpc: ((.bench.server.rss_kb_connected - .bench.server.rss_kb_before) * 1024
               / ([.bench.connections.subscribed, 1] | max)),
         cpu: .bench.server.cpu_us_per_connection, rate: .bench.connections.connect_rate_per_s}]
     ) as $mem
    | ([.[] | select(.scenario == "tls-fanout" and ok)
      | {t: .transport, case, rep, cpu: .bench.server.cpu_us_per_delivery,
         dps: .bench.deliveries.per_s, eps: .bench.publish.events_per_s,
         lost: .bench.deliveries.lost, fpw: .bench.server_writes.deliveries_per_segment,
         util: .bench.server.window.util, lutil: .bench.loader.window.util}]
     ) as $fan
    | (if ($mem | length) > 0 then
        "### Idle connections: server memory and connect-phase CPU\n",
        "| transport | rep | subscribed (failed) | server RSS before -> connected | B per connection | server CPU-us per connection | connections/s per core (1 / CPU) | connect rate/s |",
        "|---|---|---|---|---|---|---|---|",
        ($mem | sort_by(.t, .rep)[]
         | "| \(.t) | \(.rep) | \(.sub) (\(.failed)) | \(.before) -> \(.conn) KiB | \(.bpc | f(0)) | \(.cpu | f(1)) | \(if .cpu > 0 then 1e6 / .cpu | f(0) else "-" end) | \(.rate | f(0)) |"),
        ($mem | group_by(.t)[]
         | "| **\(.[0].t), median** | \(length) | | | **\(map(.bpc) | med | f(0))** | **\(map(.cpu) | med | f(1))** | **\((map(.cpu) | med) as $c | if $c > 0 then 1e6 / $c | f(0) else "-" end)** | |"),
        (([$mem[] | select(.t == "plain")] | map(.bpc) | med) as $pb
         | ([$mem[] | select(.t == "tls")] | map(.bpc) | med) as $tb
         | ([$mem[] | select(.t == "plain")] | map(.cpu) | med) as $pc
         | ([$mem[] | select(.t == "tls")] | map(.cpu) | med) as $tc
         | if $pb != null and $tb != null then
             "\nTLS over plain (medians): +\($tb - $pb | f(0)) B per idle connection; +\($tc - $pc | f(1)) server CPU-us per connection (the TLS handshake alone; 1 / that = \(if $tc > $pc then 1e6 / ($tc - $pc) | f(0) else "-" end) handshakes/s per core; whole TLS connections per core: the tls median row)."
           else empty end),
        ""
      else empty end),
      (if ($fan | length) > 0 then
        "### Fan-out: server CPU per delivery",
        "",
        "| case | transport | rep | server CPU-us / delivery | deliveries/s | events/s | frames per write | lost | server util | loader util |",
        "|---|---|---|---|---|---|---|---|---|---|",
        ($fan | sort_by(.case, .rep, .t)[]
         | "| \(.case) | \(.t) | \(.rep) | \(.cpu | f(3)) | \(.dps | f(0)) | \(.eps | f(0)) | \(.fpw | f(2)) | \(.lost) | \(.util | f(2)) | \(.lutil | f(2)) |"),
        "",
        "| case | plain CPU-us / delivery | TLS CPU-us / delivery | TLS / plain (medians) | per-repetition TLS / plain |",
        "|---|---|---|---|---|",
        ($fan | group_by(.case)[]
         | . as $c
         | ([$c[] | select(.t == "plain") | .cpu] | med) as $p
         | ([$c[] | select(.t == "tls") | .cpu] | med) as $s
         | ([$c[] | select(.t == "plain")] | map({key: (.rep | tostring), value: .cpu})
            | from_entries) as $pr
         | ([$c[] | select(.t == "tls" and $pr[.rep | tostring] != null
                           and $pr[.rep | tostring] > 0)
             | .cpu / $pr[.rep | tostring]]) as $ratios
         | "| \($c[0].case) | \($p | f(3)) (\([$c[] | select(.t == "plain") | .cpu] | spread(3))) | \($s | f(3)) (\([$c[] | select(.t == "tls") | .cpu] | spread(3))) | **\(if $p != null and $s != null and $p > 0 then "\($s / $p | f(2))x" else "-" end)** | \($ratios | spread(2)) |")
      else empty end)
  ' "$RESULTS"
}

tls_main() {
  local only=""
  while (($#)); do
    case $1 in
      --connections) TLS_CONNECTIONS=$2 ;;
      --subs) TLS_SUBS=$2 ;;
      --payload) TLS_PAYLOAD=$2 ;;
      --rate) TLS_RATE=$2 ;;
      --reps) REPS=$2 ;;
      --duration) DURATION=$2 ;;
      --only) only=$2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
    shift 2
  done
  case $only in
    "" | memory | fanout) ;;
    *) log "--only takes memory or fanout"; exit 2 ;;
  esac
  check_tools --no-peers
  command -v openssl >/dev/null || { log "openssl is required"; exit 2; }
  make_cert
  machine_info
  local rep order t kase cases=max
  [[ -n $TLS_RATE ]] && cases+=" rate$TLS_RATE"
  if [[ $only != fanout ]]; then
    wait_quiet
    for rep in $(seq "$REPS"); do
      # Alternate which transport runs first, so neither always meets a warmer machine.
      if (( rep % 2 )); then order="plain tls"; else order="tls plain"; fi
      for t in $order; do memory_run "$t" "$rep"; done
    done
  fi
  if [[ $only != memory ]]; then
    wait_quiet
    for rep in $(seq "$REPS"); do
      if (( rep % 2 )); then order="plain tls"; else order="tls plain"; fi
      for kase in $cases; do
        for t in $order; do fanout_tls_run "$t" "$kase" "$rep"; done
      done
    done
  fi
  log "results: $RESULTS"
  [[ -s $RESULTS ]] || { log "no results"; exit 1; }
  tls_summary | tee "$OUT_DIR/tls-summary.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then tls_main "$@"; fi
