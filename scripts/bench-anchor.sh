#!/usr/bin/env bash
# Anchor ingest benchmark: the HOMER 5 stack (Kamailio sipcapture → PostgreSQL, HOMER 5
# daily sip_capture_* tables) fed by `argos gen` exactly as scripts/bench-ingest.sh feeds
# `argos serve`, so the two tables can be compared. See scripts/anchor/README.md.
#
# Usage: scripts/bench-anchor.sh [DURATION] [RATE...]   (as root; run on an idle machine)
#   defaults: DURATION 10 s, rates 1000 2000 5000 10000 20000 50000 100000 msg/s
# Environment:
#   GEN_FILE=path.pcap   replay this capture instead of the built-in 7-message call
#   CHILDREN=4           Kamailio UDP receiver processes
#   DB_INSERT_MODE=2     sipcapture db_insert_mode (0 sync INSERT, 2 async INSERT)
#   ASYNC_WORKERS=4      Kamailio async workers (the INSERT connections when mode 2)
#   SHM_MB=512           Kamailio shared memory (async mode queues inserts there)
#   MAXBUFFER=33554432   Kamailio UDP receive buffer probe limit (bytes)
#   PG_SYNC_COMMIT=on    PostgreSQL synchronous_commit (stock: on)
#   DRAIN_TIMEOUT=180    max seconds to wait for the row count to stop growing after a rate
#   KEEP=1               keep the temp dir (configs, logs, PostgreSQL data) for inspection
#   ARGOS_BIN=path       use this argos binary (default target/release/argos, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dur=${1:-10}; shift || true
rates=("$@"); [ ${#rates[@]} -gt 0 ] || rates=(1000 2000 5000 10000 20000 50000 100000)
file=${GEN_FILE:-}
bin=${ARGOS_BIN:-target/release/argos}
children=${CHILDREN:-4}
insert_mode=${DB_INSERT_MODE:-2}
async_workers=${ASYNC_WORKERS:-4}
shm_mb=${SHM_MB:-512}
maxbuffer=${MAXBUFFER:-33554432}
sync_commit=${PG_SYNC_COMMIT:-on}
drain_timeout=${DRAIN_TIMEOUT:-180}
log() { echo "bench-anchor: $*" >&2; }

# --- packages ---------------------------------------------------------------------------
mpath=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -d "$mpath" ] || mpath=$(dirname "$(find /usr/lib -name sipcapture.so -path '*kamailio*' 2>/dev/null | head -1)" 2>/dev/null || echo /nonexistent)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if ! command -v kamailio >/dev/null || [ ! -f "$mpath/db_postgres.so" ] || [ ! -f "$mpath/sipcapture.so" ] ||
   [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  [ "$(id -u)" = 0 ] || { log "kamailio, kamailio-postgres-modules and postgresql are needed (run as root to install)"; exit 1; }
  log "installing kamailio kamailio-postgres-modules postgresql"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    kamailio kamailio-postgres-modules postgresql >/dev/null
  mpath=/usr/lib/x86_64-linux-gnu/kamailio/modules
  [ -d "$mpath" ] || mpath=$(dirname "$(find /usr/lib -name sipcapture.so -path '*kamailio*' | head -1)")
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if [ ! -x "$bin" ]; then
  [ -z "${ARGOS_BIN:-}" ] || { log "$bin not found"; exit 1; }
  log "building argos (release)"
  cargo build --release -q -p argos
fi

# --- temp dir, ports, cleanup -------------------------------------------------------------
work=$(mktemp -d /tmp/argos-anchor.XXXXXX)
chmod 755 "$work"
free_port() { # $1 = udp|tcp: a port free on 127.0.0.1 for that protocol right now
  python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
pgport=$(free_port tcp)
hepport=$(free_port udp)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
kam_pid=
pg_started=
cleanup() {
  if [ -n "$kam_pid" ] && kill -0 "$kam_pid" 2>/dev/null; then
    kill -TERM "$kam_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$kam_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$kam_pid" 2>/dev/null || true
    wait "$kam_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_started" ]; then
    as_pg "'$pgbin/pg_ctl' -D '$work/pg' -m fast -w stop" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL: private cluster in the temp dir, TCP on 127.0.0.1 only --------------------
mkdir -p "$work/pg" "$work/sock"
[ "$(id -u)" != 0 ] || chown postgres: "$work/pg" "$work/sock"
as_pg "'$pgbin/initdb' -D '$work/pg' -U postgres -A trust -E UTF8 --no-locale" >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
as_pg "'$pgbin/pg_ctl' -D '$work/pg' -l '$work/sock/pg.log' -w -o \"-p $pgport -k '$work/sock' -c listen_addresses=127.0.0.1 -c synchronous_commit=$sync_commit\" start" >/dev/null ||
  { cat "$work/sock/pg.log" >&2; exit 1; }
pg_started=1
psqlc() { psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
psqlc -d postgres -c "CREATE DATABASE homer_data"
psqlc -d homer_data -f scripts/anchor/homer5-schema.sql >/dev/null
for d in -1 0 1 2; do # UTC days around the run, so a run across midnight still has its tables
  psqlc -d homer_data -c "SELECT homer5_create_day('$(date -u -d "$d day" +%Y%m%d)')" >/dev/null
done

# --- Kamailio sipcapture ------------------------------------------------------------------
sed -e "s|@CHILDREN@|$children|" -e "s|@ASYNC_WORKERS@|$async_workers|" -e "s|@HEP_PORT@|$hepport|" \
    -e "s|@MAXBUFFER@|$maxbuffer|" -e "s|@MPATH@|$mpath|" -e "s|@DB_INSERT_MODE@|$insert_mode|" \
    -e "s|@DB_URL@|postgres://postgres@127.0.0.1:$pgport/homer_data|" \
    scripts/anchor/kamailio-sipcapture.cfg >"$work/kamailio.cfg"
kamailio -c -f "$work/kamailio.cfg" >"$work/kamailio-check.log" 2>&1 || { cat "$work/kamailio-check.log" >&2; exit 1; }
kamailio -DD -E -m "$shm_mb" -f "$work/kamailio.cfg" >"$work/kamailio.log" 2>&1 &
kam_pid=$!
hexport=$(printf '%04X' "$hepport")
udp_line() { awk -v p=":$hexport" '$2 ~ p"$" {print; exit}' /proc/net/udp; }
for _ in $(seq 100); do [ -n "$(udp_line)" ] && break; sleep 0.1; done
[ -n "$(udp_line)" ] && kill -0 "$kam_pid" 2>/dev/null || { cat "$work/kamailio.log" >&2; exit 1; }
sleep 1 # children connect to the database
udp_drops() { udp_line | awk '{print $NF}'; }
rcvbuf=$(ss -uamnH "src 127.0.0.1:$hepport" 2>/dev/null | grep -o 'rb[0-9]*' | head -1 | tr -d rb || true)

# --- the rates ------------------------------------------------------------------------------
rows() { psqlc -d homer_data -c "SELECT homer5_count()"; }
disk() { psqlc -d homer_data -c "SELECT coalesce(sum(pg_total_relation_size(tbl)), 0) FROM homer5_capture_tables"; }
kam_errors() { grep -c -E 'ERROR|CRITICAL' "$work/kamailio.log" || true; }
echo "Kamailio $(kamailio -v | awk 'NR==1{print $3}') sipcapture → PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'),"\
     "HOMER 5 schema; children=$children, db_insert_mode=$insert_mode, async_workers=$async_workers,"\
     "shm=${shm_mb}MB, UDP rcvbuf=${rcvbuf:-?} B, synchronous_commit=$sync_commit;"\
     "${dur}s per rate${file:+, file $file}; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| offered msg/s | sent | stored | loss %% | bytes/msg | kernel UDP drops | drain s | stored msg/s |\n|---|---|---|---|---|---|---|---|\n'
for rate in "${rates[@]}"; do
  d0=$(udp_drops); e0=$(kam_errors)
  read -r sent secs < <("$bin" gen --to "udp:127.0.0.1:$hepport" --rate "$rate" --duration "$dur" ${file:+--file "$file"} --json |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["sent"], j["seconds"])')
  t0=$(date +%s.%N)
  # Drain: wait until the row count has not moved for 3 s (async inserts keep landing after
  # the generator stops) or everything sent is stored.
  last=-1; still=0; n=0; t_last=$t0
  while :; do
    n=$(rows)
    if [ "$n" -ge "$sent" ]; then break; fi
    if [ "$n" = "$last" ]; then still=$((still + 1)); [ $still -ge 6 ] && break; else still=0; t_last=$(date +%s.%N); fi
    last=$n
    [ "$(python3 -c "import sys; print(int(float(sys.argv[1])-float(sys.argv[2])))" "$(date +%s.%N)" "$t0")" -lt "$drain_timeout" ] || { log "rate $rate: still draining after ${drain_timeout}s"; break; }
    sleep 0.5
  done
  [ "$n" -lt "$sent" ] || t_last=$(date +%s.%N)
  drain=$(python3 -c "import sys; print(max(0.0, float(sys.argv[1])-float(sys.argv[2])))" "$t_last" "$t0")
  kill -0 "$kam_pid" 2>/dev/null || { log "kamailio died"; tail -20 "$work/kamailio.log" >&2; exit 1; }
  stored=$(rows); bytes=$(disk)
  d1=$(udp_drops); e1=$(kam_errors)
  [ "$e1" = "$e0" ] || log "rate $rate: $((e1 - e0)) new ERROR lines in kamailio.log, e.g.: $(grep -E 'ERROR|CRITICAL' "$work/kamailio.log" | tail -1)"
  python3 - "$rate" "$sent" "$stored" "$bytes" "$((d1 - d0))" "$secs" "$drain" <<'PY'
import sys
rate, sent, stored, b, drops = map(int, sys.argv[1:6])
secs, drain = map(float, sys.argv[6:])
loss = 100.0 * (sent - stored) / sent if sent else 0
print(f"| {rate:,} | {sent:,} | {stored:,} | {loss:.2f} | {b / max(stored, 1):,.0f} | {drops:,} "
      f"| {drain:.0f} | {stored / (secs + drain):,.0f} |")
PY
  psqlc -d homer_data -c "DO \$\$ DECLARE t regclass; BEGIN FOR t IN SELECT tbl FROM homer5_capture_tables LOOP EXECUTE 'TRUNCATE ' || t; END LOOP; END \$\$" >/dev/null
  psqlc -d homer_data -c "CHECKPOINT" >/dev/null
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
