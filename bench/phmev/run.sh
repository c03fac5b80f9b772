#!/usr/bin/env bash
# Benchmark of `caqes phmev indicateurs` against DuckDB on a national-size Open PHMEV CSV.
# Not part of `cargo test`. Usage (from anywhere):
#   bench/phmev/run.sh                 # 3.5 M rows (about 1.2 GB)
#   ROWS="350000 3500000" bench/phmev/run.sh
#   ROWS=35000000 bench/phmev/run.sh   # about 12 GB of CSV (+12 GB for the UTF-8 copy)
# Generated files go to $BENCH_DATA (default /work/bench-data), never into the repository.
# Prints, per size: best-of-$REPEAT wall time of three variants of ours (SHA-256 computed
# every time, SHA-256 from the cache after one warm-up run, no SHA-256) and of DuckDB, peak
# RSS, the three ratios, and whether every establishment's figures are identical.
# The SHA-256 cache lives in $BENCH_DATA/cache (never the user's).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${BENCH_DATA:-/work/bench-data}
ROWS=${ROWS:-3500000}
REPEAT=${REPEAT:-3}
EXTRACT=${EXTRACT:-$ROOT/../shared/data/open-phmev/open_phmev_2024_extract.parquet}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-phmev}
export CAQES_CACHE_DIR=$DATA/cache
mkdir -p "$DATA"

python3 -c 'import duckdb, pyarrow' 2>/dev/null || pip install --quiet duckdb pyarrow
(cd "$ROOT" && cargo build --release -p caqes --quiet)
BIN=$CARGO_TARGET_DIR/release/caqes

# /usr/bin/time -f "%e %M": wall seconds, peak RSS in KB.
measure() { # label command...
    local best="" rss=""
    for _ in $(seq "$REPEAT"); do
        local out
        out=$( { /usr/bin/time -f "TIME %e %M" "$@" >/dev/null; } 2>&1 | grep '^TIME')
        local t m
        t=$(echo "$out" | awk '{print $2}'); m=$(echo "$out" | awk '{print $3}')
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        if [ -z "$rss" ] || [ "$m" -gt "$rss" ]; then rss=$m; fi
    done
    echo "$best $rss"
}

echo "machine: $(nproc) cœurs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ)"
echo "charge avant mesure : $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-12s %-13s %-13s %-10s %-10s %-10s %-10s %-10s %-17s %s\n' lignes octets caqes_froid_s caqes_cache_s caqes_s caqes_Mo duckdb_s duckdb_q_s duckdb_Mo ratios identiques
for n in $ROWS; do
    csv=$DATA/national_${n}.csv
    utf8=$DATA/national_${n}.utf8.csv
    [ -s "$csv" ] || python3 "$HERE/gen.py" national "$EXTRACT" "$csv" --rows "$n"
    # DuckDB reads UTF-8 only: convert once, outside the timing.
    [ -s "$utf8" ] || iconv -f WINDOWS-1252 -t UTF-8 "$csv" > "$utf8"
    cat "$csv" "$utf8" > /dev/null # both in the page cache
    ours=("$BIN" phmev indicateurs --input "$csv" --output "$DATA/caqes.json")
    read -r t_cold m_cold < <(measure "${ours[@]}" --sans-cache-sha256)
    # The cache skips a file changed less than 2 s before the read ("racy"): a file just
    # generated needs a pause before the warm-up run that fills the cache.
    age=$(( $(date +%s) - $(stat -c %Z "$csv") ))
    [ "$age" -ge 3 ] || sleep $((3 - age))
    "${ours[@]}" 2>/dev/null
    read -r t_cache m_cache < <(measure "${ours[@]}")
    grep -q '"sha256_origine": "cache"' "$DATA/caqes.json.provenance.json" \
        || echo "attention : l'empreinte de $csv n'a pas été prise du cache" >&2
    read -r t_ours m_ours < <(measure "${ours[@]}" --sans-sha256)
    read -r t_duck m_duck < <(measure python3 "$HERE/oracle.py" --csv-utf8 --typed --sql-only "$utf8")
    q_duck=$(python3 "$HERE/oracle.py" --csv-utf8 --typed --sql-only "$utf8" 2>&1 | sed -n 's/.*duckdb_query_seconds=\([0-9.]*\).*/\1/p')
    # Same figures? DuckDB's full output against ours, establishment by establishment.
    python3 "$HERE/oracle.py" --csv-utf8 --typed "$utf8" > "$DATA/duckdb.json"
    same=$(python3 "$HERE/compare.py" "$DATA/caqes.json" "$DATA/duckdb.json" | tail -1)
    ratio=$(awk "BEGIN{printf \"%.2f/%.2f/%.2f\", $t_duck/$t_cold, $t_duck/$t_cache, $t_duck/$t_ours}")
    m_max=$(printf '%s\n' "$m_cold" "$m_cache" "$m_ours" | sort -n | tail -1)
    printf '%-10s %-12s %-13s %-13s %-10s %-10s %-10s %-10s %-10s %-17s %s\n' "$n" "$(stat -c %s "$csv")" "$t_cold" "$t_cache" \
        "$t_ours" "$((m_max / 1024))" "$t_duck" "$q_duck" "$((m_duck / 1024))" "$ratio" "$same"
done
echo "caqes_froid_s : SHA-256 calculé à chaque fois (--sans-cache-sha256) ; caqes_cache_s : SHA-256 pris du cache (défaut, après un passage qui le remplit) ; caqes_s : sans SHA-256 (--sans-sha256)"
echo "ratios : duckdb/caqes_froid / duckdb/caqes_cache / duckdb/caqes_s ; caqes_Mo : le plus grand des trois"
echo "duckdb_s : processus python3 + DuckDB entier (lecture CSV typée + requête), meilleure de $REPEAT ; duckdb_q_s : la requête seule (une mesure)"
echo "charge après mesure : $(cut -d' ' -f1-3 /proc/loadavg)"
