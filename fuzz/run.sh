#!/usr/bin/env bash
# Runs fuzz targets one after the other, SECONDS seconds each (default 600),
# with bounded memory; the corpus grows in fuzz/corpus/TARGET (not committed),
# crashes land in fuzz/artifacts/TARGET. Usage: fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (cargo install cargo-fuzz --locked); on a stable toolchain
# RUSTC_BOOTSTRAP=1 lets it pass the sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^caqes-fuzz$'))
fi
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${seconds} s"
    RUSTC_BOOTSTRAP=1 nice -n 15 cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
        2>&1 | tee "logs/$t.log" | grep -E "^(#[0-9]+ +(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|artifact)" || true
done
