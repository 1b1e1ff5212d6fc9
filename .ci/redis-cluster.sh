#!/usr/bin/env bash
# Starts or stops one Redis Cluster of real redis-servers on free loopback ports: masters, a
# number of replicas per master (each replicating a known master, for failover tests), and
# spare cluster-enabled nodes that belong to no cluster yet (to add as new masters).
#
#   bash .ci/redis-cluster.sh start DIR MASTERS REPLICAS_PER_MASTER [SPARES]
#   bash .ci/redis-cluster.sh stop DIR
#
# `start` prints, one per line, on stdout (everything else goes to stderr):
#   SEEDS=redis://127.0.0.1:P1,redis://127.0.0.1:P2,…   the masters, as a cluster URL list
#   MASTERS=P1 P2 …                                    master ports, in slot order
#   REPLICAS=R1 R2 …                                   replica ports: Rk replicates Pk (mod MASTERS)
#   SPARES=S1 …                                        cluster-enabled nodes in no cluster
# and writes DIR/pid-PORT for every node and DIR/pids (all pids), so a test can `kill -9` one
# node by its port. `stop` kills exactly the pids in DIR/pids.
#
# Environment: REDIS_SERVER, REDIS_CLI (binaries), CLUSTER_NODE_TIMEOUT (ms, default 1000: a
# killed master's replica is promoted about 1–2 s later). Nodes allow DEBUG (tests use
# `DEBUG SET-ACTIVE-EXPIRE 0`) since they listen on loopback only.
set -euo pipefail

SERVER="${REDIS_SERVER:-redis-server}"
CLI="${REDIS_CLI:-redis-cli}"
NODE_TIMEOUT="${CLUSTER_NODE_TIMEOUT:-1000}"
log() { printf 'redis-cluster: %s\n' "$*" >&2; }

# shellcheck source=.ci/redis-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/redis-lib.sh"

# A cluster-enabled redis-server on a free port, in the background; prints its port.
node() {
  local dir=$1 port
  for _ in 1 2 3; do
    port=$(free_port)
    "$SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
      --dir "$dir" --logfile "$dir/redis-$port.log" --enable-debug-command yes \
      --cluster-enabled yes --cluster-config-file "$dir/nodes-$port.conf" \
      --cluster-node-timeout "$NODE_TIMEOUT" >/dev/null 2>&1 &
    local pid=$!
    echo "$pid" >>"$dir/pids"
    echo "$pid" >"$dir/pid-$port"
    # Another start may have taken the port since it was found free: try a new one.
    if wait_port "$port"; then echo "$port"; return 0; fi
    kill -9 "$pid" 2>/dev/null || true
  done
  return 1
}

cli() { local port=$1; shift; "$CLI" -h 127.0.0.1 -p "$port" "$@"; }

# Waits until every node in "$@" says cluster_state:ok and knows all of them.
wait_ok() {
  local want=$# p
  for p in "$@"; do
    local ok=""
    for _ in $(seq 1 400); do
      if cli "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' \
        && [ "$(cli "$p" cluster nodes 2>/dev/null | grep -vc 'handshake\|noaddr\|fail')" -ge "$want" ]; then
        ok=1; break
      fi
      sleep 0.05
    done
    [ -n "$ok" ] || { log "node $p never reached cluster_state:ok with $want nodes"; return 1; }
  done
}

start() {
  local dir=$1 masters=$2 replicas=$3 spares=${4:-0}
  command -v "$SERVER" >/dev/null 2>&1 || { log "$SERVER is not installed (Debian: apt-get install redis-server)"; exit 1; }
  command -v "$CLI" >/dev/null 2>&1 || { log "$CLI is not installed (Debian: apt-get install redis-tools)"; exit 1; }
  mkdir -p "$dir"
  [ -s "$dir/pids" ] && { log "$dir/pids exists: stopping what it lists first"; stop "$dir"; }
  : >"$dir/pids"

  local m=() r=() s=() seeds=() urls=() i
  for ((i = 0; i < masters; i++)); do m+=("$(node "$dir")"); done
  for p in "${m[@]}"; do seeds+=("127.0.0.1:$p"); urls+=("redis://127.0.0.1:$p"); done
  cli "${m[0]}" --cluster create "${seeds[@]}" --cluster-replicas 0 --cluster-yes \
    >"$dir/cluster-create.log" 2>&1 || { cat "$dir/cluster-create.log" >&2; exit 1; }
  wait_ok "${m[@]}"

  # Each replica meets the cluster and replicates the master of its index.
  for ((i = 0; i < masters * replicas; i++)); do
    local p master id
    p=$(node "$dir"); master=${m[$((i % masters))]}
    id=$(cli "$master" cluster myid)
    cli "$p" cluster meet 127.0.0.1 "${m[0]}" >/dev/null
    for _ in $(seq 1 400); do
      cli "$p" cluster nodes 2>/dev/null | grep -q "^$id " && break
      sleep 0.05
    done
    cli "$p" cluster replicate "$id" >/dev/null || { log "node $p could not replicate $master"; exit 1; }
    r+=("$p")
  done
  if [ "${#r[@]}" -gt 0 ]; then
    wait_ok "${m[@]}" "${r[@]}"
    for p in "${r[@]}"; do
      for _ in $(seq 1 400); do
        cli "$p" info replication 2>/dev/null | grep -q 'master_link_status:up' && break
        sleep 0.05
      done
    done
  fi
  for ((i = 0; i < spares; i++)); do s+=("$(node "$dir")"); done
  log "cluster in $dir: masters ${m[*]}, replicas ${r[*]:-none}, spares ${s[*]:-none}"

  echo "SEEDS=$(IFS=,; echo "${urls[*]}")"
  echo "MASTERS=${m[*]}"
  echo "REPLICAS=${r[*]:-}"
  echo "SPARES=${s[*]:-}"
}

stop() {
  local dir=$1
  [ -f "$dir/pids" ] || { log "nothing to stop ($dir/pids is missing)"; return 0; }
  local pids; pids=$(cat "$dir/pids")
  for pid in $pids; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$dir/pids" "$dir"/pid-* "$dir"/nodes-*.conf
  log "stopped: $(echo $pids)"
}

case "${1:-}" in
  start) [ $# -ge 4 ] || { echo "usage: $0 start DIR MASTERS REPLICAS_PER_MASTER [SPARES]" >&2; exit 2; }
    start "$2" "$3" "$4" "${5:-0}" ;;
  stop) [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    stop "$2" ;;
  *) echo "usage: $0 start DIR MASTERS REPLICAS_PER_MASTER [SPARES] | stop DIR" >&2; exit 2 ;;
esac
