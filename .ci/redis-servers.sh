#!/usr/bin/env bash
# Starts or stops the real Redis servers the tests of sessionpack-redis run against:
# a standalone redis-server, a Redis Cluster of three masters with a replica each, and a
# standalone redis-server that speaks only TLS (a throwaway CA and a certificate for 127.0.0.1,
# made with openssl), on free loopback ports.
#
#   eval "$(bash .ci/redis-servers.sh start)"
#     # prints `export REDIS_URL=… REDIS_CLUSTER_URL=… REDIS_TLS_URL=rediss://… REDIS_TLS_CA=…`
#   bash .ci/redis-servers.sh stop              # stops what `start` started, by pid
#
# Logs and node files live in $REDIS_SERVERS_DIR (default /tmp/sessionpack-redis-servers);
# the pids are in its `pids` file and the exports in its `env` file. Everything but the export
# lines goes to stderr. Stop kills only the pids that start wrote down.
set -euo pipefail

DIR="${REDIS_SERVERS_DIR:-/tmp/sessionpack-redis-servers}"
SERVER="${REDIS_SERVER:-redis-server}"
CLI="${REDIS_CLI:-redis-cli}"
log() { printf 'redis-servers: %s\n' "$*" >&2; }

# shellcheck source=.ci/redis-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/redis-lib.sh"

# redis-server in the foreground, in the background of this shell; its pid goes to the pids file.
spawn() {
  local port=$1; shift
  "$SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$DIR" --logfile "$DIR/redis-$port.log" "$@" >/dev/null 2>&1 &
  echo $! >>"$DIR/pids"
  wait_port "$port"
}

# A throwaway CA, a server certificate it signed for 127.0.0.1 and localhost, and a
# redis-server on TLS port $1 only (no plain port; clients need no certificate of their own).
tls_server() {
  local port=$1 tls="$DIR/tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sessionpack test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.crt" >/dev/null 2>&1
  "$SERVER" --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$DIR" --logfile "$DIR/redis-tls-$port.log" \
    --tls-cert-file "$tls/server.crt" --tls-key-file "$tls/server.key" \
    --tls-ca-cert-file "$tls/ca.crt" --tls-auth-clients no >/dev/null 2>&1 &
  echo $! >>"$DIR/pids"
  for _ in $(seq 1 200); do
    if "$CLI" --tls --cacert "$tls/ca.crt" -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  log "the TLS redis-server on port $port did not answer"; return 1
}

start() {
  if ! command -v "$SERVER" >/dev/null 2>&1; then
    log "$SERVER is not installed (Debian: apt-get install redis-server)"; exit 1
  fi
  if ! command -v "$CLI" >/dev/null 2>&1; then
    log "$CLI is not installed (Debian: apt-get install redis-tools)"; exit 1
  fi
  if ! command -v openssl >/dev/null 2>&1; then
    log "openssl is not installed (Debian: apt-get install openssl)"; exit 1
  fi
  if [ -s "$DIR/pids" ]; then
    log "$DIR/pids exists: stopping what it lists first"; stop
  fi
  mkdir -p "$DIR"
  : >"$DIR/pids"

  local standalone; standalone=$(free_port)
  spawn "$standalone"
  log "standalone redis-server on 127.0.0.1:$standalone"

  # Three masters with a replica each (.ci/redis-cluster.sh), node timeout 2 s.
  local cluster_out
  cluster_out=$(CLUSTER_NODE_TIMEOUT=2000 bash "$(dirname "$0")/redis-cluster.sh" start "$DIR/cluster" 3 1) \
    || { log "could not start the Redis Cluster"; exit 1; }
  local cluster_url; cluster_url=$(printf '%s\n' "$cluster_out" | sed -n 's/^SEEDS=//p')
  log "3-master Redis Cluster with 3 replicas: $cluster_url"

  local tls; tls=$(free_port)
  tls_server "$tls"
  log "TLS-only redis-server on 127.0.0.1:$tls (CA: $DIR/tls/ca.crt)"

  {
    echo "export REDIS_URL=redis://127.0.0.1:$standalone"
    echo "export REDIS_CLUSTER_URL=$cluster_url"
    echo "export REDIS_TLS_URL=rediss://127.0.0.1:$tls"
    echo "export REDIS_TLS_CA=$DIR/tls/ca.crt"
  } >"$DIR/env"
  cat "$DIR/env"
}

stop() {
  bash "$(dirname "$0")/redis-cluster.sh" stop "$DIR/cluster" || true
  [ -f "$DIR/pids" ] || { log "nothing to stop ($DIR/pids is missing)"; return 0; }
  local pids; pids=$(cat "$DIR/pids")
  for pid in $pids; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$DIR/pids" "$DIR/env" "$DIR"/nodes-*.conf
  rm -rf "$DIR/tls"
  log "stopped: $(echo $pids)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
