#!/usr/bin/env bash
# Source: copied verbatim from /work/shared/bench/anchors.sh (shared bench folder; README-anchors.md, results-anchors-2026-11-29.md); added here: this line and test s.
# anchors.sh - performance anchors for an MTA-STS policy-hosting HTTPS server.
#
# The server under test serves https://mta-sts.<domain>/.well-known/mta-sts.txt
# (~70 B, text/plain) for N domains, choosing certificate + file by TLS SNI.
#
# Usage:
#   anchors.sh nginx  [options]
#   anchors.sh caddy  [options]
#   anchors.sh custom [options] -- <command that starts the server> [its args]
#
# Options:
#   -n N       number of domains mta-sts.d1.test .. mta-sts.dN.test (default 3)
#   -p PORT    TCP port on 127.0.0.1 (default 8443)
#   -r RUNS    repetitions of each load test (default 3; report median/min/max)
#   -t SECS    duration of each load run (default 10)
#   -H CONNS   idle TLS connections held for the memory test (default 2000)
#   -T LIST    tests to run, comma list of: a,ab,rsa,b,c,d,e,s (default all)
#   -w DIR     work dir for certs/configs/logs (default /tmp/mta-sts-anchors)
#   -o FILE    also append the markdown result section to FILE
#
# Environment: SERVER_CPU=1 CLIENT_CPU=0 (taskset pinning), NGINX_WORKERS=1,
#   AB_C=50 WRK_C=50 H2_C=10 H2_M=32 (client concurrency), HOLD_SECS=6,
#   SILENT_CONNS=5000 (test s),
#   STARTUP_TIMEOUT=120, WARMUP_SECS=2, QUIET_PCT=25 QUIET_WAIT=30 (before each
#   run, wait up to QUIET_WAIT s for other processes to use < QUIET_PCT % of
#   one core; every run reports the CPU used by other processes meanwhile).
#
# Tests (every load run is bounded by -t and wrapped in `timeout`):
#   a   new connections/s: full TLS handshake + 1 GET per connection, never
#       resumed: hsbench (C/OpenSSL/epoll, embedded below and compiled with gcc;
#       TCP_NODELAY, fresh SSL per connection, checks SSL_session_reused()==0).
#   ab  the same with ApacheBench (ab without -k: HTTP/1.0, one request per
#       connection, no resumption). ab does not set TCP_NODELAY, which stalls
#       ~40 ms/conn (Nagle vs delayed ACK) on servers that send TLS 1.3 tickets
#       before reading the client Finished (Go/Caddy); kept as a cross-check.
#   rsa same as a, against mta-sts.rsa.test (RSA-2048 leaf).
#   b   HTTP/1.1 keep-alive requests/s (wrk -t1 -c$WRK_C).
#   c   HTTP/2 requests/s (h2load -c$H2_C -m$H2_M).
#   d   memory: RSS (and PSS) of the server process tree, idle after start,
#       and while CONNS idle keep-alive TLS connections are held open.
#   e   openssl speed ecdsap256 ecdhx25519 rsa2048 on SERVER_CPU -> crypto
#       ceiling for full handshakes per core.
#   s   memory of silent connections: on a freshly started server, SILENT_CONNS
#       TCP connections that never send a byte (port scanners, stalled
#       clients); RSS delta of the server process tree, measured once the
#       server has accepted them all (its socket count in /proc/PID/fd), divided
#       by the number accepted.
#   Every load result also reports server CPU% (from /proc utime+stime of the
#   server process tree), server CPU-us per request, client CPU%, CPU% used
#   by other processes, and TCP connections opened (delta of PassiveOpens in
#   /proc/net/snmp), so client-bound or disturbed runs are visible.
#
# Custom server contract (see bench/README-anchors.md):
#   The command is started in the foreground (must not daemonize), pinned with
#   `taskset -c $SERVER_CPU`, with these arguments appended:
#       --host 127.0.0.1 --port PORT --certs CERTS_DIR --policies POLICIES_DIR
#   unless the command contains the placeholders {host} {port} {certs}
#   {policies}, which are then substituted instead. The same values are also
#   exported as MTASTS_HOST, MTASTS_PORT, MTASTS_CERTS, MTASTS_POLICIES.
#     CERTS_DIR/<sni-host>/fullchain.pem   leaf + intermediate (PEM)
#     CERTS_DIR/<sni-host>/privkey.pem     PKCS#8 PEM key (EC P-256 or RSA-2048)
#     CERTS_DIR/<sni-host>/cert.pem, chain.pem   (certbot-like; symlinks)
#     POLICIES_DIR/<sni-host>/mta-sts.txt  the body to serve for that SNI host
#   {domains} is a second layout of the same policies, one file per mail
#   domain: DOMAINS_DIR/<domain>.txt (e.g. d7.test.txt), as mta-sts-host reads:
#     anchors.sh custom -- mta-sts-host serve --listen {host}:{port} \
#         --certs {certs} --policies {domains}
#   <sni-host> is e.g. mta-sts.d7.test (plus mta-sts.rsa.test, RSA-2048).
#   Ready = GET https://<host>:PORT/.well-known/mta-sts.txt answers 200.
#   Stopped with SIGTERM (SIGKILL after 5 s). Must speak TLS 1.2+1.3,
#   HTTP/1.1 keep-alive, and HTTP/2 via ALPN (h2) for test c.
#
# Only loopback is ever targeted. Host names are resolved through a private
# /etc/hosts bind-mounted in a private mount namespace (unshare -m); the real
# /etc/hosts is never modified (fallback: temporary edit restored on exit).

set -euo pipefail

# ---------------------------------------------------------------- arguments
SERVER="${1:-}"
case "$SERVER" in nginx|caddy|custom) shift ;; -h|--help|"") awk 'NR>1 && /^#/{sub(/^# ?/,""); print; next} NR>1{exit}' "$0"; exit 0 ;;
  *) echo "unknown server '$SERVER' (nginx|caddy|custom)" >&2; exit 2 ;; esac

N=3; PORT=8443; RUNS=3; DUR=10; HOLD=2000; TESTS="a,ab,rsa,b,c,d,e,s"
WORK=/tmp/mta-sts-anchors; OUTMD=""
CUSTOM_CMD=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    -p) PORT="$2"; shift 2 ;;
    -r) RUNS="$2"; shift 2 ;;
    -t) DUR="$2"; shift 2 ;;
    -H) HOLD="$2"; shift 2 ;;
    -T) TESTS="$2"; shift 2 ;;
    -w) WORK="$2"; shift 2 ;;
    -o) OUTMD="$2"; shift 2 ;;
    --) shift; CUSTOM_CMD=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$SERVER" = custom ] && [ ${#CUSTOM_CMD[@]} -eq 0 ] && { echo "custom needs: -- <command>" >&2; exit 2; }

