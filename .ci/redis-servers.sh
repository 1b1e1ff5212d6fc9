#!/usr/bin/env bash
# Starts or stops the real Redis servers the tests of sessionpack-redis run against:
# a standalone redis-server and a Redis Cluster of three masters with a replica each, on free
# loopback ports.
#
#   eval "$(bash .ci/redis-servers.sh start)"   # prints `export REDIS_URL=… REDIS_CLUSTER_URL=…`
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

start() {
  if ! command -v "$SERVER" >/dev/null 2>&1; then
    log "$SERVER is not installed (Debian: apt-get install redis-server)"; exit 1
  fi
  if ! command -v "$CLI" >/dev/null 2>&1; then
    log "$CLI is not installed (Debian: apt-get install redis-tools)"; exit 1
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

  {
    echo "export REDIS_URL=redis://127.0.0.1:$standalone"
    echo "export REDIS_CLUSTER_URL=$cluster_url"
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
  log "stopped: $(echo $pids)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
