#!/usr/bin/env bash
# bench/run.sh - `make bench`: mta-sts-host against nginx, same run, same core, as ratios.
#
# Runs bench/anchors.sh with identical options for nginx and for our release binary
# (anchors.sh `custom`, one-file-per-domain policies via {domains}, --workers 1, plus
# --allow-root when run as root), one run at a time and alternating (nginx run 1, ours
# run 1, nginx run 2, ...): this machine's speed drifts by 10 % or more over minutes (the
# openssl speed ceiling moved that much between two back-to-back servers), and alternating
# keeps that drift from landing on one server only. Prints a markdown table:
#     metric | nginx | mta-sts-host | ratio (ours/nginx)
# Both servers are pinned to the same core (SERVER_CPU, default 1) and all load
# generators to the other one (CLIENT_CPU, default 0), as anchors.sh does.
#
# Environment (defaults in brackets):
#   BIN          server binary [.build/release/mta-sts-host]
#   BENCH_N      number of domains [1000]          (anchors.sh -n)
#   BENCH_RUNS   repetitions of each load test [3] (-r; medians are reported)
#   BENCH_SECS   seconds per load run [10]         (-t)
#   BENCH_HOLD   idle TLS connections held in test d [2000] (-H)
#   BENCH_TESTS  anchors.sh tests [a,rsa,b,c,d,e,s] (c: HTTP/2 with h2load; s: silent TCP connections)
#   BENCH_SILENT silent TCP connections opened in test s [5000] (anchors.sh SILENT_CONNS)
#   BENCH_PORT   loopback port [18443] (8443 is what `make run` uses)
#   BENCH_WORK   anchors.sh work dir, keeps the test PKI between runs [bench/out/work]
#   BENCH_OUT    output dir [bench/out/<UTC timestamp>]
#   BENCH_SERVER_ARGS  extra `serve` flags for mta-sts-host, split on spaces [none] (bench/acme-overhead.sh)
#   SERVER_CPU, CLIENT_CPU, QUIET_PCT, QUIET_WAIT, ...: passed through to anchors.sh.
#
# After each mta-sts-host run, bench/socket-floor.sh measures row a)'s floor over real sockets (a minimal C
# server: OpenSSL and the kernel only) under the same load; the summary says how far each server is above it.
#
# Output: BENCH_OUT/summary.md (the table plus noise figures and problems), BENCH_OUT/floor-rK.{txt,log},
#   BENCH_OUT/{nginx,mta-sts-host}-rK.log (anchors.sh output of run K), BENCH_OUT/{nginx,mta-sts-host}-rK/
#   (anchors.sh run dir of run K: results.tsv, report.md, server.log, raw tool output),
#   BENCH_OUT/check-10k.log if bench/check-10k.sh exists (run after both servers, with
#   MTA_STS_HOST_BIN=$BIN; its wall time and last line go into the summary).
#
# Exit status: non-zero only for errors (missing tool or binary, a server that
# does not start or dies, anchors.sh failing); slow numbers never fail it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

BIN="${BIN:-$ROOT/.build/release/mta-sts-host}"
N="${BENCH_N:-1000}"
RUNS="${BENCH_RUNS:-3}"
SECS="${BENCH_SECS:-10}"
HOLD="${BENCH_HOLD:-2000}"
TESTS="${BENCH_TESTS:-a,rsa,b,c,d,e,s}"
export SILENT_CONNS="${BENCH_SILENT:-5000}"
PORT="${BENCH_PORT:-18443}"
WORK="${BENCH_WORK:-$ROOT/bench/out/work}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${BENCH_OUT:-$ROOT/bench/out/$STAMP}"
ANCHORS="$ROOT/bench/anchors.sh"

# ---------------------------------------------------------------- 1. tools
# command -> Debian package
declare -A PKG_OF=([nginx]=nginx [wrk]=wrk [ab]=apache2-utils [h2load]=nghttp2-client [curl]=curl
                   [gcc]=gcc [/usr/bin/python3]=python3 [taskset]=util-linux [unshare]=util-linux
                   [timeout]=coreutils [openssl]=openssl [ss]=iproute2 [ps]=procps)
