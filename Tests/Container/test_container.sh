#!/bin/bash
# Builds the `prebuilt` image from a host-built release binary and runs it the way the Dockerfile's header says:
# non-root, read-only root, no capabilities, policies and certificates as read-only bind mounts. Checks the
# image's configuration, a policy fetch with curl, reload by SIGHUP, the HEALTHCHECK and a clean SIGTERM stop.
#
#   Tests/Container/test_container.sh        (root; `make test-container`)
#
# Environment: SKIP_SWIFT_BUILD=1 packages the existing .build/release/mta-sts-host as is;
# KEEP_IMAGE=1 keeps the mta-sts-host:test image afterwards. Every wait is bounded.
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$PWD
IMAGE=mta-sts-host:test
NAME=mta-sts-host-test-$$
HOST=mta-sts.example.test
BIN=.build/release/mta-sts-host
START=$SECONDS
WORK=$(mktemp -d /tmp/mta-sts-container.XXXXXX)
CONTAINER_STARTED=
IMAGE_BUILT=

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - START)); }
fail() {
  echo "FAIL: $*" >&2
  if [ -n "$CONTAINER_STARTED" ]; then
    echo "--- podman logs $NAME" >&2
    podman logs "$NAME" >&2 || true
  fi
  exit 1
}
cleanup() {
  local rc=$?
  [ -n "$CONTAINER_STARTED" ] && podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  if [ -n "$IMAGE_BUILT" ] && [ "${KEEP_IMAGE:-0}" != 1 ]; then podman rmi -f "$IMAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# podman schedules HEALTHCHECKs with systemd timers; without systemd as PID 1 (these machines, most CI runners)
# `run`, `stop` and `rm` log "unable to get systemd connection ..." as errors and carry on. Keep other stderr.
quiet_podman() {
  local rc=0
  podman "$@" 2>"$WORK/podman.err" || rc=$?
  grep -v 'unable to get systemd connection' "$WORK/podman.err" >&2 || true
  return $rc
}

# `wait_for SECONDS DESCRIPTION COMMAND...`: runs COMMAND every 0.2 s until it succeeds or the time is up.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what: not within ${limit}s"
    sleep 0.2
  done
}

# --- 1. podman and the binary
step "setup podman"
bash Tests/Container/setup-podman.sh
if [ "${SKIP_SWIFT_BUILD:-0}" = 1 ]; then
  step "using the existing $BIN (SKIP_SWIFT_BUILD=1)"
else
  step "swift build -c release --static-swift-stdlib"
  swift build -c release --static-swift-stdlib --product mta-sts-host
fi
[ -x "$BIN" ] || fail "$BIN missing"
# bookworm-slim has no Swift runtime: a plain `swift build -c release` (make release) binary cannot start there.
if ldd "$BIN" | grep -q 'libswiftCore'; then
  fail "$BIN links the Swift runtime dynamically; build it with --static-swift-stdlib"
fi

# --- 2. the image and its configuration
step "podman build --target prebuilt"
IMAGE_BUILT=1
podman build --format docker --target prebuilt -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log" >&2; fail "podman build"; }
podman image inspect "$IMAGE" >"$WORK/image.json"
python3 - "$WORK/image.json" <<'PY' || fail "image configuration"
import json, sys
image = json.load(open(sys.argv[1]))[0]
config = image["Config"]
problems = []
def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok: problems.append(what)
user = config.get("User", "")
check(user not in ("", "root", "0") and not user.startswith(("0:", "root:")), f"non-root user ({user!r})")
# podman puts it beside Config ("Healthcheck"); docker inside it
health = image.get("Healthcheck") or config.get("Healthcheck") or {}
test = health.get("Test") or []
check("status" in test and "--check" in test, f"HEALTHCHECK runs status --check ({test})")
check(config.get("StopSignal") == "SIGTERM", f"STOPSIGNAL SIGTERM ({config.get('StopSignal')!r})")
labels = config.get("Labels") or {}
for key in ("org.opencontainers.image.title", "org.opencontainers.image.description", "org.opencontainers.image.licenses"):
    check(bool(labels.get(key)), f"label {key}")