BIND=127.0.0.1                          # never change: loopback only
SERVER_CPU="${SERVER_CPU:-1}"; CLIENT_CPU="${CLIENT_CPU:-0}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
AB_C="${AB_C:-50}"; WRK_C="${WRK_C:-50}"; H2_C="${H2_C:-10}"; H2_M="${H2_M:-32}"
HOLD_SECS="${HOLD_SECS:-6}"; SILENT_CONNS="${SILENT_CONNS:-5000}"; STARTUP_TIMEOUT="${STARTUP_TIMEOUT:-120}"; WARMUP_SECS="${WARMUP_SECS:-2}"
PY="$(command -v /usr/bin/python3 || command -v python3)"
has() { case ",$TESTS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
log() { printf '[anchors %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for t in openssl curl taskset timeout ab wrk h2load gcc "$PY"; do command -v "$t" >/dev/null || die "missing $t (apt-get install nginx caddy nghttp2-client wrk apache2-utils curl gcc libssl-dev)"; done
[ "$SERVER" = nginx ] && { command -v nginx >/dev/null || die "missing nginx"; }
[ "$SERVER" = caddy ] && { command -v caddy >/dev/null || die "missing caddy"; }
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || die "bad -n"
NCPU=$(nproc)
[ "$SERVER_CPU" -lt "$NCPU" ] && [ "$CLIENT_CPU" -lt "$NCPU" ] || die "CPU ids out of range"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
QUIET_PCT="${QUIET_PCT:-25}"; QUIET_WAIT="${QUIET_WAIT:-30}"

TARGET="mta-sts.d${N}.test"              # last domain: punishes linear SNI lookups
RSAHOST="mta-sts.rsa.test"
PATHQ="/.well-known/mta-sts.txt"
SITES="$WORK/sites-n$N"
RUN="$WORK/run-$SERVER-n$N"
PKI="$WORK/pki"; POOL="$WORK/pool"

# ---------------------------------------------------------------- cleanup
SERVER_PID=""; HOLD_PID=""; HOSTS_MODE=""; HOSTS_BACKUP=""; PRE_OTHER=""
kill_tree() {  # kill a pid and its descendants, by pid
  local root="$1" sig="${2:-TERM}" p
  for p in $(tree_pids "$root"); do kill -s "$sig" "$p" 2>/dev/null || true; done
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  local pids; pids=$(tree_pids "$SERVER_PID")
  kill_tree "$SERVER_PID" TERM
  for _ in $(seq 50); do
    local alive=0; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  set +e
  [ -n "$HOLD_PID" ] && { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; }
  stop_server
  if [ "$HOSTS_MODE" = edit ] && [ -n "$HOSTS_BACKUP" ]; then cat "$HOSTS_BACKUP" > /etc/hosts; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- /proc helpers
tree_pids() {
  ps -e -o pid=,ppid= | awk -v r="$1" '{par[$1]=$2; all[NR]=$1}
    END{ if(!(r in par)) exit; s[r]=1; ch=1; while(ch){ch=0; for(i in all){p=all[i]; if(!(p in s) && (par[p] in s)){s[p]=1; ch=1}}} for(p in s) print p }'
}
cpu_ticks() {  # utime+stime of the tree, in clock ticks
  local t=0 p v
  for p in $(tree_pids "$1"); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13}') || v=0
    t=$((t + ${v:-0}))
  done; echo "$t"
}
rss_kb() { local t=0 p v; for p in $(tree_pids "$1"); do v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null); t=$((t+${v:-0})); done; echo $t; }
pss_kb() { local t=0 p v; for p in $(tree_pids "$1"); do v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); t=$((t+${v:-0})); done; echo $t; }
socket_fds() { local t=0 p; for p in $(tree_pids "$1"); do t=$((t + $(find "/proc/$p/fd" -lname 'socket:*' 2>/dev/null | wc -l))); done; echo $t; }
passive_opens() { awk '/^Tcp:/{ if(!h){for(i=1;i<=NF;i++) if($i=="PassiveOpens") c=i; h=1} else print $c }' /proc/net/snmp; }
HZ=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }   # all CPUs, user..steal
wait_quiet() {  # wait (bounded) until other processes use < QUIET_PCT % of one core
  local tries=0 b0 s0 b1 s1 other
  while :; do
    b0=$(busy_ticks); s0=$(cpu_ticks "$SERVER_PID"); sleep 1; b1=$(busy_ticks); s1=$(cpu_ticks "$SERVER_PID")
    other=$(( (b1 - b0 - (s1 - s0)) * 100 / HZ ))
    [ "$other" -lt "$QUIET_PCT" ] && { PRE_OTHER=$other; return 0; }
    tries=$((tries + 1))
    [ "$tries" -ge "$QUIET_WAIT" ] && { PRE_OTHER=$other; log "machine busy (other processes ${other}% of a core); running anyway"; return 0; }
  done
}
now() { date +%s.%N; }

# ---------------------------------------------------------------- PKI (idempotent)
mkcert() {  # host keytype -> $POOL/host/{privkey,cert,chain,fullchain}.pem
  local h="$1" kt="$2" d="$POOL/$1"
  [ -s "$d/fullchain.pem" ] && [ -s "$d/privkey.pem" ] && return 0
  mkdir -p "$d"
  local newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  [ "$kt" = rsa ] && newkey=(-newkey rsa:2048)
  openssl req -x509 -new "${newkey[@]}" -nodes -keyout "$d/privkey.pem.tmp" \
    -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -days 365 -subj "/CN=$h" \
    -addext "subjectAltName=DNS:$h" -addext "basicConstraints=critical,CA:false" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" -addext "extendedKeyUsage=serverAuth" \
    -out "$d/cert.pem.tmp" 2>/dev/null
  cp "$PKI/int.pem" "$d/chain.pem"
  cat "$d/cert.pem.tmp" "$PKI/int.pem" > "$d/fullchain.pem.tmp"
  mv "$d/privkey.pem.tmp" "$d/privkey.pem"; mv "$d/cert.pem.tmp" "$d/cert.pem"; mv "$d/fullchain.pem.tmp" "$d/fullchain.pem"
}
setup_pki() {
  mkdir -p "$PKI" "$POOL"; chmod 755 "$WORK" "$POOL"
  # leaf certs live 365 days: start over if they are about to expire
  if [ -s "$POOL/mta-sts.d1.test/cert.pem" ] && ! openssl x509 -checkend 604800 -noout -in "$POOL/mta-sts.d1.test/cert.pem" >/dev/null; then
    log "test certificates expire soon: recreating the PKI"; rm -rf "$PKI" "$POOL" "$WORK"/sites-n*; mkdir -p "$PKI" "$POOL"
  fi
  if [ ! -s "$PKI/int.pem" ]; then
    rm -rf "$POOL" "$WORK"/sites-n*; mkdir -p "$POOL"   # leaves signed by an old CA would not verify
    log "creating test CA (root + intermediate, ECDSA P-256)"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/root.key" \
      -out "$PKI/root.pem" -days 3650 -subj "/CN=MTA-STS Bench Root" 2>/dev/null
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$PKI/int.key" \
      -CA "$PKI/root.pem" -CAkey "$PKI/root.key" -days 3650 -subj "/CN=MTA-STS Bench Intermediate" \
      -addext "basicConstraints=critical,CA:true,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$PKI/int.pem" 2>/dev/null
  fi
  local missing=0 k
  for k in $(seq 1 "$N"); do [ -s "$POOL/mta-sts.d$k.test/fullchain.pem" ] || missing=$((missing+1)); done
  if [ $missing -gt 0 ]; then
    log "creating $missing ECDSA P-256 leaf certs"
    export -f mkcert; export PKI POOL
    seq 1 "$N" | sed 's/.*/mta-sts.d&.test/' | xargs -P "$NCPU" -I{} bash -c 'mkcert "$1" ec' _ {}
  fi
  mkcert "$RSAHOST" rsa
}
setup_sites() {  # certbot-like certs/<host>/*.pem (symlinks) + policies/<host>/mta-sts.txt
  [ -f "$SITES/.complete" ] && return 0
  log "laying out $SITES (N=$N)"
  rm -rf "$SITES"; mkdir -p "$SITES/certs" "$SITES/policies"
  "$PY" - "$SITES" "$POOL" "$N" "$RSAHOST" <<'EOF'
import os, sys
sites, pool, n, rsa = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
hosts = [(f"mta-sts.d{k}.test", f"mail.d{k}.test") for k in range(1, n + 1)] + [(rsa, "mail.rsa.test")]
for h, mx in hosts:
    cd = os.path.join(sites, "certs", h); os.makedirs(cd)
    for f in ("fullchain.pem", "privkey.pem", "cert.pem", "chain.pem"):
        os.symlink(os.path.join(pool, h, f), os.path.join(cd, f))
    pd = os.path.join(sites, "policies", h); os.makedirs(pd)
    with open(os.path.join(pd, "mta-sts.txt"), "wb") as fh:
        fh.write(f"version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 604800\r\n".encode())
    os.chmod(os.path.join(pd, "mta-sts.txt"), 0o644)
    # flat layout, one file per mail domain: policies-by-domain/<domain>.txt (placeholder {domains})
    fd = os.path.join(sites, "policies-by-domain"); os.makedirs(fd, exist_ok=True)
    with open(os.path.join(fd, h[len("mta-sts."):] + ".txt"), "wb") as fh:
        fh.write(f"version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 604800\r\n".encode())
EOF
  chmod -R a+rX "$SITES/policies" "$SITES/policies-by-domain"
  touch "$SITES/.complete"
}
all_hosts() { seq 1 "$N" | sed 's/.*/mta-sts.d&.test/'; echo "$RSAHOST"; }

