#!/usr/bin/env bash
# bench/scenarios/idle_100k.sh: server RSS with 100,002 idle subscribed connections on a host
# whose open-file limit (20,000 here) is far below that. ringcast runs with --descriptors direct
# (each shard's sockets in its own io_uring table, up to the limit per shard) and 6 shards on
# CPU 0; six ringcast-bench processes (CPU 1) hold 16,667 connections each over 100 channels,
# from distinct loopback source addresses. Prints the idle baseline, then RSS and the number of
# established connections three times while they are held, and each bench's verdict.
# Usage: bench/scenarios/idle_100k.sh   (BUILD, OUT_DIR, PORT: see below)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PORT=${PORT:-6800}
D=${OUT_DIR:-$BUILD/bench-results/idle100k-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$D"; cd "$D"
ulimit -n 20000
taskset -c 0 "$BUILD/ringcast" --port "$PORT" --shards 6 --descriptors direct --log-level warn --data-dir "$D/data" > srv.log 2>&1 &
P=$!
sleep 1
echo "baseline_kb $(awk '/VmRSS/{print $2}' /proc/$P/status)"
for i in 0 1 2 3 4 5; do
  taskset -c 1 "$BUILD/tools/ringcast-bench" --port "$PORT" --connections 16667 --channels 100 --connect-only --duration 20 --source-ips 4 --source-ip-base 127.0.$((i+1)).1 --quiet --json $D/b$i.json > $D/b$i.txt 2>&1 &
done
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
