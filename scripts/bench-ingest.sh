#!/usr/bin/env bash
# End-to-end ingest benchmark: `argos serve` on a fresh data dir, `argos gen` offering
# HEP at each rate for DURATION seconds, then a table of offered/sent/received/stored/
# dropped (our counters plus the kernel's UDP receive-buffer drops) and bytes per message.
# Usage: scripts/bench-ingest.sh [udp|tcp] [DURATION] [RATE...]   (run on an idle machine)
# CH=http://127.0.0.1:8123 measures the ClickHouse store instead (a fresh database per rate,
# bytes from system.parts, dropped afterwards). SERVE_ARGS="--no-call-tracking" passes extra
# flags to `argos serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
proto=${1:-udp}; dur=${2:-10}; shift 2 || true
rates=("$@"); [ ${#rates[@]} -gt 0 ] || rates=(25000 50000 100000 150000 200000)
file=${GEN_FILE:-}
bin=${ARGOS_BIN:-target/release/argos}
[ -n "${ARGOS_BIN:-}" ] || cargo build --release -q -p argos
port=$((30000 + RANDOM % 20000)); http=$((port + 1))
metric() { curl -s "127.0.0.1:$http/metrics" | awk -v k="$1" 'index($0, k" ") == 1 {v=$2} END {print v+0}'; }
printf '| offered msg/s | sent | received | stored | dropped (queue) | dropped (kernel) | loss %% | bytes/msg on disk |\n|---|---|---|---|---|---|---|---|\n'
for rate in "${rates[@]}"; do
  data=$(mktemp -d)
  store=()
  if [ -n "${CH:-}" ]; then
    db="argos_bench_$$_$rate"
    store=(--store "clickhouse://${CH#http://}/$db")
  fi
  ARGOS_ADMIN_PASSWORD=bench "$bin" serve --data "$data" --hep-udp "127.0.0.1:$port" --hep-tcp "127.0.0.1:$port" \
    --http "127.0.0.1:$http" "${store[@]}" ${SERVE_ARGS:-} >/dev/null 2>&1 &
  srv=$!
  for _ in $(seq 50); do curl -sf "127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
  sent=$("$bin" gen --to "$proto:127.0.0.1:$port" --rate "$rate" --duration "$dur" ${file:+--file "$file"} --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["sent"])')
  sleep 2
  recv=$(( $(metric 'argos_hep_packets_received_total{transport="udp"}') + $(metric 'argos_hep_packets_received_total{transport="tcp"}') ))
  stored=$(metric argos_messages_stored_total)
  dq=$(metric 'argos_packets_dropped_total{reason="queue_full"}')
  dk=$(metric 'argos_packets_dropped_total{reason="kernel_rcvbuf"}')
  kill -TERM $srv; wait $srv 2>/dev/null || true
  if [ -n "${CH:-}" ]; then
    bytes=$(curl -s "$CH/" --data-binary "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = '$db'")
    curl -s "$CH/" --data-binary "DROP DATABASE IF EXISTS $db" >/dev/null
    bytes=${bytes:-0}
  else
    bytes=$(du -sb "$data" | cut -f1)
  fi
  python3 - "$rate" "$sent" "$recv" "$stored" "$dq" "$dk" "$bytes" <<'PY'
import sys
rate, sent, recv, stored, dq, dk, b = map(int, sys.argv[1:])
loss = 100.0 * (sent - stored) / sent if sent else 0
print(f"| {rate:,} | {sent:,} | {recv:,} | {stored:,} | {dq:,} | {dk:,} | {loss:.2f} | {b / max(stored, 1):.0f} |")
PY
  rm -rf "$data"
done