# ---------------------------------------------------------------- server configs
write_nginx_conf() {  # $1 = conf path, $2 = "verify" to enable a diagnostic access log
  local conf="$1" h
  mkdir -p "$RUN/nginx/tmp"
  {
    echo "worker_processes $NGINX_WORKERS;"
    echo "pid $RUN/nginx/nginx.pid;"
    echo "error_log $RUN/nginx/error.log warn;"
    echo "worker_rlimit_nofile $NOFILE;"
    echo "events { worker_connections 16384; }"
    echo "http {"
    if [ "${2:-}" = verify ]; then
      echo "  log_format v '\$ssl_session_reused \$ssl_protocol \$connection_requests \$status \$ssl_server_name';"
      echo "  access_log $RUN/nginx/verify-access.log v;"
    else
      echo "  access_log off;"
    fi
    echo "  server_tokens off; sendfile on; tcp_nodelay on;"
    echo "  keepalive_requests 1000000;   # also caps HTTP/2 requests per connection in 1.19.7+"
    echo "  server_names_hash_max_size 8192; server_names_hash_bucket_size 64;"
    echo "  ssl_protocols TLSv1.2 TLSv1.3;"
    for d in client_body proxy fastcgi uwsgi scgi; do echo "  ${d}_temp_path $RUN/nginx/tmp/$d;"; done
    for h in $(all_hosts); do
      cat <<EOF
  server {
    listen $BIND:$PORT ssl http2;
    server_name $h;
    ssl_certificate     $SITES/certs/$h/fullchain.pem;
    ssl_certificate_key $SITES/certs/$h/privkey.pem;
    location = $PATHQ { types { } default_type text/plain; alias $SITES/policies/$h/mta-sts.txt; }
    location / { return 404; }
  }
EOF
    done
    echo "}"
  } > "$conf"
}
write_caddyfile() {
  local cf="$1" h
  {
    cat <<EOF
{
	admin off
	auto_https off
	storage file_system {
		root $RUN/caddy/storage
	}
	servers {
		protocols h1 h2
	}
}
EOF
    for h in $(all_hosts); do
      cat <<EOF
https://$h:$PORT {
	bind $BIND
	tls $SITES/certs/$h/fullchain.pem $SITES/certs/$h/privkey.pem
	handle $PATHQ {
		root * $SITES/policies/$h
		rewrite * /mta-sts.txt
		file_server
	}
	handle {
		respond 404
	}
}
EOF
    done
  } > "$cf"
}

# ---------------------------------------------------------------- start / readiness
port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }
curl_get() {  # host [extra curl args] -> prints "code|http_version|content_type" ; body to $RUN/body
  local h="$1"; shift
  curl -sS --max-time 5 --cacert "$PKI/root.pem" --resolve "$h:$PORT:$BIND" -o "$RUN/body" \
    -w '%{http_code}|%{http_version}|%{content_type}' "$@" "https://$h:$PORT$PATHQ" 2>>"$RUN/curl.err" || true
}
start_server() {  # $1 = "verify" (nginx only)
  port_in_use "$PORT" && die "port $PORT already in use"
  local t0; t0=$(now)
  case "$SERVER" in
    nginx)
      write_nginx_conf "$RUN/nginx/nginx.conf" "${1:-}"
      nginx -t -q -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" 2>>"$RUN/server.log" || die "nginx -t failed (see $RUN/server.log)"
      t0=$(now)
      taskset -c "$SERVER_CPU" nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -g 'daemon off;' >>"$RUN/server.log" 2>&1 &
      SERVER_PID=$! ;;
    caddy)
      mkdir -p "$RUN/caddy/home"; write_caddyfile "$RUN/caddy/Caddyfile"
      t0=$(now)
      HOME="$RUN/caddy/home" XDG_DATA_HOME="$RUN/caddy/home" XDG_CONFIG_HOME="$RUN/caddy/home" \
        taskset -c "$SERVER_CPU" caddy run --adapter caddyfile --config "$RUN/caddy/Caddyfile" >>"$RUN/server.log" 2>&1 &
      SERVER_PID=$! ;;
    custom)
      local cmd=() a sub=0
      for a in "${CUSTOM_CMD[@]}"; do
        case "$a" in *"{port}"*|*"{certs}"*|*"{policies}"*|*"{host}"*|*"{domains}"*) sub=1 ;; esac
        a="${a//\{port\}/$PORT}"; a="${a//\{certs\}/$SITES/certs}"; a="${a//\{policies\}/$SITES/policies}"; a="${a//\{host\}/$BIND}"; a="${a//\{domains\}/$SITES/policies-by-domain}"
        cmd+=("$a")
      done
      [ $sub = 0 ] && cmd+=(--host "$BIND" --port "$PORT" --certs "$SITES/certs" --policies "$SITES/policies")
      echo "custom command: ${cmd[*]}" >>"$RUN/server.log"
      CUSTOM_EFFECTIVE="${cmd[*]}"
      t0=$(now)
      MTASTS_HOST="$BIND" MTASTS_PORT="$PORT" MTASTS_CERTS="$SITES/certs" MTASTS_POLICIES="$SITES/policies" \
        taskset -c "$SERVER_CPU" "${cmd[@]}" >>"$RUN/server.log" 2>&1 &
      SERVER_PID=$! ;;
  esac
  local deadline; deadline=$(awk -v t="$t0" -v s="$STARTUP_TIMEOUT" 'BEGIN{printf "%.3f", t+s}')
  while :; do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$RUN/server.log" >&2; die "server exited during startup"; }
    [ "$(curl_get "$TARGET" --http1.1 | cut -d'|' -f1)" = 200 ] && break
    awk -v d="$deadline" -v n="$(now)" 'BEGIN{exit !(n>d)}' && die "server not ready after ${STARTUP_TIMEOUT}s"
    sleep 0.05
  done
  READY_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')
  log "$SERVER ready in ${READY_S}s (pid $SERVER_PID, pinned to CPU $SERVER_CPU)"
}