missing=()
for c in "${!PKG_OF[@]}"; do command -v "$c" >/dev/null 2>&1 || missing+=("${PKG_OF[$c]}"); done
[ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)   # hsbench is compiled against it
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
  command -v apt-get >/dev/null || die "missing packages: ${missing[*]}, and no apt-get"
  log "installing: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  for c in "${!PKG_OF[@]}"; do command -v "$c" >/dev/null 2>&1 || die "still missing after install: $c"; done
fi
PY=/usr/bin/python3

# ---------------------------------------------------------------- 2. binary
[ -f "$ANCHORS" ] || die "missing $ANCHORS"
[ -x "$BIN" ] || die "server binary $BIN not found or not executable: run 'make release' first (or set BIN=...)"
"$BIN" serve --help >/dev/null 2>&1 || die "$BIN does not run ('$BIN serve --help' failed)"

for v in N RUNS SECS HOLD PORT; do [[ "${!v}" =~ ^[0-9]+$ ]] || die "BENCH_$v must be a number (got '${!v}')"; done
[[ "$TESTS" =~ ^[a-z,]+$ ]] || die "bad BENCH_TESTS '$TESTS'"

mkdir -p "$OUT" "$WORK"
log "output: $OUT"
# Benchmark a snapshot: .build/release may be rebuilt by someone else while this runs.
BIN_SRC="$BIN"
BIN_INFO="$(stat -c '%y' "$BIN_SRC" | cut -d. -f1), git $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo n/a)"
cp "$BIN_SRC" "$OUT/mta-sts-host.bin"; BIN="$OUT/mta-sts-host.bin"
"$BIN" serve --help >/dev/null 2>&1 || die "$BIN (copy of $BIN_SRC) does not run"
BIN_INFO="$BIN_INFO, sha256 $(sha256sum "$BIN" | cut -c1-12)"
log "binary: $BIN_SRC ($BIN_INFO), snapshot $BIN"
log "options: -n $N -r $RUNS -t $SECS -H $HOLD -T $TESTS -p $PORT -w $WORK"

# ---------------------------------------------------------------- 3. the two anchors.sh runs
OPTS=(-n "$N" -r 1 -t "$SECS" -H "$HOLD" -T "$TESTS" -p "$PORT" -w "$WORK")
# The nginx config anchors.sh writes sets keepalive_requests 1000000 (which also caps HTTP/2 streams per
# connection); the same limit here keeps wrk and h2load on their connections for both servers.
CUSTOM=("$BIN" serve --listen '{host}:{port}' --certs '{certs}' --policies '{domains}' --workers 1
        --max-requests-per-connection 1000000)
read -r -a EXTRA_ARGS <<< "${BENCH_SERVER_ARGS:-}"
CUSTOM+=("${EXTRA_ARGS[@]}")
# serve refuses to run as root without --allow-root (binaries from before that flag do not know it)
SERVE_HELP=$("$BIN" serve --help 2>&1 || true)   # not piped into grep -q: SIGPIPE + pipefail would hide a match
if [ "$(id -u)" = 0 ] && [[ "$SERVE_HELP" == *--allow-root* ]]; then CUSTOM+=(--allow-root); fi
CMD_NGINX="bench/anchors.sh nginx ${OPTS[*]} ($RUNS times)"
CMD_OURS="bench/anchors.sh custom ${OPTS[*]} -- ${CUSTOM[*]} ($RUNS times)"

