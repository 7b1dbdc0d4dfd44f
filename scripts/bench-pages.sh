#!/usr/bin/env bash
# Page render times of the web UI on a big store: server time of every API request each page
# makes, read from the Server-Timing header in headless Chromium (scripts/ui/pages.mjs).
#
#   scripts/bench-pages.sh [MESSAGES] [DATA_DIR] [RUNS]
#
#   MESSAGES  store size to build (default 10000000)
#   DATA_DIR  where the store is (default /tmp/argos-pages-<MESSAGES>); an existing store with
#             at least MESSAGES messages is reused as it is
#   RUNS      loads of each page (default 7)
#
# Building: `argos serve` on DATA_DIR, then `argos gen --file` replays the lab capture
# (../shared/testdata/lab/lab-calls.pcap: calls through a proxy, registrations, scanner
# OPTIONS) over HEP/TCP with fresh Call-IDs per loop until MESSAGES are stored, so the call
# tracker makes call records, registrations and alarms as it would live. Then one call from a
# From user seen nowhere else ("rareuser") is sent, for the rare-value search.
# Environment: ARGOS_BIN=path (do not build), CHROMIUM=path, RATE=msg/s offered (100000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N=${1:-10000000}
DATA=${2:-/tmp/argos-pages-$N}
RUNS=${3:-7}
RATE=${RATE:-100000}
CAPTURE="$ROOT/../shared/testdata/lab/lab-calls.pcap"
bin=${ARGOS_BIN:-target/release/argos}
[ -n "${ARGOS_BIN:-}" ] || cargo build --release -q -p argos
[ -f "$CAPTURE" ] || { echo "bench-pages: no lab capture at $CAPTURE" >&2; exit 1; }
[ -d scripts/ui/node_modules/playwright-core ] || (cd scripts/ui && npm ci --silent)

port=$((30000 + RANDOM % 20000)); http=$((port + 1))
mkdir -p "$DATA"
ARGOS_ADMIN_PASSWORD=bench "$bin" serve --data "$DATA" --hep-tcp "127.0.0.1:$port" --hep-udp "127.0.0.1:$port" \
  --http "127.0.0.1:$http" >"$DATA.serve.log" 2>&1 &
srv=$!
trap 'kill -TERM $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.5; done
metric() { curl -s "127.0.0.1:$http/metrics" | awk -v k="$1" 'index($0, k" ") == 1 {v=$2} END {printf "%d", v+0}'; }
token=$(curl -s -X POST "127.0.0.1:$http/api/v1/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
have() { curl -s -H "Authorization: Bearer $token" "127.0.0.1:$http/api/v1/status" |
  python3 -c 'import json,sys; print(int(json.load(sys.stdin).get("messages_stored", 0)))'; }

stored=$(have)
t0=$(date +%s)
while [ "$stored" -lt "$N" ]; do
  echo "bench-pages: store holds $stored messages; sending $((N - stored)) more" >&2
  "$bin" gen --to "tcp:127.0.0.1:$port" --file "$CAPTURE" --rate "$RATE" --duration 100000 \
    --count $((N - stored)) --json >/dev/null
  sleep 2
  stored=$(have)
done
[ "$(date +%s)" -gt $((t0 + 1)) ] && echo "bench-pages: built in $(( $(date +%s) - t0 )) s; queue drops $(metric 'argos_packets_dropped_total{reason="queue_full"}') (sent again)" >&2

# One call from a From user seen nowhere else: the rare-value search.
python3 - "$port" <<'PY'
import socket, struct, sys, time
def chunk(t, data): return struct.pack('!HHH', 0, t, 6 + len(data)) + data
def hep(sip, src, dst):
    now = time.time()
    body = (chunk(1, b'\x02') + chunk(2, b'\x06') + chunk(3, socket.inet_aton(src)) + chunk(4, socket.inet_aton(dst))
            + chunk(7, struct.pack('!H', 5060)) + chunk(8, struct.pack('!H', 5060))
            + chunk(9, struct.pack('!I', int(now))) + chunk(10, struct.pack('!I', int((now % 1) * 1e6)))
            + chunk(11, b'\x01') + chunk(12, struct.pack('!I', 77)) + chunk(15, sip.encode()))
    return b'HEP3' + struct.pack('!H', 6 + len(body)) + body
cid = 'rare-%d@bench' % time.time()
hdr = 'Via: SIP/2.0/TCP 10.9.9.1:5060;branch=z9hG4bK-rare\r\nFrom: <sip:rareuser@10.9.9.1>;tag=r1\r\n'
inv = 'INVITE sip:9999@10.9.9.2 SIP/2.0\r\n' + hdr + 'To: <sip:9999@10.9.9.2>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' % cid
busy = 'SIP/2.0 486 Busy Here\r\n' + hdr + 'To: <sip:9999@10.9.9.2>;tag=r2\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n' % cid
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(hep(inv, '10.9.9.1', '10.9.9.2') + hep(busy, '10.9.9.2', '10.9.9.1'))
s.close()
PY
sleep 1
echo "bench-pages: $(have) messages in $DATA ($(du -sh "$DATA" | cut -f1)); $RUNS loads per page" >&2
(cd scripts/ui && node pages.mjs --url "http://127.0.0.1:$http" --user admin --password bench --runs "$RUNS" --rare-user rareuser)
