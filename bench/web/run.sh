#!/usr/bin/env bash
# Load benchmark of the platform (issue 14): the établissement's dossier page
# and the ARS's campaign page of `caqes demo` (and, beyond the goal, the region's
# dashboard of that campaign), 100 connections on loopback,
# with wrk, on SQLite and on PostgreSQL; the server's resident memory is
# sampled during each run.
#
# Usage: bench/web/run.sh [sqlite|postgres|both]   (default: both)
# Environment:
#   CAQES_BIN      the binary (default: target/release/caqes; build it with
#                  `cargo build --release -p caqes`)
#   PG_ADMIN_URL   PostgreSQL server where a throw-away database is created
#                  (default: postgres://postgres@127.0.0.1:5432/postgres)
#   DURATION       seconds of each measured run (default: 30)
#   CONNECTIONS    concurrent connections (default: 100)
#   THREADS        wrk threads (default: 2)
#   PORT           listening port of the demo (default: 18080)
#   CAMPAIGN       title of the demo campaign whose pages are measured (default: its
#                  current first-generation campaign, « Campagne CAQES 2020 »)
# Needs: wrk, curl, psql (for PostgreSQL).
set -euo pipefail

cd "$(dirname "$0")/../.."
BIN=${CAQES_BIN:-target/release/caqes}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-100}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
CAMPAIGN=${CAMPAIGN:-Campagne CAQES 2020}
WHICH=${1:-both}
BASE="http://127.0.0.1:$PORT"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "$tool manquant (apt-get install -y $tool)" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "$BIN introuvable : cargo build --release -p caqes" >&2; exit 2; }

WORK=$(mktemp -d /tmp/caqes-bench-web.XXXXXX)
SERVER=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts `caqes demo` with the given extra arguments; waits for its address.
start_demo() {
  "$BIN" demo --addr "127.0.0.1:$PORT" "$@" >"$WORK/demo.out" 2>"$WORK/demo.err" &
  SERVER=$!
  for _ in $(seq 1 600); do
    grep -q "^Ouvrir http://" "$WORK/demo.out" 2>/dev/null && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/demo.err" >&2; exit 1; }
    sleep 0.2
  done
  echo "la démonstration ne démarre pas" >&2; exit 1
}

stop_demo() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}

# The e-mail and password of the printed account whose line starts with $1.
account() {
  grep -E "^  $1 " "$WORK/demo.out" | head -n1 | awk '{for (i = 1; i <= NF; i++) if ($i ~ /@/) { print $i; print $(i + 1); exit }}'
}

