#!/usr/bin/env bash
# bench/socket-floor.sh - row a)'s floor over real sockets: server CPU per new TLS connection of
# bench/socket-floor-server.c (OpenSSL and the kernel only: one certificate, a fixed response, no server logic),
# loaded exactly as anchors.sh loads row a) (hsbench, same concurrency, same cores, the last domain's certificate).
# `make bench` runs it after each mta-sts-host run; what a server spends above this figure is its own.
#
# usage: bench/socket-floor.sh WORK N PORT SECS OUTFILE
#   WORK: anchors.sh work dir (its hsbench and sites-nN/certs are used), N: domains, PORT: loopback port.
# Environment: SERVER_CPU [1], CLIENT_CPU [0], AB_C [50] (as anchors.sh).
# Writes one line to OUTFILE: "floor us_per_conn=<us> conns=<n> failed=<n> secs=<s>".
set -euo pipefail
WORK="$1" N="$2" PORT="$3" SECS="$4" OUTFILE="$5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_CPU="${SERVER_CPU:-1}" CLIENT_CPU="${CLIENT_CPU:-0}" AB_C="${AB_C:-50}"
HSBENCH="$WORK/bin/hsbench"
FLOOR="$WORK/bin/socket-floor-server"
HOST="mta-sts.d$N.test"
CERT="$WORK/sites-n$N/certs/$HOST"
[ -x "$HSBENCH" ] && [ -f "$CERT/privkey.pem" ] \
  || { echo "socket-floor.sh: run anchors.sh first ($HSBENCH, $CERT)" >&2; exit 1; }
if [ ! -x "$FLOOR" ] || [ "$ROOT/bench/socket-floor-server.c" -nt "$FLOOR" ] \
   || [ "$ROOT/bench/floor-server-context.h" -nt "$FLOOR" ]; then
  gcc -O2 -Wall -o "$FLOOR" "$ROOT/bench/socket-floor-server.c" -lssl -lcrypto
fi

taskset -c "$SERVER_CPU" "$FLOOR" "$CERT/fullchain.pem" "$CERT/privkey.pem" "$PORT" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sk --max-time 2 --resolve "$HOST:$PORT:127.0.0.1" -o /dev/null "https://$HOST:$PORT/" && break
  sleep 0.1
done
hs() {
  taskset -c "$CLIENT_CPU" "$HSBENCH" -a 127.0.0.1 -p "$PORT" -s "$HOST" -u /.well-known/mta-sts.txt -c "$AB_C" -t "$1"
}
hs 2 >/dev/null   # warm-up
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks)
result=$(hs "$SECS" | head -n 1)
t1=$(ticks)
ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$result")
failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$result")
[ "${ok:-0}" -gt 0 ] || { echo "socket-floor.sh: no connection completed: $result" >&2; exit 1; }
awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$ok" -v f="${failed:-0}" -v s="$SECS" \
  'BEGIN { printf "floor us_per_conn=%.1f conns=%d failed=%d secs=%s\n", 1e6 * t / hz / n, n, f, s }' | tee "$OUTFILE"
