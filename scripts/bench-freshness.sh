#!/usr/bin/env bash
# How soon a message is searchable, under load: `argos serve` on a fresh data dir takes
# `argos gen` at RATE msg/s over UDP; every second a probe call (7 messages, its own HEP
# capture id) is sent and the API is polled every 10 ms (since = 0.1 s before) until all 7
# are found.
# Prints one line per probe and the p50/max.  Usage: scripts/bench-freshness.sh [RATE] [PROBES]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-200000}; probes=${2:-20}
bin=${ARGOS_BIN:-target/release/argos}
[ -n "${ARGOS_BIN:-}" ] || cargo build --release -q -p argos
port=$((30000 + RANDOM % 20000)); http=$((port + 1)); data=$(mktemp -d)
ARGOS_API_TOKEN=fresh ARGOS_ADMIN_PASSWORD=bench "$bin" serve --data "$data" \
  --hep-udp "127.0.0.1:$port" --http "127.0.0.1:$http" >/dev/null 2>&1 &
srv=$!
trap 'kill $srv $gen 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
"$bin" gen --to "udp:127.0.0.1:$port" --rate "$rate" --duration $((probes + 5)) >/dev/null &
gen=$!
sleep 2
python3 - "$bin" "$port" "$http" "$probes" <<'PY'
import json, subprocess, sys, time, urllib.request
bin, port, http, probes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lat = []
for i in range(probes):
    cid = 60000 + i
    t0 = time.monotonic()
    since = time.time() - 0.1  # bounds the scan: capture_id is a filter, not an index term
    subprocess.run([bin, "gen", "--to", f"udp:127.0.0.1:{port}", "--count", "7", "--rate", "100000",
                    "--capture-id", str(cid)], check=True, capture_output=True)
    while True:
        req = urllib.request.Request(f"http://127.0.0.1:{http}/api/v1/messages?capture_id={cid}&since={since:.3f}&limit=10",
                                     headers={"Authorization": "Bearer fresh"})
        n = len(json.load(urllib.request.urlopen(req))["messages"])
        if n >= 7:
            break
        if time.monotonic() - t0 > 10:
            break
        time.sleep(0.01)
    ms = (time.monotonic() - t0) * 1000
    lat.append(ms)
    print(f"probe {i}: {n} of 7 searchable after {ms:.0f} ms")
    time.sleep(max(0, 1 - ms / 1000))
lat.sort()
print(f"searchable after: p50 {lat[len(lat)//2]:.0f} ms, max {lat[-1]:.0f} ms ({probes} probes)")
PY