run_anchors() {  # label server-kind [-- cmd...]; copies the run dir to $OUT/label; sets RC_<kind>
  local label="$1" kind="$2"; shift 2
  local rc=0
  log "=== $label: anchors.sh $kind ${OPTS[*]} $*"
  "$ANCHORS" "$kind" "${OPTS[@]}" "$@" 2>&1 | tee "$OUT/$label.log" || rc=$?
  rm -rf "${OUT:?}/$label"
  if [ -d "$WORK/run-$kind-n$N" ]; then cp -a "$WORK/run-$kind-n$N" "$OUT/$label"; fi
  [ $rc = 0 ] || log "anchors.sh $kind failed with exit status $rc (see $OUT/$label.log and $OUT/$label/server.log)"
  echo "$rc" > "$OUT/$label.rc"
}
run_floor() {  # label: bench/socket-floor.sh into $OUT/label.txt; a reference figure, so it never fails the bench
  [[ ",$TESTS," == *,a,* ]] || return 0
  log "=== $1: bench/socket-floor.sh (OpenSSL + kernel only, row a)'s load)"
  bash "$ROOT/bench/socket-floor.sh" "$WORK" "$N" "$PORT" "$SECS" "$OUT/$1.txt" >"$OUT/$1.log" 2>&1 \
    || log "socket-floor.sh failed (see $OUT/$1.log)"
}
for run in $(seq "$RUNS"); do
  run_anchors "nginx-r$run" nginx
  run_anchors "mta-sts-host-r$run" custom -- "${CUSTOM[@]}"
  run_floor "floor-r$run"
done

# ---------------------------------------------------------------- 5. check-10k (optional, another helper's script)
CHECK10K_RC=""; CHECK10K_SECS=""
if [ -f "$ROOT/bench/check-10k.sh" ]; then
  log "=== bench/check-10k.sh"
  t0=$(date +%s.%N); CHECK10K_RC=0
  MTA_STS_HOST_BIN="$BIN" BIN="$BIN" bash "$ROOT/bench/check-10k.sh" 2>&1 | tee "$OUT/check-10k.log" || CHECK10K_RC=$?
  CHECK10K_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  log "check-10k.sh: ${CHECK10K_SECS} s, exit status $CHECK10K_RC"
fi

# ---------------------------------------------------------------- 4. summary
CHECK10K_LAST=""; [ -n "$CHECK10K_RC" ] && CHECK10K_LAST=$(tail -n 1 "$OUT/check-10k.log" 2>/dev/null | tr -d '|`' || true)
export OUT N RUNS SECS HOLD TESTS PORT BIN STAMP CHECK10K_RC CHECK10K_SECS CHECK10K_LAST CMD_NGINX CMD_OURS
export SERVER_CPU_EFF="${SERVER_CPU:-1}" CLIENT_CPU_EFF="${CLIENT_CPU:-0}"
export NGINX_VERSION="$(nginx -v 2>&1 | sed 's/.*: //')"
export BIN_INFO BIN_SRC
export MACHINE="$(nproc) CPUs ($(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
"$PY" - > "$OUT/summary.md" <<'EOF'
import csv, os, re, statistics as st
e = os.environ.get
OUT = e("OUT")
SERVERS = [("nginx", "nginx"), ("mta-sts-host", "custom")]

def num(x):
    try: return float(x.replace(",", ""))
    except Exception: return None

def load_run(label):
    d = {"rows": [], "log": "", "report": "", "rc": None}
    rd = os.path.join(OUT, label)
    p = os.path.join(rd, "results.tsv")
    if os.path.exists(p):
        d["rows"] = [r for r in csv.reader(open(p), delimiter="\t") if len(r) >= 13]
    for k, f in (("log", os.path.join(OUT, label + ".log")), ("report", os.path.join(rd, "report.md")),
                 ("serverlog", os.path.join(rd, "server.log")), ("speed", os.path.join(rd, "speed.out"))):
        d[k] = open(f, errors="replace").read() if os.path.exists(f) else ""
    try: d["rc"] = int(open(os.path.join(OUT, label + ".rc")).read().strip())
    except Exception: pass
    return d

RUNS = int(e("RUNS"))
R = {label: [load_run(f"{label}-r{run}") for run in range(1, RUNS + 1)] for label, _ in SERVERS}