# Logs in with curl; prints the session cookie's value.
login() {
  local email=$1 password=$2 jar="$WORK/jar-$1"
  local csrf
  csrf=$(curl -s -c "$jar" "$BASE/connexion" | grep -o 'name="_csrf" value="[0-9a-f]*"' | head -n1 | sed 's/.*value="//; s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode "_csrf=$csrf" --data-urlencode "email=$email" --data-urlencode "password=$password" \
    "$BASE/connexion"
  awk '$6 == "caqes_session" { print $7 }' "$jar"
}

# The first link of page $1 (with session $2) matching the pattern $3, in the table row
# naming the campaign $CAMPAIGN (the home page lists every campaign of the region; since
# the second-generation demo campaign exists it comes first, and its pages are not the ones
# measured here).
first_link() {
  curl -s -H "Cookie: caqes_session=$2" "$BASE$1" | tr '\n' ' ' | sed 's/<tr/\n<tr/g' \
    | grep -F "$CAMPAIGN" | grep -oE "href=\"$3\"" | head -n1 | sed 's/href="//; s/"$//'
}

# Peak resident memory (VmHWM, kB) of the server since it started.
peak_rss_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status"; }
# CPU time of the server (user + system, clock ticks) since it started.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }

# One wrk run on $2 with session $3; prints a Markdown row labelled $1.
measure() {
  local label=$1 path=$2 session=$3 out="$WORK/wrk.out"
  local size
  size=$(curl -s -H "Cookie: caqes_session=$session" -o /dev/null -w '%{size_download}' "$BASE$path")
  # Warm-up (connections, caches), not reported.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -H "Cookie: caqes_session=$session" "$BASE$path" >/dev/null
  local max_rss=0 rss
  (
    while kill -0 "$SERVER" 2>/dev/null; do rss_kb; sleep 0.2; done
  ) >"$WORK/rss.samples" &
  local sampler=$!
  local cpu_before cpu_after
  cpu_before=$(cpu_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -H "Cookie: caqes_session=$session" "$BASE$path" >"$out"
  cpu_after=$(cpu_ticks)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  while read -r rss; do [ -n "$rss" ] && [ "$rss" -gt "$max_rss" ] && max_rss=$rss; done <"$WORK/rss.samples"
  local p50 p99 rps errors non2xx
  p50=$(awk '$1 == "50%" { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
  errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx/ { print $NF }' "$out")
  # The server's CPU (user + system) per answered request: what the page costs, whatever
  # else the machine does meanwhile (the latencies depend on the machine's load).
  local requests cpu_ms
  requests=$(awk '/requests in/ { print $1 }' "$out")
  cpu_ms=$(awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v n="${requests:-0}" \
    'BEGIN { if (n > 0) printf "%.2f", t * 1000 / hz / n; else print "—" }')
  echo "| $label | $((size / 1024)) Kio | $rps | $p50 | $p99 | ${non2xx:-0} | ${errors:-0} | $((max_rss / 1024)) Mio | ${cpu_ms/./,} ms |"
  cp "$out" "$WORK/last-$label.wrk"
}

run_backend() {
  local backend=$1
  case $backend in
    sqlite) start_demo --data "$WORK/demo-sqlite" ;;
    postgres)
      command -v psql >/dev/null || { echo "psql manquant" >&2; exit 2; }
      PG_DB="caqes_bench_$$"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      start_demo --database-url "${PG_ADMIN_URL%/*}/$PG_DB"
      ;;
  esac
  local etab ars
  mapfile -t etab < <(account "Établissement")
  mapfile -t ars < <(account "ARS")
  local s_etab s_ars dossier campaign
  s_etab=$(login "${etab[0]}" "${etab[1]}")
  s_ars=$(login "${ars[0]}" "${ars[1]}")
  dossier=$(first_link / "$s_etab" '/campagnes/[0-9a-f]+/dossiers/[0-9A-Z]{9}')
  campaign=$(first_link / "$s_ars" '/campagnes/[0-9a-f]+')
  dashboard="$campaign/tableau-de-bord"
  [ -n "$dossier" ] && [ -n "$campaign" ] || { echo "pages introuvables ($dossier, $campaign)" >&2; exit 1; }
  echo "# $backend : dossier $dossier (${etab[0]}), campagne $campaign (${ars[0]})" >&2
  measure "$backend dossier" "$dossier" "$s_etab"
  measure "$backend campagne" "$campaign" "$s_ars"
  # Not in the goal, but scored from the same memo: the region's dashboard.
  measure "$backend tableau de bord" "$dashboard" "$s_ars"
  echo "| $backend : pic résident du processus (VmHWM, démonstration semée comprise) | | | | | | | $(( $(peak_rss_kb) / 1024 )) Mio | |"
  stop_demo
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency ; $(nproc) cœurs ; $(date -u +%Y-%m-%dT%H:%MZ) ; charge $(cut -d' ' -f1-3 /proc/loadavg) ; $("$BIN" --version 2>/dev/null || echo caqes)"
echo
echo "| page | taille | req/s | p50 | p99 | non 2xx | erreurs de socket | RSS max | CPU du serveur par requête |"
echo "|---|---|---|---|---|---|---|---|---|"
case $WHICH in
  sqlite | postgres) run_backend "$WHICH" ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