# ---------------------------------------------------------------- hosts resolution (private mount ns)
HOSTS_FILE=""
setup_hosts() {
  HOSTS_FILE="$RUN/hosts"
  { cat /etc/hosts; echo "$BIND $TARGET mta-sts.d1.test $RSAHOST"; } > "$HOSTS_FILE"
  if unshare --mount --propagation private -- bash -c 'mount --bind "$0" /etc/hosts' "$HOSTS_FILE" 2>/dev/null; then
    HOSTS_MODE=ns
  else
    HOSTS_MODE=edit; HOSTS_BACKUP="$RUN/hosts.orig"; cp -p /etc/hosts "$HOSTS_BACKUP"
    echo "$BIND $TARGET mta-sts.d1.test $RSAHOST # anchors.sh temporary" >> /etc/hosts
    log "unshare unavailable: temporarily edited /etc/hosts (restored on exit)"
  fi
  local r; r=$(client getent hosts "$TARGET" | awk '{print $1}')
  [ "$r" = "$BIND" ] || die "name $TARGET does not resolve to $BIND (got '$r'); refusing to send traffic"
}
client() {  # run a load generator pinned to CLIENT_CPU with the private hosts file
  if [ "$HOSTS_MODE" = ns ]; then
    taskset -c "$CLIENT_CPU" unshare --mount --propagation private -- bash -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$HOSTS_FILE" "$@"
  else
    taskset -c "$CLIENT_CPU" "$@"
  fi
}

# ---------------------------------------------------------------- measurement wrapper
TSV=""
# measure TEST RUNIDX OUTFILE -- cmd... ; appends a row to $TSV using parse_<tool>
measure() {
  local test="$1" idx="$2" out="$3"; shift 4
  local c0 c1 p0 p1 t0 t1 tf b0 b1 rc=0
  wait_quiet
  c0=$(cpu_ticks "$SERVER_PID"); p0=$(passive_opens); b0=$(busy_ticks); t0=$(now)
  tf="$RUN/time.$$"
  { TIMEFORMAT='%U %S'; time client timeout -k 5 $((DUR + 30)) "$@" >"$out" 2>&1 || rc=$?; } 2>"$tf"
  t1=$(now); b1=$(busy_ticks); c1=$(cpu_ticks "$SERVER_PID"); p1=$(passive_opens)
  local wall srv cli conns other
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
  srv=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v w="$wall" 'BEGIN{printf "%.1f", 100*c/hz/w}')
  cli=$(awk -v w="$wall" '{printf "%.1f", 100*($1+$2)/w}' "$tf")
  conns=$((p1 - p0))
  other=$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v hz="$HZ" -v w="$wall" -v cl="$cli" 'BEGIN{o=100*(b-c)/hz/w - cl; if(o<0)o=0; printf "%.0f", o}')
  kill -0 "$SERVER_PID" 2>/dev/null || die "server died during $test"
  echo "cmd: $*" >> "$out"; echo "rc: $rc wall: $wall" >> "$out"
  local parsed; parsed=$("parse_${test}_tool" "$out" 2>/dev/null || true)
  # parsed = "rate|requests|errors|extra"
  local rate reqs us
  rate=$(echo "$parsed" | cut -d'|' -f1); reqs=$(echo "$parsed" | cut -d'|' -f2)
  us=$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="${reqs:-0}" 'BEGIN{ if(n>0) printf "%.1f", 1e6*c/hz/n; else print "" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SERVER" "$N" "$test" "$idx" \
    "$rate" "$srv" "$cli" "$conns" "$(echo "$parsed" | cut -d'|' -f2-3)" "$(echo "$parsed" | cut -d'|' -f4)" "$us" "$other" "$PRE_OTHER" >> "$TSV"
  log "$test run $idx: ${rate}/s  server CPU ${srv}% (${us} us/req)  client CPU ${cli}%  other procs ${other}%  conns opened $conns  [$parsed]"
}
parse_a_tool() {
  awk '/^hsbench:/{for(i=2;i<=NF;i++){split($i,kv,"="); v[kv[1]]=kv[2]}} /^conn\/s:/{r=$2}
    /^latency_ms:/{split($3,p,"="); split($4,q,"=")} /^tls:/{sub(/^tls: /,""); t=$0} /^resumed:/{res=$2}
    END{ if(r=="") exit 1; printf "%s|%d|%d|%s p50 %sms p99 %sms resumed=%s", r, v["ok"], v["failed"], t, p[2], q[2], res }' "$1"
}
parse_rsa_tool() { parse_a_tool "$1"; }
parse_ab_tool() {
  awk -F: '/^Complete requests/{c=$2+0} /^Failed requests/{f=$2+0} /^Non-2xx responses/{x=$2+0}
    /^Requests per second/{split($2,a," "); r=a[1]} /^SSL\/TLS Protocol/{sub(/^[ \t]+/,"",$2); p=$2} /^Server Temp Key/{sub(/^[ \t]+/,"",$2); k=$2}
    END{ if(r=="") exit 1; printf "%s|%d|%d|%s %s", r, c, f+x, p, k }' "$1"
}
parse_b_tool() {
  awk '/^Requests\/sec:/{r=$2} /requests in/{n=$1} /Non-2xx/{x=$NF} /Socket errors/{gsub(/,/,""); e=$4+$6+$8+$10}
    $1=="50%"{p50=$2} $1=="99%"{p99=$2}
    END{ if(r=="") exit 1; printf "%s|%d|%d|p50 %s p99 %s", r, n, x+e, p50, p99 }' "$1"
}
parse_c_tool() {
  awk '/^finished in/{gsub(/,/,""); r=$4} /^requests:/{n=$2; s=$8; f=$10+$12+$14} /^Application protocol:/{p=$3}
    END{ if(r=="" || p!="h2") exit 1; printf "%s|%d|%d|alpn=%s ok=%s", r, n, f, p, s }' "$1"
}