def merged(runs):
    # every run's load-test rows together; logs joined; the worst exit status
    rcs = [d["rc"] for d in runs]
    return {"rows": [row for d in runs for row in d["rows"]], "log": "\n".join(d["log"] for d in runs),
            "report": runs[-1]["report"], "serverlog": runs[-1]["serverlog"], "speed": runs[-1]["speed"],
            "rc": None if all(rc is None for rc in rcs) else max(rc if rc is not None else 1 for rc in rcs)}

D = {label: merged(R[label]) for label, _ in SERVERS}

# ---- load tests: medians over runs, exactly as anchors.sh computes them (results.tsv columns:
# server N test run rate srv% cli% conns "reqs|errs" notes us/req other% pre-run-other%)
def test_stats(d, t):
    rs = [r for r in d["rows"] if r[2] == t]
    if not rs: return None
    rates = [num(r[4]) for r in rs if num(r[4]) is not None]
    md = lambda i: st.median([num(r[i]) for r in rs if num(r[i]) is not None] or [float("nan")])
    errs = 0
    for r in rs:
        p = r[8].split("|")
        if len(p) > 1 and p[1].isdigit(): errs += int(p[1])
    return {"failed": not rates, "rate": st.median(rates) if rates else None,
            "min": min(rates) if rates else None, "max": max(rates) if rates else None,
            "srv": md(5), "cli": md(6), "us": md(10) if rates else None, "errs": errs,
            "other": [r[11] for r in rs], "pre": [r[12] for r in rs], "notes": rs[0][9], "n": len(rs)}

def logval(d, pat, last=True):
    m = re.findall(pat, d["log"])
    return (m[-1] if last else m[0]) if m else None

def memory(d):
    # "idle: RSS <kB> kB, PSS <kB> kB over <n> process(es)"; "hold: ... = <kB> kB/conn"
    m = {}
    idle = logval(d, r"idle: RSS (\d+) kB, PSS (\d+) kB over (\d+) process")
    if idle: m["idle_rss"], m["idle_pss"], m["nproc"] = int(idle[0]), int(idle[1]), int(idle[2])
    hold = logval(d, r"hold: (.*?) ; established=(\d+) RSS (\d+)->(\d+) kB \(PSS (\d+)->(\d+)\) = ([0-9.]+|n/a) kB/conn")
    if hold:
        m["hold_info"], m["estab"], m["per_conn"] = hold[0], int(hold[1]), num(hold[6])
        m["hold_rss"] = int(hold[3])
    silent = logval(d, r"silent: .*? ; accepted=(\d+) RSS (\d+)->(\d+) kB = ([0-9.]+|n/a) kB/conn")
    if silent: m["silent_accepted"], m["silent_per_conn"] = int(silent[0]), num(silent[3])
    r = re.search(r"startup to first 200: ([0-9.]+) s", d["report"])
    ready = r.group(1) if r else logval(d, r"ready in ([0-9.]+)s")
    m["ready"] = num(ready) if ready else None
    return m

def crypto(d):
    r = re.search(r"\*\*ECDSA-P256 ([0-9,]+) handshakes/s\*\*, RSA-2048 ([0-9,]+)/s", d["report"])
    if r: return num(r.group(1)), num(r.group(2))
    s = d["speed"]    # anchors.sh died before its report: same formula from speed.out
    ec = re.search(r"ecdsa \(nistp256\)\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", s)
    x = re.search(r"ecdh \(X25519\)\s+\S+\s+([0-9.]+)", s)
    rsa = re.search(r"^rsa 2048 bits\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", s, re.M)
    if not (ec and x): return None, None
    X = float(x.group(1))
    return (round(1 / (1 / float(ec.group(1)) + 2 / X)), round(1 / (1 / float(rsa.group(1)) + 2 / X)) if rsa else None)