volumes = set(config.get("Volumes") or {})
check({"/policies", "/certs"} <= volumes, f"volumes /policies and /certs ({sorted(volumes)})")
check("443/tcp" in (config.get("ExposedPorts") or {}), "EXPOSE 443")
entrypoint = config.get("Entrypoint") or []
check(entrypoint[:2] == ["mta-sts-host", "serve"] and "/run/mta-sts-host" in entrypoint, f"ENTRYPOINT {entrypoint}")
sys.exit(1 if problems else 0)
PY
CONTAINER_UID=$(sed -n 's/.*useradd .*--uid \([0-9]\+\).*/\1/p' Dockerfile)
[ -n "$CONTAINER_UID" ] || fail "no useradd --uid in the Dockerfile"

# --- 3. a CA, a certificate for mta-sts.example.test, a policy
step "test PKI and policy in $WORK"
mkdir -p "$WORK/certs" "$WORK/policies" "$WORK/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=mta-sts-host test CA" \
  -keyout "$WORK/pki/ca.key" -out "$WORK/pki/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$HOST" \
  -keyout "$WORK/certs/example.test.key" -out "$WORK/pki/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$HOST" >"$WORK/pki/leaf.ext"
openssl x509 -req -in "$WORK/pki/leaf.csr" -CA "$WORK/pki/ca.pem" -CAkey "$WORK/pki/ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/pki/leaf.ext" -out "$WORK/certs/example.test.crt" 2>/dev/null
# The container runs as uid $CONTAINER_UID: give it the key by ownership rather than by a world-readable mode.
chown "$CONTAINER_UID" "$WORK/certs/example.test.key"
chmod 0600 "$WORK/certs/example.test.key"
chmod 0644 "$WORK/certs/example.test.crt"
chmod 0755 "$WORK" "$WORK/certs" "$WORK/policies"
# Written untidily on purpose (LF, extra spaces, mx before mode): the server answers with the canonical form.
printf 'version: STSv1\nmx: mail.example.test\nmode:  testing\nmax_age: 86400\n' >"$WORK/policies/example.test.txt"
BODY1=$'version: STSv1\r\nmode: testing\r\nmx: mail.example.test\r\nmax_age: 86400\r\n'
BODY2=$'version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: backup.example.test\r\nmax_age: 604800\r\n'

# --- 4. run it locked down and fetch the policy
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SELINUX=
if command -v selinuxenabled >/dev/null && selinuxenabled; then SELINUX=,Z; fi
step "podman run on 127.0.0.1:$PORT"
CONTAINER_STARTED=1
quiet_podman run -d --name "$NAME" --read-only --tmpfs /run --cap-drop=ALL --security-opt no-new-privileges \
  --sysctl net.ipv4.ip_unprivileged_port_start=443 -p "127.0.0.1:$PORT:443" \
  -v "$WORK/policies:/policies:ro$SELINUX" -v "$WORK/certs:/certs:ro$SELINUX" "$IMAGE" >/dev/null \
  || fail "podman run"

fetch() {  # writes the body to $WORK/body, prints the status code
  curl -sS -o "$WORK/body" -w '%{http_code}' --max-time 3 --cacert "$WORK/pki/ca.pem" \
    --resolve "$HOST:$PORT:127.0.0.1" "https://$HOST:$PORT/.well-known/mta-sts.txt" 2>/dev/null || true
}
serves() {  # serves EXPECTED_BODY: status 200 and exactly that body
  [ "$(podman inspect -f '{{.State.Running}}' "$NAME")" = true ] || fail "container exited"
  [ "$(fetch)" = 200 ] && [ "$(cat "$WORK/body" 2>/dev/null; echo .)" = "$1." ]
}
T0=$SECONDS
wait_for 20 "200 with the canonical policy" serves "$BODY1"
echo "  ok   200, canonical CRLF body, after $((SECONDS - T0))s"
HEADERS=$(curl -sS -D - -o /dev/null --max-time 3 --cacert "$WORK/pki/ca.pem" \
  --resolve "$HOST:$PORT:127.0.0.1" "https://$HOST:$PORT/.well-known/mta-sts.txt")