# ---------------------------------------------------------------- idle-connection holder (python asyncio)
write_holder() {
  cat > "$RUN/hold_conns.py" <<'EOF'
import asyncio, ssl, sys, time
addr, port, n_dom, count, cafile, hold, status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6]), sys.argv[7]
ctx = ssl.create_default_context(cafile=cafile)       # verifies chain + SNI host name
ctx.set_alpn_protocols(["http/1.1"])
conns, fails, vers = [], [], {}
async def one(i, sem):
    k = i % n_dom + 1
    h = f"mta-sts.d{k}.test"
    async with sem:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(addr, port, ssl=ctx, server_hostname=h), 30)
            w.write(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {h}\r\n\r\n".encode())
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
            lines = head.decode("latin-1").split("\r\n")
            cl = [int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")]
            body = await asyncio.wait_for(r.readexactly(cl[0] if cl else 0), 30)
            if " 200 " not in lines[0] + " " or f"mx: mail.d{k}.test".encode() not in body:
                raise RuntimeError(f"bad response {lines[0]!r}")
            v = w.get_extra_info("ssl_object").version(); vers[v] = vers.get(v, 0) + 1
            conns.append(w)
        except Exception as e:
            fails.append(repr(e))
async def main():
    sem = asyncio.Semaphore(64)
    t0 = time.time()
    await asyncio.gather(*(one(i, sem) for i in range(count)))
    with open(status, "w") as f:
        f.write(f"READY ok={len(conns)} fail={len(fails)} open_s={time.time()-t0:.2f} tls={vers} first_err={fails[:1]}\n")
    await asyncio.sleep(hold)
    for w in conns: w.close()
    with open(status, "a") as f: f.write("DONE\n")
asyncio.run(main())
EOF
}
mem_test() {
  write_holder
  local st="$RUN/hold.status"; rm -f "$st"
  local before_rss before_pss; before_rss=$(rss_kb "$SERVER_PID"); before_pss=$(pss_kb "$SERVER_PID")
  local c0 p0 t0; c0=$(cpu_ticks "$SERVER_PID"); p0=$(passive_opens); t0=$(now)
  taskset -c "$CLIENT_CPU" timeout -k 5 $((HOLD_SECS + 120)) "$PY" "$RUN/hold_conns.py" "$BIND" "$PORT" "$N" "$HOLD" \
    "$PKI/root.pem" "$HOLD_SECS" "$st" >"$RUN/hold.out" 2>&1 &
  HOLD_PID=$!
  local i; for i in $(seq 1 1200); do grep -q READY "$st" 2>/dev/null && break; kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
  grep -q READY "$st" 2>/dev/null || { cat "$RUN/hold.out" >&2; log "hold client failed"; }
  sleep 1
  HOLD_RSS=$(rss_kb "$SERVER_PID"); HOLD_PSS=$(pss_kb "$SERVER_PID")
  HOLD_ESTAB=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
  HOLD_INFO=$(head -1 "$st" 2>/dev/null || echo "no status")
  local cpu=$(( $(cpu_ticks "$SERVER_PID") - c0 ))
  wait "$HOLD_PID" 2>/dev/null || true; HOLD_PID=""
  HOLD_PER_CONN=$(awk -v a="$before_rss" -v b="$HOLD_RSS" -v n="$HOLD_ESTAB" 'BEGIN{ if(n>0) printf "%.1f", (b-a)/n; else print "n/a"}')
  log "hold: $HOLD_INFO ; established=$HOLD_ESTAB RSS ${before_rss}->${HOLD_RSS} kB (PSS ${before_pss}->${HOLD_PSS}) = ${HOLD_PER_CONN} kB/conn; server CPU for opening: $(awk -v c=$cpu -v hz=$HZ 'BEGIN{printf "%.2f", c/hz}') s"
}

# ---------------------------------------------------------------- s) silent TCP connections
write_silent_holder() {
  cat > "$RUN/silent_conns.py" <<'EOF'
import selectors, socket, sys, time
addr, port, count, hold, status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
sel, conns, fails = selectors.DefaultSelector(), [], 0
t0 = time.time()
for i in range(count):                 # in batches of 250, so that no listen backlog overflows
    s = socket.socket(); s.setblocking(False); s.connect_ex((addr, port))
    sel.register(s, selectors.EVENT_WRITE); conns.append(s)
    if i % 250 == 249 or i == count - 1:
        while sel.get_map():
            ready = sel.select(10)
            if not ready: break
            for key, _ in ready:
                sel.unregister(key.fileobj)
                if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR): fails += 1
        for key in list(sel.get_map().values()): sel.unregister(key.fileobj); fails += 1
with open(status, "w") as f: f.write(f"READY ok={count - fails} fail={fails} open_s={time.time() - t0:.2f}\n")
time.sleep(hold)                       # not one byte sent; closed on exit
EOF
}
silent_test() {  # on a freshly started server: no earlier test's freed memory to reuse
  start_server
  sleep 1
  write_silent_holder
  local st="$RUN/silent.status"; rm -f "$st"
  local before_rss fds0 fds=0 i pid; before_rss=$(rss_kb "$SERVER_PID"); fds0=$(socket_fds "$SERVER_PID")
  taskset -c "$CLIENT_CPU" timeout -k 5 60 "$PY" "$RUN/silent_conns.py" "$BIND" "$PORT" "$SILENT_CONNS" 30 "$st" >"$RUN/silent.out" 2>&1 &
  pid=$!
  for i in $(seq 1 300); do grep -q READY "$st" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # A deferred accept (TCP_DEFER_ACCEPT) takes a connection in only after a SYN-ACK retransmission (1-3 s);
  # measured as soon as all are in, well before a 10 s handshake timeout closes them.
  for i in $(seq 1 80); do fds=$(( $(socket_fds "$SERVER_PID") - fds0 )); [ "$fds" -ge "$SILENT_CONNS" ] && break; sleep 0.1; done
  SILENT_RSS=$(rss_kb "$SERVER_PID"); SILENT_ACCEPTED=$fds
  SILENT_INFO=$(head -1 "$st" 2>/dev/null || echo "no status")
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  SILENT_PER_CONN=$(awk -v a="$before_rss" -v b="$SILENT_RSS" -v n="$SILENT_ACCEPTED" 'BEGIN{ if(n>0) printf "%.2f", (b-a)/n; else print "n/a"}')
  log "silent: $SILENT_INFO ; accepted=$SILENT_ACCEPTED RSS ${before_rss}->${SILENT_RSS} kB = ${SILENT_PER_CONN} kB/conn"
  stop_server
}

