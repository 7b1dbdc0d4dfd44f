#!/usr/bin/env bash
# Check the Argos web UI against a real server in headless Chromium and write screenshots.
#
#   scripts/ui-screenshots.sh [CAPTURE.pcap] [OUT_DIR]
#
#   CAPTURE  pcap/pcapng to import (default: ../shared/testdata/lab/lab-calls.pcap next to the repo)
#   OUT_DIR  where the PNGs go (default: /tmp/argos-ui-shots)
#
# Steps: build argos (release; the UI is embedded in the binary), import CAPTURE into a temp data dir,
# start `argos serve` on free local ports, then (scripts/ui/shots.mjs) log in, search calls over all
# time, open an answered call, click an arrow in the ladder, send a call whose User-Agent is
# `<script>alert(1)</script>` over HEP and check it is shown as text, then the call tracker pages: Calls
# (status badges, status filter, the hostile User-Agent as text), a call's Summary and Diagnosis, Devices,
# Stats (SVG charts, hover read-out, top lists, by source IP) and Alarms (evidence rows). Those pages are
# skipped, saying so, when the server has no call tracker API. Also: the Home page (and arranging its
# widgets: hide, add, reorder, kept over a reload, reset), a search by From
# user, the call page's tools (both legs, host alias in the ladder header, diff of two messages, Logs
# tab with a proto-100 line, SVG/PNG/text/JSON exports and the pcap download, each checked as a file;
# the diff's unified view and its "ignore Via / Record-Route / Route / Max-Forwards / Content-Length"
# toggle, on the two INVITEs of a proxied call) and the search page's tools (counts, quick filter,
# column chooser kept over a reload, a saved search shared with the team on the server, share link in
# a new tab, live mode showing a call sent now, "Load more" paging of messages and calls, a field given
# twice explained before it is sent). Then the Admin page as admin: create users `ro`
# (read-only) and `u1` through the form, promote u1 to user and reset its password, see a taken name
# and deleting the last admin refused with the API's 409 shown in the page, create an API token
# (secret shown once, checked against /api/v1/me) and revoke it (refused afterwards), filter the audit
# log. Then `ro` in a fresh browser context: role in the header, no users table, audit log or write
# action offered; and `u1` in another: logs in with the reset password, sees admin's shared saved
# search with its owner and opens it. Exits non-zero if any check fails (no call rows, fewer than 3
# hosts in the ladder, raw message not shown, any console error or unexpected failed request, ...).
#
# Environment:
#   ARGOS_BIN=path        use this binary, do not build
#   CHROMIUM=path         browser (default /usr/bin/chromium)
#   ARGOS_UI_ASSETS=dir   serve the UI files from dir instead of the embedded ones (UI work without rebuilding)
#   KEEP=1                keep the temp data dir and server log
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CAPTURE="${1:-$ROOT/../shared/testdata/lab/lab-calls.pcap}"
OUT="${2:-/tmp/argos-ui-shots}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
START=$(date +%s)

die() { echo "ui-screenshots: $*" >&2; exit 1; }
[ -f "$CAPTURE" ] || die "capture not found: $CAPTURE"
[ -x "$CHROMIUM" ] || die "no browser at $CHROMIUM (apt-get install -y chromium, or set CHROMIUM=)"
command -v node >/dev/null || die "node is not installed"

if [ -z "${ARGOS_BIN:-}" ]; then
  echo "== cargo build --release -p argos"
  (cd "$ROOT" && cargo build --release -p argos --quiet) || die "build failed"
  ARGOS_BIN="$ROOT/target/release/argos"
fi
[ -x "$ARGOS_BIN" ] || die "no argos binary at $ARGOS_BIN"

if [ ! -d "$ROOT/scripts/ui/node_modules/playwright-core" ]; then
  echo "== npm ci (scripts/ui)"
  (cd "$ROOT/scripts/ui" && npm ci --no-audit --no-fund --silent) || die "npm ci failed"
fi

WORK="$(mktemp -d /tmp/argos-ui.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "== import $CAPTURE"
"$ARGOS_BIN" import --data "$WORK/data" "$CAPTURE" | tail -n 1

# Free ports: HTTP (tcp) and HEP (udp + tcp on the same number).
read -r HTTP_PORT HEP_PORT < <(python3 - <<'EOF'
import socket
def free():
    while True:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p)); return p
        except OSError:
            pass
        finally:
            t.close(); u.close()
a = free(); b = free()
while b == a: b = free()
print(a, b)
EOF
)

PASSWORD="ui-shots-$RANDOM$RANDOM"
echo "== argos serve on http://127.0.0.1:$HTTP_PORT (HEP udp/tcp $HEP_PORT)"
ARGOS_ADMIN_PASSWORD="$PASSWORD" "$ARGOS_BIN" serve --data "$WORK/data" \
  --http "127.0.0.1:$HTTP_PORT" --hep-udp "127.0.0.1:$HEP_PORT" --hep-tcp "127.0.0.1:$HEP_PORT" \
  >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "server exited"; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || { cat "$WORK/serve.log" >&2; die "server not ready"; }

rm -f "$OUT"/[0-9][0-9]-*.png
set +e
node "$ROOT/scripts/ui/shots.mjs" --url "http://127.0.0.1:$HTTP_PORT" --out "$OUT" \
  --user admin --password "$PASSWORD" --hep-udp "127.0.0.1:$HEP_PORT" --chromium "$CHROMIUM" \
  ${ARGOS_UI_ASSETS:+--assets "$ARGOS_UI_ASSETS"}
RC=$?
set -e
if [ $RC -ne 0 ]; then
  echo "--- server log (last 20 lines)" >&2
  tail -n 20 "$WORK/serve.log" >&2
fi
echo "== done in $(( $(date +%s) - START )) s, exit $RC; screenshots: $OUT"
exit $RC
