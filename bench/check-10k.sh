#!/usr/bin/env bash
# Times `mta-sts-host check` over 10,000 generated policies (every tenth an alias symlink): best of 3, in
# seconds. Binary: $MTA_STS_HOST_BIN, else .build/release/mta-sts-host (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MTA_STS_HOST_BIN:-.build/release/mta-sts-host}
COUNT=${COUNT:-10000}
[[ -x $BIN ]] || { echo "no executable at $BIN: run swift build -c release or set MTA_STS_HOST_BIN" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/check-10k.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
modes=(enforce testing none)
for ((i = 0; i < COUNT; i++)); do
  printf -v domain 'd%05d.bench.test' "$i"
  if ((i % 10 == 9)); then
    printf -v previous 'd%05d.bench.test' $((i - 1))
    ln -s "$previous.txt" "$DIR/$domain.txt"
    continue
  fi
  printf 'version: STSv1\nmode: %s\nmx: mx1.%s\nmx: *.mx.%s\nmax_age: %d\n' \
    "${modes[i % 3]}" "$domain" "$domain" $((604800 + i)) >"$DIR/$domain.txt"
done

# The run must be a real one: every policy valid, nothing rejected.
summary=$("$BIN" check --policies "$DIR" | tail -n 1)
expected="checked $COUNT policies: $COUNT valid, 0 rejected, 0 errors, 0 warnings"
[[ $summary == "$expected" ]] || { echo "unexpected summary: $summary" >&2; exit 1; }

TIMEFORMAT=%R
best=
for _ in 1 2 3; do
  seconds=$({ time "$BIN" check --policies "$DIR" >/dev/null; } 2>&1)
  if [[ -z $best ]] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$seconds; fi
done
echo "mta-sts-host check, $COUNT policies: ${best}s (best of 3)"
