#!/usr/bin/env bash
# Benchmark of the region's dashboard (issue 12): a region of N establishments (default
# 3 000) with their 2019 values in a temporary SQLite store, the dashboard and the campaign
# follow-up requested through the whole router in process, in release. Not part of
# `cargo test`. Usage (from anywhere):
#   bench/dashboard/run.sh            # 3 000 establishments, 20 requests per page
#   N=750 RUNS=50 bench/dashboard/run.sh
# Prints the generation time, the store alone (N × evaluate_entity against one
# evaluate_entities), then min / median / max of each page.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-3000}
RUNS=${RUNS:-20}
cd "$ROOT"
nice -n 5 cargo build --release -p caqes-web --example dashboard_bench --quiet
"${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/dashboard_bench" "$N" "$RUNS"
