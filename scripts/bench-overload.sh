#!/usr/bin/env bash
# Overload: offer HEP over TCP as fast as the generator can for DURATION seconds and sample
# the server's resident memory every second. Memory must stay flat (bounded queue) while
# drops are counted. Usage: scripts/bench-overload.sh [DURATION] [SENDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20}; senders=${2:-2}
bin=${ARGOS_BIN:-target/release/argos}
[ -n "${ARGOS_BIN:-}" ] || cargo build --release -q -p argos
port=$((30000 + RANDOM % 20000)); http=$((port + 1))
data=$(mktemp -d)
ARGOS_ADMIN_PASSWORD=bench "$bin" serve --data "$data" --hep-udp "127.0.0.1:$port" --hep-tcp "127.0.0.1:$port" \
  --http "127.0.0.1:$http" >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do curl -sf "127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
"$bin" gen --to "tcp:127.0.0.1:$port" --rate 0 --duration "$dur" --senders "$senders" >/tmp/overload-gen.txt &
gen=$!
echo "| t (s) | RSS MiB | stored | dropped (queue_full) | queue depth |"
echo "|---|---|---|---|---|"
for t in $(seq 1 $((dur + 3))); do
  sleep 1
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$srv/status)
  m=$(curl -s "127.0.0.1:$http/metrics")
  st=$(awk '/^argos_messages_stored_total/ {print $2}' <<<"$m")
  dq=$(awk '/reason="queue_full"/ {print $2}' <<<"$m")
  qd=$(awk '/^argos_queue_depth/ {print $2}' <<<"$m")
  echo "| $t | $rss | $st | $dq | $qd |"
done
wait $gen || true
cat /tmp/overload-gen.txt
kill -TERM $srv; wait $srv 2>/dev/null || true
rm -rf "$data"
