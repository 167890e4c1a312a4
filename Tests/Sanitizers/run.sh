#!/usr/bin/env bash
# `make test-asan` / `make test-tsan`: Tests/Sanitizers/run.sh address|thread
#
# 1. builds everything and runs the Swift unit tests with the sanitizer (scratch path .build-asan / .build-tsan);
# 2. runs a fast end-to-end subset (SAN_E2E, a pytest -k expression) against the sanitized server binary.
# Every sanitized process writes its reports to files (ASAN_OPTIONS / TSAN_OPTIONS log_path) under
# <scratch>/sanitizer-reports/; any report there fails the run, as does a failing test. Suppressions, each explained,
# are in Tests/Sanitizers/*.supp.
set -uo pipefail
cd "$(dirname "$0")/../.."

sanitizer=${1:?usage: $0 address|thread}
case $sanitizer in
    address) short=asan ;;
    thread) short=tsan ;;
    *) echo "usage: $0 address|thread" >&2; exit 2 ;;
esac
SWIFT=${SWIFT:-swift}
PYTHON=${PYTHON:-python3}
SAN_E2E=${SAN_E2E:-curl or http1_raw or http2}
scratch=.build-$short
reports=$PWD/$scratch/sanitizer-reports
supp=$PWD/Tests/Sanitizers

# Reports go to files; Swift's backtracer stays out of the sanitizers' way.
export SWIFT_BACKTRACE=enable=no
case $short in
    asan)
        export ASAN_OPTIONS="log_path=$reports/unit/asan:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
        export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
        ;;
    tsan)
        export TSAN_OPTIONS="log_path=$reports/unit/tsan:suppressions=$supp/tsan.supp:print_suppressions=0:halt_on_error=0:second_deadlock_stack=1"
        ;;
esac

rm -rf "$reports"
mkdir -p "$reports/unit" "$reports/e2e"
status=0
phase() { echo "== $short: $1"; phase_started=$SECONDS; }
took() { echo "   ($((SECONDS - phase_started)) s)"; }

# Reports found under a directory: print them, return 1 if any.
check_reports() {
    local found
    found=$(find "$1" -type f | sort)
    [ -z "$found" ] && return 0
    for report in $found; do
        echo "---- $report"
        head -80 "$report"
    done
    echo "   $(wc -l <<<"$found") sanitizer report file(s) under $1"
    return 1
}

phase "swift build --sanitize=$sanitizer --scratch-path $scratch"
"$SWIFT" build --sanitize="$sanitizer" --scratch-path "$scratch" || exit 1
took

phase "swift test --sanitize=$sanitizer (unit tests)"
"$SWIFT" test --sanitize="$sanitizer" --scratch-path "$scratch" || { echo "   unit tests FAILED under $short"; status=1; }
check_reports "$reports/unit" || status=1
took

phase "end-to-end subset (-k \"$SAN_E2E\") against $scratch/debug/mta-sts-host"
# The tests judge the server's own exit status and memory: a leak report must not turn `exit 0` into LeakSanitizer's 23
# (the report file fails the run instead), and ASan's 256 MB quarantine of freed memory must not count as RSS growth.
export ASAN_OPTIONS=${ASAN_OPTIONS:+${ASAN_OPTIONS/unit/e2e}:quarantine_size_mb=16}
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:exitcode=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:+${TSAN_OPTIONS/unit/e2e}}
MTA_STS_HOST_BIN=$PWD/$scratch/debug/mta-sts-host "$PYTHON" -m pytest -q Tests/EndToEnd -k "$SAN_E2E" \
    || { echo "   end-to-end subset FAILED under $short"; status=1; }
check_reports "$reports/e2e" || status=1
took

[ $status -eq 0 ] && echo "== $short: clean" || echo "== $short: FAILED"
exit $status
