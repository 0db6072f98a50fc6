#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 60), one after the other.
# The corpus grows under fuzz/corpus/<target> (git-ignored); crashes land in
# fuzz/artifacts/<target>. Stable toolchains need RUSTC_BOOTSTRAP=1 for the sanitizer
# flags cargo-fuzz passes; it is set here.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

cargo fuzz build -O
status=0
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds}s"
    if ! cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1; then
        echo "!! $target failed; see fuzz/artifacts/$target" >&2
        status=1
    fi
done
exit "$status"
