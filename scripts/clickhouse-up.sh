#!/usr/bin/env bash
# Starts a two-shard ClickHouse setup on this machine for the ClickHouse store tests:
#   shard 1: HTTP 127.0.0.1:8123, native 9000 (data in $ARGOS_CH_DIR/s1)
#   shard 2: HTTP 127.0.0.1:8124, native 9001 (data in $ARGOS_CH_DIR/s2)
# and a cluster `argos_2shards` (config.d/remote_servers) over both, known to both.
# Installs clickhouse-server and clickhouse-client from Debian (18.16) when missing. Runs
# as root without systemd: the servers are started in the background with --config-file
# and keep running after this script exits. Idempotent: servers already answering are
# left alone. Prints the environment the tests read, e.g.
#   eval "$(scripts/clickhouse-up.sh)"
# All progress goes to stderr; only the `export` lines go to stdout.
set -euo pipefail

BASE="${ARGOS_CH_DIR:-/var/tmp/argos-clickhouse}"
HTTP_PORTS=(8123 8124)
TCP_PORTS=(9000 9001)
INTER_PORTS=(9009 9010)
CLUSTER=argos_2shards

log() { echo "clickhouse-up: $*" >&2; }

need=()
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q "${need[@]}" >/dev/null
fi

answers() { curl -fsS --max-time 2 "http://127.0.0.1:$1/?query=SELECT%201" >/dev/null 2>&1; }

remote_servers() {
  echo "<yandex><remote_servers><$CLUSTER>"
  for i in 0 1; do
    echo "<shard><replica><host>127.0.0.1</host><port>${TCP_PORTS[$i]}</port></replica></shard>"
  done
  echo "</$CLUSTER></remote_servers></yandex>"
}

start_shards() {
  for i in 0 1; do
    n=$((i + 1))
    http=${HTTP_PORTS[$i]}
    if answers "$http"; then
      log "shard $n already answers on :$http"
      continue
    fi
    dir="$BASE/s$n"
    # A server of this directory that is still shutting down holds its lock file: a new one
    # would refuse to start. Wait for it to go (30 s), then stop it if it hangs.
    for _ in $(seq 60); do
      pgrep -f -- "--config-file=$dir/config.xml" >/dev/null 2>&1 || break
      sleep 0.5
    done
    if pgrep -f -- "--config-file=$dir/config.xml" >/dev/null 2>&1; then
      log "shard $n: a server of $dir does not answer and does not exit: stopping it"
      pkill -KILL -f -- "--config-file=$dir/config.xml" || true
      sleep 1
    fi
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log" "$dir/config.d"
    # The packaged config with this instance's ports, paths and logs; the packaged
    # users.xml (default user, no password, localhost only).
    sed -e "s#<http_port>8123</http_port>#<http_port>$http</http_port>#" \
        -e "s#<tcp_port>9000</tcp_port>#<tcp_port>${TCP_PORTS[$i]}</tcp_port>#" \
        -e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>${INTER_PORTS[$i]}</interserver_http_port>#" \
        -e "s#<https_port>8443</https_port>##" \
        -e "s#<tcp_port_secure>9440</tcp_port_secure>##" \
        -e "s#<listen_host>::1</listen_host>##" \
        -e "s#/var/lib/clickhouse/tmp/#$dir/tmp/#" \
        -e "s#/var/lib/clickhouse/user_files/#$dir/user_files/#" \
        -e "s#/var/lib/clickhouse/format_schemas/#$dir/format_schemas/#" \
        -e "s#/var/lib/clickhouse/#$dir/data/#" \
        -e "s#/var/log/clickhouse-server/#$dir/log/#" \
        /etc/clickhouse-server/config.xml >"$dir/config.xml"
    cp /etc/clickhouse-server/users.xml "$dir/users.xml"
    remote_servers >"$dir/config.d/remote_servers.xml"
    chown -R clickhouse:clickhouse "$dir" 2>/dev/null || true
    log "starting shard $n on :$http (data $dir)"
    cmd=(clickhouse-server "--config-file=$dir/config.xml")
    if [ "$(id -u)" -eq 0 ] && id clickhouse >/dev/null 2>&1; then
      # The server refuses to run as root over files owned by another user.
      # exec, and no inherited stdout: a caller's $(...) must not wait for the server.
      (cd "$dir" && exec nohup setpriv --reuid=clickhouse --regid=clickhouse --init-groups \
        "${cmd[@]}" >"$dir/log/stdout.log" 2>&1 </dev/null) >/dev/null 2>&1 &
    else
      (cd "$dir" && exec nohup "${cmd[@]}" >"$dir/log/stdout.log" 2>&1 </dev/null) >/dev/null 2>&1 &
    fi
  done
}

# True when both shards answer and the cluster names both.
wait_shards() {
  local http
  for http in "${HTTP_PORTS[@]}"; do
    for _ in $(seq 1 120); do
      answers "$http" && break
      sleep 0.5
    done
    answers "$http" || return 1
  done
  # A server that was shutting down may have answered a moment ago: look again.
  sleep 1
  for http in "${HTTP_PORTS[@]}"; do answers "$http" || return 1; done
  [ "$(curl -fsS "http://127.0.0.1:${HTTP_PORTS[0]}/" --data-binary \
    "SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER'" 2>/dev/null)" = 2 ]
}

up=""
for attempt in 1 2 3; do
  start_shards
  if wait_shards; then up=1; break; fi
  log "attempt $attempt: the shards are not up; again"
done
if [ -z "$up" ]; then
  for n in 1 2; do
    log "shard $n log:"
    tail -n 30 "$BASE/s$n/log/clickhouse-server.err.log" >&2 2>/dev/null || true
    tail -n 30 "$BASE/s$n/log/stdout.log" >&2 2>/dev/null || true
  done
  exit 1
fi
log "up: $(curl -fsS "http://127.0.0.1:${HTTP_PORTS[0]}/?query=SELECT%20version()")," \
  "cluster $CLUSTER: $(curl -fsS "http://127.0.0.1:${HTTP_PORTS[0]}/" --data-binary \
  "SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER'") shards"

echo "export ARGOS_TEST_CLICKHOUSE=http://127.0.0.1:${HTTP_PORTS[0]}"
echo "export ARGOS_TEST_CLICKHOUSE_CLUSTER=$CLUSTER"
echo "export ARGOS_TEST_CLICKHOUSE_SHARDS=http://127.0.0.1:${HTTP_PORTS[0]},http://127.0.0.1:${HTTP_PORTS[1]}"
