#!/usr/bin/env bash
# Benchmark of `caqes evaluate` on a national campaign (issue 9, section 5), against the
# binary of the main commit this branch started from, built in the same run.
# Not part of `cargo test`. Usage (from anywhere):
#   bench/evaluate/run.sh                      # 750 and 3 000 establishments, best of 5
#   SIZES=3000 REPEAT=9 bench/evaluate/run.sh
#   BASE=<commit> bench/evaluate/run.sh        # compare with another commit
# Generated files, the old source tree and binary go to $BENCH_DATA (default
# /work/bench-data/evaluate), never into the repository. Both binaries are built in
# release with the same target directory (dependencies compiled once).
# Prints, per size: the files' rows, best-of-$REPEAT wall time and peak RSS of the old and
# new binaries (/usr/bin/time), the ratio old/new, and whether both wrote the same JSON;
# then the engine alone on the national campaign (cargo bench -p caqes-core --bench national).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${BENCH_DATA:-/work/bench-data/evaluate}
SIZES=${SIZES:-"750 3000"}
REPEAT=${REPEAT:-5}
YEAR=${YEAR:-2020}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$DATA"

BASE=${BASE:-$(git -C "$ROOT" merge-base HEAD main)}
OLD_SRC=$DATA/main-src
OLD_BIN=$DATA/caqes-main-$(git -C "$ROOT" rev-parse --short "$BASE")
if [ ! -x "$OLD_BIN" ]; then
    [ -d "$OLD_SRC" ] && git -C "$ROOT" worktree remove --force "$OLD_SRC"
    git -C "$ROOT" worktree add --detach "$OLD_SRC" "$BASE" >/dev/null
    (cd "$OLD_SRC" && nice -n 5 cargo build --release -p caqes --quiet)
    cp "$CARGO_TARGET_DIR/release/caqes" "$OLD_BIN"
    git -C "$ROOT" worktree remove --force "$OLD_SRC"
fi
(cd "$ROOT" && nice -n 5 cargo build --release -p caqes --quiet)
NEW_BIN=$CARGO_TARGET_DIR/release/caqes

# /usr/bin/time -f "%e %M": wall seconds, peak RSS in KB; best time and largest RSS.
measure() { # command...
    local best="" rss="" t m
    for _ in $(seq "$REPEAT"); do
        /usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$@" >/dev/null 2>/dev/null
        read -r t m < "$DATA/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        if [ -z "$rss" ] || [ "$m" -gt "$rss" ]; then rss=$m; fi
    done
    echo "$best $rss"
}

echo "machine: $(nproc) cœurs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ)"
echo "ancien: $BASE ($OLD_BIN) ; nouveau: $(git -C "$ROOT" rev-parse HEAD)$(git -C "$ROOT" diff --quiet || echo ' + modifications')"
echo "charge avant mesure : $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-9s %-8s %-9s %-9s %-9s %-9s %-8s %s\n' etabs valeurs cibles ancien_s ancien_Mo nouveau_s nouveau_Mo ratio meme_json
for n in $SIZES; do
    dir=$DATA/n$n
    [ -s "$dir/valeurs.csv" ] || python3 "$HERE/gen.py" "$dir" --establishments "$n" >/dev/null
    cat "$dir"/*.csv >/dev/null # in the page cache
    args=(evaluate --referentiel occitanie-2018 --annee "$YEAR" --etablissements "$dir/etablissements.csv"
          --valeurs "$dir/valeurs.csv" --cibles "$dir/cibles.csv")
    "$OLD_BIN" "${args[@]}" --output "$DATA/old.json" 2>/dev/null
    "$NEW_BIN" "${args[@]}" --output "$DATA/new.json" 2>/dev/null
    same=$(cmp -s "$DATA/old.json" "$DATA/new.json" && echo oui || echo NON)
    read -r t_old m_old < <(measure "$OLD_BIN" "${args[@]}")
    read -r t_new m_new < <(measure "$NEW_BIN" "${args[@]}")
    printf '%-8s %-9s %-8s %-9s %-9s %-9s %-9s %-8s %s\n' "$n" \
        "$(($(wc -l < "$dir/valeurs.csv") - 1))" "$(($(wc -l < "$dir/cibles.csv") - 1))" \
        "$t_old" "$((m_old / 1024))" "$t_new" "$((m_new / 1024))" \
        "$(awk "BEGIN{printf \"%.1fx\", $t_old / ($t_new > 0 ? $t_new : 0.005)}")" "$same"
done
echo "charge après mesure : $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$ROOT" && nice -n 5 cargo bench -p caqes-core --bench national --quiet 2>/dev/null)