# ---------------------------------------------------------------- e) crypto ceiling
speed_test() {
  log "openssl speed -seconds 3 ecdsap256 ecdhx25519 rsa2048 on CPU $SERVER_CPU"
  taskset -c "$SERVER_CPU" timeout 120 openssl speed -seconds 3 ecdsap256 ecdhx25519 rsa2048 >"$RUN/speed.out" 2>/dev/null || true
  read -r SIGN VERIFY < <(awk '/ecdsa \(nistp256\)/{print $(NF-1), $NF}' "$RUN/speed.out")
  X25519=$(awk '/ecdh \(X25519\)/{print $NF}' "$RUN/speed.out")
  read -r RSIGN RVERIFY < <(awk '/^rsa 2048 bits/{print $(NF-1), $NF}' "$RUN/speed.out")
  # server: 1 ECDSA sign + 1 X25519 keygen + 1 X25519 derive (keygen costed as a derive: upper bound on cost)
  HS_MAX=$(awk -v s="$SIGN" -v x="$X25519" 'BEGIN{printf "%.0f", 1/(1/s + 2/x)}')
  HS_MAX_RSA=$(awk -v s="$RSIGN" -v x="$X25519" 'BEGIN{printf "%.0f", 1/(1/s + 2/x)}')
  HS_CLIENT=$(awk -v v="$VERIFY" -v x="$X25519" 'BEGIN{printf "%.0f", 1/(1/v + 2/x)}')
}

# ---------------------------------------------------------------- hsbench (embedded C client)
build_hsbench() {
  HSBENCH="$WORK/bin/hsbench"; mkdir -p "$WORK/bin"
  local src="$WORK/bin/hsbench.c"
  cat > "$src.new" <<'HSBENCH_EOF'
/* hsbench - full-TLS-handshake load generator for anchors.sh.
 *
 * One HTTPS GET per TCP+TLS connection; a fresh SSL object per connection,
 * client session cache off and no SSL_set_session, so every connection is a
 * full handshake (checked with SSL_session_reused() on every connection).
 * TCP_NODELAY like real clients (ab lacks it, which stalls on servers that
 * send TLS 1.3 tickets before reading the client Finished, e.g. Go/Caddy).
 * epoll, one thread, time-bounded; refuses any non-loopback target.
 *
 * usage: hsbench -a 127.0.0.1 -p PORT -s SNI [-u PATH] [-c CONC] [-t SECS] [-v CAFILE]
 * build: gcc -O2 -o hsbench hsbench.c -lssl -lcrypto   (Debian: gcc libssl-dev)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_CONNECT, ST_HS, ST_WRITE, ST_READ };
typedef struct { int fd, st, rlen; SSL *ssl; double t0; char buf[512]; } conn_t;

static SSL_CTX *ctx;
static int efd;
static struct sockaddr_storage sa;
static socklen_t salen;
static const char *sni = "localhost", *path = "/", *addr = "127.0.0.1";
static int port = 443, reqlen;
static char req[1024], tlsinfo[256] = "none";
static long ok, fail, non200, started, reused;
static double hs_sum;
static float *lat; static long nlat, maxlat = 4000000;

static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }

static void start(conn_t *c) {
  c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->st = ST_CONNECT; c->rlen = 0; c->t0 = now(); c->ssl = NULL; started++;
  if (connect(c->fd, (struct sockaddr *)&sa, salen) < 0 && errno != EINPROGRESS) { perror("connect"); exit(1); }
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(efd, EPOLL_CTL_ADD, c->fd, &ev);
}
static void finish(conn_t *c, int good) {
  if (good) { ok++; if (nlat < maxlat) lat[nlat++] = (float)(now() - c->t0); } else fail++;
  if (c->ssl) SSL_free(c->ssl);
  close(c->fd);
}
static void want(conn_t *c, int err) {
  struct epoll_event ev = {.events = err == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN, .data.ptr = c};
  epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev);
}
static void describe(SSL *s) {
  X509 *x = SSL_get0_peer_certificate(s);
  EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
  int g = SSL_get_negotiated_group(s);
  snprintf(tlsinfo, sizeof tlsinfo, "%s %s group=%s cert=%s-%d", SSL_get_version(s),
           SSL_CIPHER_get_name(SSL_get_current_cipher(s)), g ? SSL_group_to_name(s, g) : "?",
           k ? (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "EC" : EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "RSA" : "other") : "none",
           k ? EVP_PKEY_get_bits(k) : 0);
}
/* advance one connection; returns 1 when it is finished */
static int step(conn_t *c) {
  int r, e;
  switch (c->st) {
  case ST_CONNECT: {
    int so = 0; socklen_t l = sizeof so;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &l);
    if (so) { finish(c, 0); return 1; }
    c->ssl = SSL_new(ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, sni);
    SSL_set_connect_state(c->ssl);
    c->st = ST_HS;
  } /* fallthrough */
  case ST_HS:
    r = SSL_do_handshake(c->ssl);
    if (r != 1) {
      e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { want(c, e); return 0; }
      if (fail < 3) ERR_print_errors_fp(stderr);
      finish(c, 0); return 1;
    }
    if (SSL_session_reused(c->ssl)) reused++;
    if (ok == 0 && fail == 0) describe(c->ssl);
    hs_sum += now() - c->t0;
    c->st = ST_WRITE;
  /* fallthrough */
  case ST_WRITE:
    r = SSL_write(c->ssl, req, reqlen);
    if (r <= 0) {
      e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { want(c, e); return 0; }
      finish(c, 0); return 1;
    }
    c->st = ST_READ;
  /* fallthrough */
  case ST_READ:
    for (;;) {
      char tmp[4096];
      r = SSL_read(c->ssl, tmp, sizeof tmp);
      if (r > 0) {
        int n = r, room = (int)sizeof c->buf - 1 - c->rlen;
        if (n > room) n = room;
        memcpy(c->buf + c->rlen, tmp, n); c->rlen += n; c->buf[c->rlen] = 0;
        continue;
      }
      e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { want(c, e); return 0; }
      /* close_notify or TCP FIN: the server closed after the response (Connection: close) */
      int good = c->rlen > 12 && strncmp(c->buf + 8, " 200", 4) == 0;
      if (!good && c->rlen > 0) non200++;
      finish(c, good); return 1;
    }
  }
  return 0;
}
static int cmpf(const void *a, const void *b) { float x = *(const float *)a, y = *(const float *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  int conc = 50, opt; double secs = 10; const char *cafile = NULL;
  while ((opt = getopt(argc, argv, "a:p:s:u:c:t:v:")) != -1) switch (opt) {
    case 'a': addr = optarg; break;
    case 'p': port = atoi(optarg); break;
    case 's': sni = optarg; break;
    case 'u': path = optarg; break;
    case 'c': conc = atoi(optarg); break;
    case 't': secs = atof(optarg); break;
    case 'v': cafile = optarg; break;
    default: fprintf(stderr, "usage: hsbench -a 127.0.0.1 -p PORT -s SNI [-u PATH] [-c CONC] [-t SECS] [-v CAFILE]\n"); return 2;
  }
  memset(&sa, 0, sizeof sa);
  struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET; s4->sin_port = htons(port); salen = sizeof *s4;
    if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) { fprintf(stderr, "refusing non-loopback target\n"); return 2; }
  } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6; s6->sin6_port = htons(port); salen = sizeof *s6;
    if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) { fprintf(stderr, "refusing non-loopback target\n"); return 2; }
  } else { fprintf(stderr, "-a must be a loopback IP literal\n"); return 2; }
  reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: hsbench\r\n\r\n", path, sni);
  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (cafile) { SSL_CTX_load_verify_locations(ctx, cafile, NULL); SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL); }
  lat = malloc(sizeof(float) * maxlat);
  efd = epoll_create1(0);
  conn_t *cs = calloc(conc, sizeof *cs);
  double t0 = now(), tend = t0 + secs;
  for (int i = 0; i < conc; i++) start(&cs[i]);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(efd, evs, 256, 50);
    if (now() >= tend) break; /* in-flight connections are abandoned */
    for (int i = 0; i < n; i++) { conn_t *c = evs[i].data.ptr; if (step(c)) start(c); }
  }
  double el = now() - t0;
  qsort(lat, nlat, sizeof *lat, cmpf);
  printf("hsbench: ok=%ld failed=%ld non200=%ld started=%ld secs=%.3f concurrency=%d\n", ok, fail, non200, started, el, conc);
  printf("conn/s: %.1f\n", ok / el);
  printf("latency_ms: handshake_mean=%.2f total_p50=%.2f total_p99=%.2f\n", (ok + fail) ? 1000 * hs_sum / (ok + fail) : 0,
         nlat ? 1000 * lat[nlat / 2] : 0, nlat ? 1000 * lat[(long)(nlat * 0.99)] : 0);
  printf("tls: %s\n", tlsinfo);
  printf("resumed: %ld\n", reused);
  return (ok == 0) ? 1 : 0;
}
HSBENCH_EOF
  if [ -x "$HSBENCH" ] && cmp -s "$src.new" "$src"; then rm -f "$src.new"; return 0; fi
  mv "$src.new" "$src"
  gcc -O2 -Wall -o "$HSBENCH" "$src" -lssl -lcrypto || die "building hsbench failed (apt-get install gcc libssl-dev)"
}

