# What .ci/redis-servers.sh and .ci/redis-cluster.sh share (sourced by both; they set CLI and
# log first).

# A loopback port that is free, with port+10000 (a cluster node's bus port) free as well.
free_port() {
  python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(1000):
    p = random.randint(20000, 29999)
    if free(p) and free(p + 10000):
        print(p); break
else:
    raise SystemExit("no free port pair found")
PY
}

# Waits up to 10 s for the redis-server on port $1 to answer PING.
wait_port() {
  for _ in $(seq 1 200); do
    if "$CLI" -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  log "redis-server on port $1 did not answer"; return 1
}
