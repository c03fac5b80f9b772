#!/usr/bin/env bash
# Memory of a national Open PHMEV upload through the platform (issue 10: « a national Open
# PHMEV CSV (1,2 GB) must go through … Large uploads stream to disk, never whole in memory »).
#
#   bench/upload/run.sh [CAQES_BINARY] [ROWS]
#
# Writes a CNAM-format CSV of ROWS lines (default 3 450 000 ≈ 1,2 Go) with
# bench/phmev/gen.py from the shared extract (needs python3 + pyarrow), starts `caqes demo`
# on a fresh SQLite base, logs in as the Assurance Maladie, posts the file to the PHEV
# preview of the 2020 campaign (multipart, as the browser does) and samples the server's
# resident memory every 0,5 s. Prints the HTTP status, the duration, the resident memory
# before and the peak during the upload (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/caqes}
ROWS=${2:-3450000}
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
EXTRACT=${EXTRACT:-../shared/data/open-phmev/open_phmev_2024_extract.parquet}
python3 bench/phmev/gen.py national "$EXTRACT" "$WORK/OPEN_PHMEV_2019.csv" --rows "$ROWS" >/dev/null
SIZE=$(stat -c %s "$WORK/OPEN_PHMEV_2019.csv")
ADDR=127.0.0.1:${PORT:-8097}
BASE=http://$ADDR
"$BIN" demo --addr "$ADDR" --data "$WORK/demo" >"$WORK/demo.out" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -s -o /dev/null "$BASE/sante" && break; sleep 1; done
read -r EMAIL PASS < <(grep -E "^  Assurance Maladie " "$WORK/demo.out" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /@/) { print $i, $(i + 1); exit }}')
JAR=$WORK/jar
csrf() { grep -o 'name="_csrf" value="[0-9a-f]*"' | head -n1 | sed 's/.*value="//; s/"//'; }
TOKEN=$(curl -s -c "$JAR" "$BASE/connexion" | csrf)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "_csrf=$TOKEN" \
  --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASS" "$BASE/connexion"
CAMPAIGN=""
for c in $(curl -s -b "$JAR" "$BASE/" | grep -oE 'href="/campagnes/[0-9a-f]+"' | sed 's/href="\/campagnes\///; s/"//' | sort -u); do
  if curl -s -b "$JAR" "$BASE/campagnes/$c/phev" | grep -q "Campagne CAQES 2020"; then CAMPAIGN=$c; fi
done
[ -n "$CAMPAIGN" ] || { echo "campagne 2020 introuvable" >&2; exit 1; }
TOKEN=$(curl -s -b "$JAR" "$BASE/campagnes/$CAMPAIGN/phev" | csrf)
BEFORE=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status")
HWM_BEFORE=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status")
START=$(date +%s.%N)
STATUS=$(curl -s -o "$WORK/preview.html" -w '%{http_code}' -b "$JAR" -F "_csrf=$TOKEN" \
  -F "annee_n=@$WORK/OPEN_PHMEV_2019.csv;type=text/csv" -F "classe_iv02=" \
  "$BASE/campagnes/$CAMPAIGN/phev/apercu")
END=$(date +%s.%N)
PEAK=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status")
echo "fichier : $((SIZE / 1000000)) Mo, $ROWS lignes ; binaire : $BIN ; charge : $(cut -d' ' -f1 /proc/loadavg)"
echo "statut HTTP $STATUS en $(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.1f", b - a }') s ;" \
  "mémoire résidente avant $((BEFORE / 1024)) Mio (pointe jusque-là $((HWM_BEFORE / 1024)) Mio, remplissage de la démonstration), pointe après l'envoi $((PEAK / 1024)) Mio"
grep -q 'id="apercu\|rien-a-enregistrer\|Lignes lues' "$WORK/preview.html" || { echo "pas d'aperçu dans la réponse" >&2; exit 1; }
