#!/usr/bin/env bash
# TLS audit: testssl.sh and sslscan against a local mta-sts-host, then a programmatic verdict.
#
# Installs testssl.sh and sslscan (Debian packages) when missing, makes a throw-away CA with an ECDSA and an RSA
# leaf for mta-sts.audit.test (both served, so RSA key exchange and ROBOT are probed too), starts the server on
# 127.0.0.1 on a free port, runs both scanners, and lets check_findings.py judge their reports: exits non-zero on
# a finding. Environment:
#   AUDIT_BIN         the mta-sts-host to audit (default: .build/release/mta-sts-host, else .build/debug/...)
#   AUDIT_SERVE_ARGS  extra `serve` flags, e.g. "--tls-tickets 2" (word-split)
#   AUDIT_OUT         where the reports go (default: a temporary directory, kept and printed at the end)
#   AUDIT_TIMEOUT     seconds testssl.sh may take (default: 900)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
host=mta-sts.audit.test
timeout_s=${AUDIT_TIMEOUT:-900}

bin=${AUDIT_BIN:-}
if [[ -z $bin ]]; then
  for candidate in "$repo/.build/release/mta-sts-host" "$repo/.build/debug/mta-sts-host"; do
    [[ -x $candidate ]] && { bin=$candidate; break; }
  done
fi
[[ -n $bin && -x $bin ]] || { echo "tls-audit: no mta-sts-host binary (build it, or set AUDIT_BIN)" >&2; exit 2; }

missing=()
for package in testssl.sh sslscan openssl python3; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "tls-audit: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
testssl=$(command -v testssl.sh || command -v testssl)

out=${AUDIT_OUT:-$(mktemp -d /tmp/tls-audit.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d /tmp/tls-audit-work.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A throw-away PKI, as Tests/EndToEnd/support/pki.py makes it: an EC P-256 root, leaves valid for 90 days.
pki=$work/pki
certs=$work/certs
policies=$work/policies
mkdir -p "$pki" "$certs" "$policies"
ossl() { openssl "$@" 2>"$pki/openssl.err" || { cat "$pki/openssl.err" >&2; exit 2; }; }
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/ca.key"
printf '[req]\ndistinguished_name = dn\n[dn]\n[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n' >"$pki/ca.cnf"
ossl req -new -x509 -config "$pki/ca.cnf" -extensions v3_ca -key "$pki/ca.key" -subj "/O=mta-sts-host audit/CN=mta-sts-host audit root" \
  -days 120 -sha256 -out "$pki/ca.pem"
issue() {  # issue NAME ALGORITHM-OPTIONS... : certs/NAME.crt + certs/NAME.key for $host
  local name=$1 usage=$2; shift 2
  ossl genpkey "$@" -out "$certs/$name.key"
  chmod 600 "$certs/$name.key"
  printf '[v3_leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, %s\nextendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = DNS:%s\n' \
    "$usage" "$host" >"$pki/$name.cnf"
  ossl req -new -key "$certs/$name.key" -subj "/O=mta-sts-host audit/CN=$host" -out "$pki/$name.csr"
  ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 90 -sha256 \
    -extfile "$pki/$name.cnf" -extensions v3_leaf -out "$certs/$name.crt"
}
issue audit-ec digitalSignature -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue audit-rsa "digitalSignature, keyEncipherment" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
printf 'version: STSv1\nmode: enforce\nmx: mail.audit.test\nmax_age: 1209600\n' >"$policies/audit.test.txt"

# The server, on a free port. --default-host: testssl.sh probes renegotiation without SNI, which the server
# otherwise refuses (the probe would then report nothing).
root_flag=()
[[ $(id -u) == 0 ]] && root_flag=(--allow-root)
read -r -a extra <<<"${AUDIT_SERVE_ARGS:-}"
"$bin" serve --listen 127.0.0.1:0 --policies "$policies" --certs "$certs" --ready-file "$work/ready" \
  --state-dir "$work/state" --default-host "$host" --log-level warning "${root_flag[@]}" "${extra[@]}" \
  2>"$out/server.log" &
server_pid=$!
for _ in $(seq 200); do
  [[ -s $work/ready ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "tls-audit: the server exited" >&2; cat "$out/server.log" >&2; exit 2; }
  sleep 0.1
done
port=$(sed -n '1s/.*://p' "$work/ready")
[[ -n $port ]] || { echo "tls-audit: no ready file" >&2; exit 2; }
url="https://$host:$port/.well-known/mta-sts.txt"
echo "tls-audit: $bin serve ${AUDIT_SERVE_ARGS:-} on 127.0.0.1:$port; reports in $out"
curl -sS --max-time 10 --resolve "$host:$port:127.0.0.1" --cacert "$pki/ca.pem" "$url" >/dev/null \
  || { echo "tls-audit: the server does not serve the policy" >&2; exit 2; }

# testssl.sh: protocols, cipher categories, each cipher per protocol, forward secrecy, server preferences and
# defaults, HTTP headers (on the policy URL, so BREACH looks at the real resource), every vulnerability check.
started=$SECONDS
rm -f "$out/testssl.json"
set +e
timeout "$timeout_s" "$testssl" --quiet --color 0 --warnings off --sneaky --nodns min --ip 127.0.0.1 \
  --add-ca "$pki/ca.pem" --connect-timeout 10 --openssl-timeout 10 \
  --protocols --std --each-cipher --fs --server-preference --server-defaults --headers --vulnerable \
  --jsonfile "$out/testssl.json" "$url" >"$out/testssl.txt" 2>&1
testssl_status=$?
set -e
echo "tls-audit: testssl.sh exited $testssl_status after $((SECONDS - started)) s"
((testssl_status != 124)) || { echo "tls-audit: testssl.sh timed out after $timeout_s s" >&2; exit 2; }

started=$SECONDS
timeout 300 sslscan --no-colour --show-sigs --sni-name="$host" --xml="$out/sslscan.xml" "127.0.0.1:$port" \
  >"$out/sslscan.txt" 2>&1 || { echo "tls-audit: sslscan failed" >&2; cat "$out/sslscan.txt" >&2; exit 2; }
echo "tls-audit: sslscan took $((SECONDS - started)) s"

kill -0 "$server_pid" 2>/dev/null || { echo "tls-audit: the server died during the scans" >&2; cat "$out/server.log" >&2; exit 1; }
set +e
python3 "$here/check_findings.py" "$out/testssl.json" "$out/sslscan.xml" | tee "$out/summary.txt"
verdict=${PIPESTATUS[0]}
set -e
echo "tls-audit: reports and summary in $out"
exit "$verdict"