grep -qi '^content-type: text/plain' <<<"$HEADERS" || fail "Content-Type is not text/plain: $HEADERS"
echo "  ok   Content-Type text/plain"
[ "$(podman exec "$NAME" id -u)" = "$CONTAINER_UID" ] || fail "process does not run as uid $CONTAINER_UID"
echo "  ok   runs as uid $CONTAINER_UID"

# --- 5. change the policy on the host, SIGHUP, the new body
step "policy change + podman kill -s HUP"
printf 'version: STSv1\nmode: enforce\nmx: mail.example.test\nmx: backup.example.test\nmax_age: 604800\n' \
  >"$WORK/policies/example.test.txt.new"
mv "$WORK/policies/example.test.txt.new" "$WORK/policies/example.test.txt"
podman kill -s HUP "$NAME" >/dev/null
T0=$SECONDS
wait_for 5 "new policy after SIGHUP" serves "$BODY2"
echo "  ok   new body served after $((SECONDS - T0))s"
reloaded_by_sighup() { podman logs "$NAME" 2>&1 | grep 'reloaded' | grep -q 'SIGHUP'; }
wait_for 5 "a 'reloaded' log line with trigger SIGHUP" reloaded_by_sighup
# Informational: inotify through the bind mount (the watcher settles for 250 ms, at most 1 s).
reloaded_by_watcher() { podman logs "$NAME" 2>&1 | grep 'reloaded' | grep -q 'file change'; }
WATCH_NOTE="the inotify watcher saw the bind-mounted change too (a 'file change' reload)"
T0=$SECONDS
until reloaded_by_watcher; do
  if [ $((SECONDS - T0)) -ge 3 ]; then WATCH_NOTE="no 'file change' reload within 3 s (inotify did not see it)"; break; fi
  sleep 0.2
done
podman logs "$NAME" 2>&1 | grep 'reloaded' | sed 's/^/  log  /'

# --- 6. HEALTHCHECK
step "podman healthcheck run"
HEALTH=$(podman healthcheck run "$NAME" 2>&1) || fail "podman healthcheck run: $HEALTH"
STATE=$(podman inspect -f '{{.State.Health.Status}}' "$NAME")
[ "$STATE" = healthy ] || fail "health status $STATE"
LINE=$(podman exec "$NAME" mta-sts-host status --state-dir /run/mta-sts-host --check)
echo "  ok   $STATE; the HEALTHCHECK command prints: $LINE"

# --- 7. SIGTERM stop
step "podman stop -t 10"
T0=$(date +%s%N)
quiet_podman stop -t 10 "$NAME" >/dev/null
STOP_MS=$((($(date +%s%N) - T0) / 1000000))
CODE=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$CODE" = 0 ] || fail "exit code $CODE after SIGTERM"
[ "$STOP_MS" -lt 5000 ] || fail "stop took ${STOP_MS} ms (SIGTERM ignored, SIGKILL after 10 s?)"
podman logs "$NAME" 2>&1 | grep -q 'stopped' || fail "no 'stopped' log line"
podman logs "$NAME" 2>&1 | tail -n 2 | sed 's/^/  log  /'
echo "  ok   exit code 0 after ${STOP_MS} ms"

SIZE=$(podman image inspect -f '{{.Size}}' "$IMAGE")
cat <<SUMMARY

container test passed in $((SECONDS - START))s
  image $IMAGE ($((SIZE / 1000000)) MB, user uid $CONTAINER_UID, HEALTHCHECK, STOPSIGNAL SIGTERM, OCI labels, volumes)
  run --read-only --cap-drop=ALL no-new-privileges, 443 unprivileged by sysctl: 200 + canonical policy
  SIGHUP reload: new policy served; $WATCH_NOTE
  healthcheck passed; podman stop: exit 0 in ${STOP_MS} ms, 'stopped' logged
SUMMARY