S = {label: {t: test_stats(D[label], t) for t in ("a", "ab", "rsa", "b", "c")} for label, _ in SERVERS}
def median_of(values):
    values = [v for v in values if v is not None]
    return st.median(values) if values else None

def memory_median(runs):
    # one memory reading per run: the median of each figure; the hold client's line from the last run
    per_run = [memory(d) for d in runs]
    m = {k: median_of([r.get(k) for r in per_run]) for k in ("idle_rss", "idle_pss", "per_conn", "hold_rss", "ready", "silent_per_conn")}
    for k in ("nproc", "estab", "hold_info", "silent_accepted"):
        found = [r[k] for r in per_run if k in r]
        if found: m[k] = found[-1]
    m["ready_all"] = [r.get("ready") for r in per_run]
    m["per_conn_all"] = [r.get("per_conn") for r in per_run]
    return {k: v for k, v in m.items() if v is not None}

M = {label: memory_median(R[label]) for label, _ in SERVERS}
C = {label: tuple(median_of([crypto(d)[i] for d in R[label]]) for i in (0, 1)) for label, _ in SERVERS}

rows = []   # (metric, nginx cell, ours cell, nginx value, ours value, ratio decimals)
def us_row(t, label):
    if t not in e("TESTS").split(","): return
    cells, vals = [], []
    for lab, _ in SERVERS:
        s = S[lab][t]
        if s is None: cells.append("not run"); vals.append(None)
        elif s["failed"]: cells.append("FAILED"); vals.append(None)
        else: cells.append(f"{s['us']:,.0f}"); vals.append(s["us"])
    rows.append((label, *cells, *vals, 2))
us_row("a", "a) server CPU µs per new TLS connection (full handshake + 1 GET), ECDSA P-256")
us_row("rsa", "a') server CPU µs per new TLS connection, RSA-2048")
us_row("b", "b) server CPU µs per HTTP/1.1 keep-alive request (wrk -c50)")
us_row("c", "c) server CPU µs per HTTP/2 request (h2load -c10 -m32)")
us_row("ab", "a) server CPU µs per new TLS connection, ab cross-check")

def mrow(label, key, fmt, div=1.0):
    vals = [M[lab].get(key) for lab, _ in SERVERS]
    cells = [fmt(v / div) if v is not None else "n/a" for v in vals]
    rows.append((label, *cells, *[v / div if v is not None else None for v in vals], 2))
if "d" in e("TESTS").split(",") or M["nginx"].get("idle_rss"):
    np_ = [M[lab].get("nproc", "?") for lab, _ in SERVERS]
    mrow(f"d) idle PSS after start, N={e('N')}, whole process tree, MiB (nginx {np_[0]} proc, ours {np_[1]})", "idle_pss", lambda v: f"{v:.1f}", 1024)
    mrow(f"d) idle RSS after start, N={e('N')}, MiB", "idle_rss", lambda v: f"{v:.1f}", 1024)
if "d" in e("TESTS").split(","):
    est = [M[lab].get("estab", "?") for lab, _ in SERVERS]
    mrow(f"d) RSS per idle keep-alive TLS connection, KiB ({e('HOLD')} held; established: nginx {est[0]}, ours {est[1]})", "per_conn", lambda v: f"{v:.1f}")
if "s" in e("TESTS").split(","):
    acc = [M[lab].get("silent_accepted", "?") for lab, _ in SERVERS]
    mrow(f"s) silent TCP connections: RSS per connection, KiB ({e('SILENT_CONNS')} opened, nothing sent; accepted: nginx {acc[0]}, ours {acc[1]})", "silent_per_conn", lambda v: f"{v:.2f}")