# ---------------------------------------------------------------- nginx: prove ab does full handshakes
verify_full_handshakes() {  # nginx diagnostic log: every request on its own, non-resumed TLS session
  local tool n=2000 p0 p1 f="$RUN/nginx/verify-access.log"
  VERIFY_AB=""
  for tool in hsbench ab; do
    start_server verify; : > "$f"; p0=$(passive_opens)
    if [ $tool = ab ]; then client timeout 60 ab -q -n $n -c "$AB_C" "https://$TARGET:$PORT$PATHQ" >"$RUN/verify-$tool.out" 2>&1 || true
    else client timeout 60 "$HSBENCH" -a "$BIND" -p "$PORT" -s "$TARGET" -u "$PATHQ" -c "$AB_C" -t 2 >"$RUN/verify-$tool.out" 2>&1 || true; fi
    p1=$(passive_opens)
    stop_server
    VERIFY_AB+=$(awk -v tool=$tool -v tcp=$((p1-p0)) '{t++; if($1!="r") full++; if($3==1) one++; if($4==200) ok++}
       END{ printf "%s: %d requests logged, %d not resumed, %d first-and-only on their connection, %d x 200; TCP PassiveOpens delta %d. ", tool, t, full, one, ok, tcp }' "$f")
  done
  log "verify: $VERIFY_AB"
}

# ================================================================= main
mkdir -p "$WORK"; rm -rf "$RUN"; mkdir -p "$RUN"
TSV="$RUN/results.tsv"; : > "$TSV"
log "server=$SERVER N=$N port=$PORT runs=$RUNS dur=${DUR}s tests=$TESTS server CPU=$SERVER_CPU client CPU=$CLIENT_CPU work=$WORK"
setup_pki
setup_sites
setup_hosts

VERIFY_AB=""
build_hsbench
if [ "$SERVER" = nginx ] && { has a || has ab; }; then verify_full_handshakes; fi

start_server
sleep 1
IDLE_RSS=$(rss_kb "$SERVER_PID"); IDLE_PSS=$(pss_kb "$SERVER_PID"); IDLE_NPROC=$(tree_pids "$SERVER_PID" | wc -l)
log "idle: RSS ${IDLE_RSS} kB, PSS ${IDLE_PSS} kB over $IDLE_NPROC process(es)"

# functional checks: right body per SNI, content type, h1 and h2, cert verified against the test CA
CHECKS=""
for h in mta-sts.d1.test "$TARGET" "$RSAHOST"; do
  r1=$(curl_get "$h" --http1.1); b1=$(cat "$RUN/body" 2>/dev/null || true)
  r2=$(curl_get "$h" --http2);   b2=$(cat "$RUN/body" 2>/dev/null || true)
  want=$(cat "$SITES/policies/$h/mta-sts.txt")
  ok=ok; [ "$b1" = "$want" ] && [ "$b2" = "$want" ] || ok=BODY-MISMATCH
  case "$r2" in 200\|2\|*) ;; *) ok="$ok,NO-H2" ;; esac
  CHECKS+="$h: h1=[$r1] h2=[$r2] body=$ok; "
done
r404=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$PKI/root.pem" --resolve "$TARGET:$PORT:$BIND" "https://$TARGET:$PORT/other" || true)
CHECKS+="other path -> $r404"
log "checks: $CHECKS"

HOLD_RSS=""; HOLD_PSS=""; HOLD_PER_CONN=""; HOLD_INFO=""; HOLD_ESTAB=""
if has d; then mem_test; fi

URL="https://$TARGET:$PORT$PATHQ"
CMD_A="$HSBENCH -a $BIND -p $PORT -s $TARGET -u $PATHQ -c $AB_C -t $DUR"
CMD_AB="ab -t $DUR -n 1000000 -c $AB_C $URL"
CMD_RSA="$HSBENCH -a $BIND -p $PORT -s $RSAHOST -u $PATHQ -c $AB_C -t $DUR"
CMD_B="wrk -t1 -c$WRK_C -d${DUR}s --latency $URL"
CMD_C="h2load -D $DUR -t 1 -c $H2_C -m $H2_M --npn-list=h2 --connect-to=$BIND:$PORT $URL"
if has b || has c || has a || has ab || has rsa; then
  log "warm-up ${WARMUP_SECS}s"
  client timeout 20 wrk -t1 -c10 -d"${WARMUP_SECS}s" "$URL" >/dev/null 2>&1 || true
fi
for i in $(seq 1 "$RUNS"); do
  if has a;   then measure a   "$i" "$RUN/a.$i.out"   -- $CMD_A; fi
  if has ab;  then measure ab  "$i" "$RUN/ab.$i.out"  -- $CMD_AB; fi
  if has rsa; then measure rsa "$i" "$RUN/rsa.$i.out" -- $CMD_RSA; fi
  if has b;   then measure b   "$i" "$RUN/b.$i.out"   -- $CMD_B; fi
  if has c;   then measure c   "$i" "$RUN/c.$i.out"   -- $CMD_C; fi
done
AFTER_RSS=$(rss_kb "$SERVER_PID"); AFTER_PSS=$(pss_kb "$SERVER_PID")
stop_server

