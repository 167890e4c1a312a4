#!/usr/bin/env bash
# bench/acme-overhead.sh - what built-in ACME costs a normal handshake: `make bench`'s rows a, b and c (BENCH_TESTS)
# without, then with `--acme-directory` pointing at an idle pebble (every bench domain has its certificate in
# --certs, so nothing is ordered; the TLS-ALPN-01 seam is armed). Both runs are bench/run.sh, each against nginx in
# the same run, so the two ratio columns compare. Output: bench/out/acme-<stamp>/{without,with}/summary.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench/out/acme-$STAMP"
mkdir -p "$OUT/pebble"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PEBBLE_PORT=$(free_port); MANAGEMENT_PORT=$(free_port); DNS_PORT=$(free_port); CTS_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$OUT/pebble/key.pem" -out "$OUT/pebble/cert.pem" 2>/dev/null
cat > "$OUT/pebble/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:$MANAGEMENT_PORT",
 "certificate": "$OUT/pebble/cert.pem", "privateKey": "$OUT/pebble/key.pem", "httpPort": $(free_port),
 "tlsPort": ${BENCH_PORT:-18443}, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" -tlsalpn01 "" \
  -management "127.0.0.1:$CTS_PORT" >"$OUT/pebble/challtestsrv.log" 2>&1 &
CTS_PID=$!
PEBBLE_VA_NOSLEEP=1 pebble -config "$OUT/pebble/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" >"$OUT/pebble/pebble.log" 2>&1 &
PEBBLE_PID=$!
trap 'kill $PEBBLE_PID $CTS_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sk "https://localhost:$PEBBLE_PORT/dir" >/dev/null && break; sleep 0.1; done

export BENCH_TESTS="${BENCH_TESTS:-a,b,c}"
BENCH_OUT="$OUT/without" bench/run.sh
BENCH_OUT="$OUT/with" BENCH_SERVER_ARGS="--acme-directory https://localhost:$PEBBLE_PORT/dir --acme-trust $OUT/pebble/cert.pem --resolver 127.0.0.1:$DNS_PORT --acme-dir $OUT/acme-state" \
  bench/run.sh
echo "without: $OUT/without/summary.md"
echo "with:    $OUT/with/summary.md"