mrow("start-up to first 200, s", "ready", lambda v: f"{v:.2f}")
if "e" in e("TESTS").split(","):
    cv = [C[lab][0] for lab, _ in SERVERS]
    rows.append(("e) crypto ceiling, server side, ECDSA-P256 + X25519 handshakes/s per core (openssl speed on the server core, measured in each run)",
                 *[f"{v:,.0f}" if v else "n/a" for v in cv], *cv, 2))
    for t, idx, name in (("a", 0, "ECDSA-P256"), ("rsa", 1, "RSA-2048")):
        if t not in e("TESTS").split(","): continue
        caps, cells = [], []
        for lab, _ in SERVERS:
            s, ceil = S[lab][t], C[lab][idx]
            if s and not s["failed"] and s["us"] and ceil:
                cap = 1e6 / s["us"]; caps.append(cap / ceil)
                cells.append(f"{cap:,.0f}/s = {100 * cap / ceil:.1f} %")
            else: caps.append(None); cells.append("n/a")
        pre = "a)" if t == "a" else "a')"
        rows.append((f"{pre} handshake capacity per server core (1e6 / µs) as a fraction of the {name} ceiling (higher is better)", *cells, *caps, 2))

def ratio(a, b, dec):
    if a is None or b is None or a == 0: return "n/a"
    return f"{b / a:.{dec}f}"

out = []
p = out.append
p(f"# mta-sts-host vs nginx: `make bench` {e('STAMP')}\n")
p(f"- options: N={e('N')} domains, {e('RUNS')} runs x {e('SECS')} s, {e('HOLD')} held connections, tests {e('TESTS')}, port {e('PORT')}; "
  f"server pinned to CPU {e('SERVER_CPU_EFF')}, load generators to CPU {e('CLIENT_CPU_EFF')}")
p(f"- nginx: {e('NGINX_VERSION')} (worker_processes 1); mta-sts-host: `{e('BIN_SRC')}` ({e('BIN_INFO')}; run from the snapshot `{e('BIN')}`), `--workers 1`")
p(f"- machine: {e('MACHINE')}")
p(f"- commands: `{e('CMD_NGINX')}` and `{e('CMD_OURS')}`\n")
p("Medians over the runs, which alternate between the servers (each run is one anchors.sh invocation: start-up, memory, one run of each load test, openssl speed). Ratio = mta-sts-host / nginx: below 1 is better for CPU, memory and start-up time; above 1 is better for the capacity rows.\n")
p("| metric | nginx | mta-sts-host | ratio (ours/nginx) |")
p("|---|---:|---:|---:|")
for label, cn, co, vn, vo, dec in rows:
    p(f"| {label} | {cn} | {co} | {ratio(vn, vo, dec)} |")
if e("CHECK10K_RC"):
    p(f"| bench/check-10k.sh (`check` over 10,000 policies), wall time of the whole script, s; exit status {e('CHECK10K_RC')}; it printed: `{e('CHECK10K_LAST')}` | | {e('CHECK10K_SECS')} | |")
p("")
floors = []
for run in range(1, RUNS + 1):
    try: floors.append(float(re.search(r"us_per_conn=([0-9.]+)", open(os.path.join(OUT, f"floor-r{run}.txt")).read()).group(1)))
    except Exception: pass
if floors:
    f = st.median(floors)
    above = ", ".join(f"{lab} {S[lab]['a']['us'] - f:+,.0f} µs" for lab, _ in SERVERS if S[lab]["a"] and not S[lab]["a"]["failed"])
    p(f"Floor of row a) over real sockets (bench/socket-floor.sh after each mta-sts-host run: bench/socket-floor-server.c, "
      f"OpenSSL and the kernel only, the same hsbench load and cores): median {f:,.0f} µs per connection "
      f"(per run {', '.join(f'{v:,.0f}' for v in floors)}); row a) above it: {above}.\n")

# ---- per-test details and noise
p("## Measured rates and noise\n")
p("`other procs` is the CPU used by other processes during each run (% of one core, one value per run); "
  "`pre-run` is what the quiet-wait saw just before each run (anchors.sh waits up to QUIET_WAIT s for < QUIET_PCT %).\n")
