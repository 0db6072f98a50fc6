#!/usr/bin/env bash
# Builds every fuzz target, replays the kept regression inputs (regressions/<target>/),
# then runs each target for SECONDS (default 60), one after the other, at nice 10.
# The corpus grows under fuzz/corpus/<target> (git-ignored); crashes land in
# fuzz/artifacts/<target>; each run's output is kept in fuzz/logs/<target>.log and its
# wall time and libFuzzer's final stats are printed at the end. Stable toolchains need
# RUSTC_BOOTSTRAP=1 for the sanitizer flags cargo-fuzz passes; it is set here.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

cargo fuzz build -O
bin=target/x86_64-unknown-linux-gnu/release
status=0
mkdir -p logs
summary=""
for target in $(cargo fuzz list); do
    if compgen -G "regressions/$target/*" >/dev/null; then
        echo "== $target: regressions"
        "$bin/$target" -runs=1 regressions/"$target"/* 2>&1 | tail -n 1
    fi
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds}s"
    start=$(date +%s)
    if ! nice -n 10 cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        >"logs/$target.log" 2>&1; then
        echo "!! $target failed; see fuzz/logs/$target.log and fuzz/artifacts/$target" >&2
        status=1
    fi
    wall=$(($(date +%s) - start))
    execs=$(grep -m1 '^stat::number_of_executed_units' "logs/$target.log" | awk '{print $2}')
    corpus=$(find "corpus/$target" -type f | wc -l)
    crashes=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
    summary+=$(printf '\n%-20s %6ss %12s execs %7s corpus %3s artifacts' \
        "$target" "$wall" "${execs:-?}" "$corpus" "$crashes")
done
echo "$summary"
exit "$status"
