#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/Package.swift with AddressSanitizer (release, so -O with the
# preconditions and overflow checks Swift keeps there), replays Fuzz/regressions/<target>/, then fuzzes each target
# for FUZZ_SECONDS from the seeds in Fuzz/corpus/<target>/.
#
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_TARGETS (default: all three), SWIFT.
# Generated inputs go to .build-fuzz/corpus/<target>/ (kept between runs; the seeds are never written to).
# A crash, leak, timeout or out-of-memory input is copied to Fuzz/regressions/<target>/ (commit it with the fix,
# it is replayed first from then on) and the run fails.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-policy-parser http1-parser exchange}
SCRATCH=.build-fuzz
BIN=$SCRATCH/release

# Longest input per target: past the policy parser's 10 KiB warning, past the HTTP/1.1 8 KiB head limit, past
# HTTP/2's 16 KiB header list limit (HPACK makes it reachable in less).
max_len() {
    case $1 in
        policy-parser) echo 12288 ;;
        http1-parser) echo 10240 ;;
        exchange) echo 16384 ;;
    esac
}

# Swift's backtracer would hang on a fuzzer crash (it waits for its helper); libFuzzer and ASan report instead.
export SWIFT_BACKTRACE=enable=no

echo "== building the fuzz targets (-sanitize=fuzzer,address) into $SCRATCH"
build_started=$SECONDS
# gold warns once per ASan check symbol it cannot export: noise.
"$SWIFT" build --package-path Fuzz --scratch-path "$SCRATCH" -c release -Xswiftc -sanitize=fuzzer,address 2>&1 \
    | grep -v "Cannot export local symbol '__asan"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz build failed"; exit 1; }
echo "   built in $((SECONDS - build_started)) s"

failed=()
summary=()
for target in $FUZZ_TARGETS; do
    binary=$BIN/$target
    corpus=$SCRATCH/corpus/$target
    artifacts=$SCRATCH/artifacts/$target
    regressions=Fuzz/regressions/$target
    log=$SCRATCH/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$regressions" "$(dirname "$log")"

    mapfile -t replays < <(find "$regressions" -type f ! -name 'README*' ! -name '.*' | sort)
    if [ ${#replays[@]} -gt 0 ]; then
        echo "== $target: replaying ${#replays[@]} regression input(s) from $regressions"
        : >"$log.replay"
        for input in "${replays[@]}"; do
            # One run per input: libFuzzer stops at the first failing file.
            if ! "$binary" -runs=1 "$input" >>"$log.replay" 2>&1; then
                echo "   FAILS: $input"
                grep -E "Fatal error|ERROR: |SUMMARY" "$log.replay" | tail -3 | sed 's/^/     /'
                failed+=("$target (regression $(basename "$input"))")
            fi
        done
    fi

    echo "== $target: fuzzing for $FUZZ_SECONDS s (log: $log)"
    rm -f "$artifacts"/*
    "$binary" "$corpus" "Fuzz/corpus/$target" \
        -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$target")" -dict="Fuzz/dicts/$target.dict" \
        -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    status=$?
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    result=clean
    if [ $status -ne 0 ]; then
        result="FAILED (exit $status)"
        failed+=("$target")
        grep -E "Fatal error|ERROR: |SUMMARY|Test unit written" "$log" | head -20
        for found in "$artifacts"/*; do
            [ -e "$found" ] || continue
            cp "$found" "$regressions/"
            echo "   new regression input: $regressions/$(basename "$found")"
        done
    fi
    summary+=("$(printf '%-14s runs %-9s exec/s %-7s cov %-6s ft %-6s corpus %-14s %s' \
        "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")")
done

echo "== summary (FUZZ_SECONDS=$FUZZ_SECONDS)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