p("| server | test | median/s | min | max | server CPU % | server µs/req | client CPU % | other procs % per run | pre-run other % | errors | notes (run 1) |")
p("|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|")
for lab, _ in SERVERS:
    for t in ("a", "ab", "rsa", "b", "c"):
        s = S[lab][t]
        if s is None: continue
        if s["failed"]:
            p(f"| {lab} | {t} | FAILED | | | {s['srv']:.0f} | | {s['cli']:.0f} | {', '.join(s['other'])} | {', '.join(s['pre'])} | {s['errs']} | {s['notes']} |"); continue
        p(f"| {lab} | {t} | {s['rate']:,.0f} | {s['min']:,.0f} | {s['max']:,.0f} | {s['srv']:.0f} | {s['us']:,.0f} | {s['cli']:.0f} | "
          f"{', '.join(s['other'])} | {', '.join(s['pre'])} | {s['errs']} | {s['notes']} |")
p("")
for lab, _ in SERVERS:
    m = M[lab]
    if m.get("hold_info"): p(f"- {lab} hold client (test d): `{m['hold_info']}`, established {m['estab']}")
    chk = logval(D[lab], r"\] checks: (.*)")
    if chk: p(f"- {lab} checks: {chk}")
    busy = re.findall(r"machine busy \(other processes (\d+)% of a core\)", D[lab]["log"])
    if busy: p(f"- {lab}: {len(busy)} run(s) started on a busy machine (other processes {', '.join(busy)} % of a core)")
p("")

# ---- problems
probs = []
for lab, _ in SERVERS:
    d = D[lab]
    errs = re.findall(r"ERROR: .*", d["log"])
    failed = [t for t, s in S[lab].items() if s and s["failed"]]
    if d["rc"] not in (0, None) or errs or failed:
        probs.append(f"### {lab}: anchors.sh exit status {d['rc']}" + (f"; failed tests: {', '.join(failed)}" if failed else "") + "\n")
        for x in errs: probs.append(f"- `{x}`")
        if d["serverlog"]:
            tail = d["serverlog"].rstrip("\n").split("\n")[-25:]
            probs.append(f"\nlast lines of {lab}/server.log:\n\n```\n" + "\n".join(tail) + "\n```\n")
    elif lab == "mta-sts-host" and d["serverlog"]:
        bad = [l for l in d["serverlog"].split("\n") if re.search(r"error|warning|critical|fatal", l, re.I)]
        if bad:
            probs.append(f"### {lab}: {len(bad)} error/warning lines in server.log (first 10)\n\n```\n" + "\n".join(bad[:10]) + "\n```\n")
if e("CHECK10K_RC") and e("CHECK10K_RC") != "0":
    probs.append(f"### bench/check-10k.sh exited with status {e('CHECK10K_RC')} (see check-10k.log)\n")
if probs:
    p("## Problems\n"); out.extend(probs)
for lab, _ in SERVERS:
    m = M[lab]
    fmt = lambda vs, f: ", ".join(f.format(v) if v is not None else "n/a" for v in vs)
    p(f"- {lab} per run: start-up {fmt(m.get('ready_all', []), '{:.2f}')} s; RSS per held connection {fmt(m.get('per_conn_all', []), '{:.1f}')} KiB; "
      f"crypto ceiling {fmt([crypto(d)[0] for d in R[lab]], '{:,.0f}')} ECDSA handshakes/s")
p("")
p(f"Raw data: `{OUT}` (per server and run: anchors.sh log `LABEL-rK.log`, run dir `LABEL-rK/` with results.tsv, report.md, server.log).")
print("\n".join(out))
EOF

echo
cat "$OUT/summary.md"
log "summary written to $OUT/summary.md"

rc=0
for run in $(seq "$RUNS"); do
  for label in "nginx-r$run" "mta-sts-host-r$run"; do
    r=$(cat "$OUT/$label.rc" 2>/dev/null || echo 1)
    [ "$r" = 0 ] || { log "ERROR: anchors.sh for $label failed (exit status $r)"; rc=1; }
  done
done
exit $rc
