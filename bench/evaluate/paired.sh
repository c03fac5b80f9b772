#!/usr/bin/env bash
# Paired runs of several caqes binaries on one file set: A B C A B C…, REPEAT rounds.
# Prints per binary: best wall, median CPU (user+sys), median user, max peak RSS.
set -euo pipefail
# Usage: D=n3000 REPEAT=5 bench/evaluate/paired.sh caqes-old caqes-new (binaries and data
# folders in the current directory, e.g. /work/bench-data/evaluate; JSON to regular files only).
D=${D:-n3000}; REPEAT=${REPEAT:-5}; YEAR=${YEAR:-2020}
args=(evaluate --referentiel occitanie-2018 --annee "$YEAR" --etablissements "$D/etablissements.csv"
      --valeurs "$D/valeurs.csv" --cibles "$D/cibles.csv")
echo "charge avant : $(cut -d' ' -f1-3 /proc/loadavg) ; $(date -u +%FT%TZ)"
for b in "$@"; do "./$b" "${args[@]}" --output "out-$b.json" 2>/dev/null; done
for r in $(seq "$REPEAT"); do
  for b in "$@"; do
    /usr/bin/time -f "%e %U %S %M" -o t.txt "./$b" "${args[@]}" --output "run-$b.json" 2>/dev/null >/dev/null || true
    echo "$b $(cat t.txt)" >> runs.txt
  done
done
echo "charge après : $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$@" <<'PY'
import sys, statistics
rows=[l.split() for l in open("runs.txt")]
for b in sys.argv[1:]:
    r=[(float(w),float(u),float(s),int(m)) for n,w,u,s,m in rows if n==b]
    print(f"{b:16} n={len(r)} wall_min={min(x[0] for x in r):.2f}s cpu_med={statistics.median(x[1]+x[2] for x in r):.2f}s user_med={statistics.median(x[1] for x in r):.2f}s sys_med={statistics.median(x[2] for x in r):.2f}s rss_max={max(x[3] for x in r)/1024:.1f}MiB")
PY
rm -f runs.txt
