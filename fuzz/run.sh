#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation on STABLE Rust (the flags
# cargo-fuzz passes with `-s none`, no sanitizer, which needs nightly), then runs each for
# FUZZ_SECONDS (default 60). Replays the committed corpus and every crafted file first; exits
# non-zero on a crash, an input over the memory limit or a timeout, leaving it in fuzz/artifacts/.
#
#   fuzz/run.sh                  # every target, 60 s each
#   FUZZ_SECONDS=10 fuzz/run.sh probe picture
set -euo pipefail

cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(probe picture thumbnail chat_frame)

host=$(rustc -vV | sed -n 's/^host: //p')
# With --target, RUSTFLAGS reach only the target's code, not build scripts or proc macros.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked --target "$host" $(printf -- '--bin %s ' "${targets[@]}")

mkdir -p artifacts
for target in "${targets[@]}"; do
    seeds="corpus/$target"
    work="$CARGO_TARGET_DIR/corpus/$target"  # what this run finds, kept out of git
    mkdir -p "$work"
    extra=()
    case "$target" in
        probe | picture | thumbnail) extra+=(../tests/fixtures/hostile) ;;
    esac
    # libFuzzer's progress lines go to a log; the run shows its final line and stats, or the
    # log's end when it fails.
    log="$CARGO_TARGET_DIR/fuzz-$target.log"
    echo "== $target: ${seconds}s (log: $log)"
    if ! "$CARGO_TARGET_DIR/$host/release/$target" "$work" "$seeds" "${extra[@]}" \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=1024 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="artifacts/$target-" >"$log" 2>&1; then
        tail -n 60 "$log"
        exit 1
    fi
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::)' "$log" || tail -n 5 "$log"
done
echo "fuzzing: no crash in ${targets[*]} (${seconds}s each)"