SIGN=""; HS_MAX=""
if has e; then speed_test; fi
SILENT_RSS=""; SILENT_PER_CONN=""; SILENT_ACCEPTED=""; SILENT_INFO=""
if has s; then silent_test; fi

# ---------------------------------------------------------------- report
VERSION=$(case "$SERVER" in nginx) nginx -v 2>&1 | sed 's/.*: //' ;; caddy) echo "caddy $(caddy version)" ;; custom) echo "custom: ${CUSTOM_EFFECTIVE:-}" ;; esac)
export SERVER N RUNS DUR TSV VERSION READY_S IDLE_RSS IDLE_PSS IDLE_NPROC HOLD HOLD_RSS HOLD_PSS HOLD_PER_CONN HOLD_INFO HOLD_ESTAB AFTER_RSS AFTER_PSS SILENT_RSS SILENT_PER_CONN SILENT_ACCEPTED SILENT_INFO \
  SIGN VERIFY X25519 RSIGN RVERIFY HS_MAX HS_MAX_RSA HS_CLIENT CHECKS VERIFY_AB CMD_A CMD_AB CMD_RSA CMD_B CMD_C SERVER_CPU CLIENT_CPU TARGET NGINX_WORKERS
REPORT="$RUN/report.md"
"$PY" - > "$REPORT" <<'EOF'
import os, statistics as st, csv
e = os.environ.get
rows = [r for r in csv.reader(open(e("TSV")), delimiter="\t")]
names = {"a": "a) new TLS conn + 1 GET, ECDSA P-256 (hsbench), conn/s",
         "ab": "a) same with ab (no TCP_NODELAY), conn/s",
         "rsa": "a') new TLS conn + 1 GET, RSA-2048 (hsbench), conn/s",
         "b": "b) HTTP/1.1 keep-alive (wrk), req/s",
         "c": "c) HTTP/2 (h2load), req/s"}
def f(x):
    try: return float(x)
    except: return None
print(f"### {e('SERVER')} ({e('VERSION')}), N={e('N')} domains, target SNI {e('TARGET')}\n")
print(f"server pinned to CPU {e('SERVER_CPU')}, clients to CPU {e('CLIENT_CPU')}" + (f", nginx worker_processes {e('NGINX_WORKERS')}" if e('SERVER')=='nginx' else "") + f"; {e('RUNS')} runs x {e('DUR')} s; startup to first 200: {e('READY_S')} s\n")
print("| test | median | min | max | server CPU % | server CPU us/req | => per-core capacity | client CPU % | other procs CPU % | TCP conns / run | TCP conns per request | errors | notes (run 1) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for t in ("a", "ab", "rsa", "b", "c"):
    rs = [r for r in rows if r[2] == t]
    if not rs: continue
    rates = [f(r[4]) for r in rs if f(r[4]) is not None]
    if not rates:
        print(f"| {names[t]} | FAILED | | | | | | | | | | | see logs |"); continue
    md = lambda i: st.median([f(r[i]) for r in rs if f(r[i]) is not None] or [float("nan")])
    srv, cli, us, oth = md(5), md(6), md(10), md(11)
    conns = st.median([int(r[7]) for r in rs])
    errs = sum(int(r[8].split("|")[1]) if "|" in r[8] and r[8].split("|")[1].isdigit() else 0 for r in rs)
    cap = 1e6 / us if us and us == us else float("nan")
    reqs = [int(r[8].split("|")[0]) for r in rs if r[8].split("|")[0].isdigit()]
    ratio = st.median([int(r[7]) / int(r[8].split("|")[0]) for r in rs if r[8].split("|")[0].isdigit() and int(r[8].split("|")[0]) > 0] or [float("nan")])
    print(f"| {names[t]} | {st.median(rates):,.0f} | {min(rates):,.0f} | {max(rates):,.0f} | {srv:.0f} | {us:,.0f} | {cap:,.0f}/s | {cli:.0f} | {oth:.0f} | {conns:,.0f} | {ratio:.4f} | {errs} | {rs[0][9]} |")
print()
if e("IDLE_RSS"):
    mb = lambda k: f"{int(k)/1024:.1f} MiB" if k else "n/a"
    print(f"| memory (server process tree, {e('IDLE_NPROC')} proc) | RSS sum | PSS sum |\n|---|---:|---:|")
    print(f"| idle after start (N={e('N')}) | {mb(e('IDLE_RSS'))} | {mb(e('IDLE_PSS'))} |")
    if e("HOLD_RSS"):
        print(f"| holding {e('HOLD_ESTAB')} idle keep-alive TLS conns (after 1 GET each) | {mb(e('HOLD_RSS'))} | {mb(e('HOLD_PSS'))} |")
        print(f"| -> per held connection | {e('HOLD_PER_CONN')} KiB | |")
    if e("AFTER_RSS"):
        print(f"| after the load runs | {mb(e('AFTER_RSS'))} | {mb(e('AFTER_PSS'))} |")
    print()
    if e("HOLD_INFO"): print(f"hold client: `{e('HOLD_INFO')}`\n")
if e("SILENT_RSS"):
    print(f"silent TCP connections (test s, fresh server): {e('SILENT_ACCEPTED')} accepted, RSS {int(e('SILENT_RSS'))/1024:.1f} MiB, "
          f"**{e('SILENT_PER_CONN')} KiB per connection**; client: `{e('SILENT_INFO')}`\n")
if e("SIGN"):
    print(f"openssl speed (1 core, CPU {e('SERVER_CPU')}): ECDSA P-256 sign {float(e('SIGN')):,.0f}/s, verify {float(e('VERIFY')):,.0f}/s; X25519 {float(e('X25519')):,.0f} op/s; RSA-2048 sign {float(e('RSIGN')):,.0f}/s, verify {float(e('RVERIFY')):,.0f}/s.  ")
    print(f"Crypto ceiling per core, server side (1 sign + 1 X25519 keygen + 1 derive): **ECDSA-P256 {int(e('HS_MAX')):,} handshakes/s**, RSA-2048 {int(e('HS_MAX_RSA')):,}/s; "
          f"client side (1 verify + 2 X25519) {int(e('HS_CLIENT')):,}/s.\n")
print(f"checks: {e('CHECKS')}\n")
if e("VERIFY_AB"): print(f"full-handshake verification (nginx diagnostic log): {e('VERIFY_AB')}\n")
print("per-core capacity = 1e6 / (server CPU us per request): what one fully used server core would sustain at the measured cost; the measured rate is lower when the client (1 core) is the bottleneck.\n")
print("commands (client side, each run as `taskset -c CLIENT_CPU unshare -m ... timeout ...`):")
ran = {r[2] for r in rows}
for t, c in (("a", "CMD_A"), ("ab", "CMD_AB"), ("rsa", "CMD_RSA"), ("b", "CMD_B"), ("c", "CMD_C")):
    if t in ran: print(f"- `{e(c)}`")
print()
EOF
echo
cat "$REPORT"
if [ -n "$OUTMD" ]; then cat "$REPORT" >> "$OUTMD"; log "appended to $OUTMD"; fi
log "raw outputs in $RUN"
