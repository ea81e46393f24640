#!/usr/bin/env bash
# bench/scenarios/idle_100k.sh: server RSS with 100,000 idle subscribed connections on a host
# whose open-file limit (20,000 here) is far below that. ringcast runs with --descriptors direct
# (each shard's sockets in its own io_uring table, up to the limit per shard) and 7 shards on
# CPU 0; ONE ringcast-bench process (CPU 1) holds them all over 100 channels with
# --descriptors direct (7 threads, each with its own table) from 8 loopback source addresses.
# Prints the idle baseline, then RSS, the number of established connections and the server's
# open files three times while they are held, and the bench's verdict.
# (idle_memory.sh --sizes 15000,100000 --servers ringcast measures the same with repetitions.)
# Usage: bench/scenarios/idle_100k.sh   (BUILD, OUT_DIR, PORT: see below)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PORT=${PORT:-6800}
D=${OUT_DIR:-$BUILD/bench-results/idle100k-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$D"; cd "$D"
ulimit -n 20000
taskset -c 0 "$BUILD/ringcast" --port "$PORT" --shards 7 --descriptors direct --log-level warn --data-dir "$D/data" > srv.log 2>&1 &
P=$!
sleep 1
echo "baseline_kb $(awk '/VmRSS/{print $2}' /proc/$P/status)"
taskset -c 1 "$BUILD/tools/ringcast-bench" --port "$PORT" --connections 100000 --channels 100 \
  --connect-only --duration 20 --threads 7 --descriptors direct --source-ips 8 \
  --connect-timeout 120 --quiet --json "$D/b0.json" > "$D/b0.txt" 2>&1 &
for t in $(seq 1 30); do
  sleep 1
  E=$(ss -tn state established "( sport = :$PORT )" | tail -n +2 | wc -l)
  [ "$E" -ge 100000 ] && break
done
sleep 5
for k in 1 2 3; do
  echo "established $(ss -tn state established "( sport = :$PORT )" | tail -n +2 | wc -l) rss_kb $(awk '/VmRSS/{print $2}' /proc/$P/status) fds $(ls /proc/$P/fd | wc -l)"
  sleep 2
done
wait $(jobs -p | grep -v "^$P$") 2>/dev/null
sleep 1
grep -h -E "^connections|^result" $D/b*.txt
kill $P; wait $P
echo "server exit $?"
