#!/usr/bin/env python3
"""Independent computation of `caqes phmev indicateurs` figures with DuckDB SQL.

Usage: oracle.py FILE [--csv-utf8 [--typed]] [--sql-only] [--previous FILE_N_1 [--iv02 ATC]] > oracle.json
  FILE: a Parquet file (as the shared extract) or, with --csv-utf8, CNAM's CSV converted
  to UTF-8 (DuckDB reads UTF-8 only: convert with `iconv -f WINDOWS-1252 -t UTF-8`).
Prints the same JSON array as `caqes phmev indicateurs --format json` (sorted by finess).
Rates: percent, rounded half away from zero to 2 decimals, computed here with Python's
Decimal from DuckDB's exact integer sums; amounts summed as DECIMAL(18,2) by DuckDB.
"""
import json
import sys
import time
from decimal import Decimal, ROUND_HALF_UP

import duckdb

CLASSES = [
    ("epo", ["B03XA01"]),
    ("anti_tnf", ["L04AB01", "L04AB02", "L04AB04"]),
    ("insuline_glargine", ["A10AE04"]),
    ("g_csf", ["L03AA02", "L03AA13"]),
]


TYPED = False  # --typed: DuckDB parses BOITES and REM itself (benchmark; no thousands separators)


def source(path, csv_utf8):
    if not csv_utf8:
        return f"read_parquet('{path}')"
    if TYPED:
        return (f"read_csv('{path}', delim=';', header=true, decimal_separator=',', "
                "types={'etb_rgt': 'VARCHAR', 'CIP13': 'VARCHAR', 'GEN_NUM': 'VARCHAR', 'code_postal': 'VARCHAR', "
                "'TOP_GEN': 'VARCHAR', 'BOITES': 'BIGINT', 'REM': 'DECIMAL(18,2)', 'BSE': 'DECIMAL(18,2)'})")
    # Every column as text, then typed in SQL: the reference reads the file as CNAM wrote it.
    return (
        f"read_csv('{path}', delim=';', header=true, all_varchar=true, quote='\"')"
    )


def query(path, csv_utf8=False):
    src = source(path, csv_utf8)
    if csv_utf8 and TYPED:
        boites, rem = "BOITES", "REM"
    elif csv_utf8:
        boites = "CAST(REPLACE(BOITES, '.', '') AS BIGINT)"
        rem = "CAST(REPLACE(REPLACE(REM, '.', ''), ',', '.') AS DECIMAL(18,2))"
    else:
        boites = "BOITES"
        rem = "CAST(REM AS DECIMAL(18,2))"
    not_para = "coalesce(ATC5, '') <> 'N02BE01'"
    cls = []
    for cid, codes in CLASSES:
        inlist = ",".join(f"'{c}'" for c in codes)
        cls.append(f"sum(b) FILTER (WHERE ATC5 IN ({inlist}) AND TOP_GEN = 'B') AS {cid}_b")
        cls.append(f"sum(b) FILTER (WHERE ATC5 IN ({inlist}) AND TOP_GEN = 'C') AS {cid}_c")
    return f"""
    WITH t AS (SELECT etb_rgt, raison_sociale_etb, ATC5, atc4, TOP_GEN,
                      {boites} AS b, {rem} AS r FROM {src})
    SELECT etb_rgt,
           min(raison_sociale_etb) AS name,
           sum(b) AS total,
           sum(b) FILTER (WHERE {not_para}) AS hors_para,
           sum(b) FILTER (WHERE {not_para} AND TOP_GEN IN ('1', '4')) AS rep,
           sum(b) FILTER (WHERE {not_para} AND TOP_GEN = '9') AS nr,
           sum(r) AS rem,
           sum(r) FILTER (WHERE coalesce(atc4, '') <> 'J05AP') AS rem_hors_hepc,
           {", ".join(cls)}
    FROM t GROUP BY etb_rgt ORDER BY etb_rgt
    """


def growth_sums(con, path, csv_utf8, iv02):
    """Per etb_rgt: REM excluding J05AP, and REM of the IV-02 class (prefix of the code of
    the same level)."""
    src = source(path, csv_utf8)
    if csv_utf8 and TYPED:
        rem = "REM"
    elif csv_utf8:
        rem = "CAST(REPLACE(REPLACE(REM, '.', ''), ',', '.') AS DECIMAL(18,2))"
    else:
        rem = "CAST(REM AS DECIMAL(18,2))"
    level = {1: "atc1", 3: "atc2", 4: "atc3", 5: "atc4"}.get(len(iv02 or ""), "ATC5")
    cls = f"{level} = '{iv02}'" if iv02 else "false"
    q = f"""SELECT etb_rgt, sum({rem}) FILTER (WHERE coalesce(atc4, '') <> 'J05AP'),
                   coalesce(sum({rem}) FILTER (WHERE {cls}), 0)
            FROM {src} GROUP BY etb_rgt"""
    return {r[0]: (r[1] or Decimal(0), r[2]) for r in con.execute(q).fetchall()}


def growth(n, d):
    if not d:
        return None
    v = ((Decimal(n) / Decimal(d) - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(v)


def pct(n, d):
    if not d:
        return None
    v = (Decimal(n) * 100 / Decimal(d)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(v)


def main():
    global TYPED
    args = sys.argv[1:]
    TYPED = "--typed" in args
    csv_utf8 = "--csv-utf8" in args
    sql_only = "--sql-only" in args
    previous = iv02 = None
    if "--previous" in args:
        previous = args[args.index("--previous") + 1]
        args.remove(previous)
    if "--iv02" in args:
        iv02 = args[args.index("--iv02") + 1]
        args.remove(iv02)
    path = [a for a in args if not a.startswith("--")][0]
    q = query(path, csv_utf8)
    con = duckdb.connect()
    if sql_only:
        # The benchmark times DuckDB's own work (the query), printed on stderr.
        t0 = time.perf_counter()
        n = len(con.sql(q).fetchall())
        print(f"duckdb_query_seconds={time.perf_counter() - t0:.3f} groups={n}", file=sys.stderr)
        return
    cur = con.execute(q)
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        z = lambda k: int(r[k] or 0)
        item = {
            "finess": r["etb_rgt"],
            "raison_sociale": (r["name"] or "").strip(),
            "boites_total": z("total"),
            "boites_hors_paracetamol": z("hors_para"),
            "boites_repertoire": z("rep"),
            "taux_repertoire": pct(z("rep"), z("hors_para")),
            "boites_non_restituees": z("nr"),
            "montant_rembourse": f"{(r['rem'] or Decimal(0)):.2f}",
            "biosimilaires": {},
        }
        for cid, _ in CLASSES:
            b, c = z(f"{cid}_b"), z(f"{cid}_c")
            item["biosimilaires"][cid] = {"biosimilaires": b, "references": c, "taux": pct(b, b + c)}
        out.append(item)
    if previous:
        cur_sums = growth_sums(con, path, csv_utf8, iv02)
        prev_sums = growth_sums(con, previous, csv_utf8, iv02)
        for item in out:
            n, p = cur_sums[item["finess"]], prev_sums.get(item["finess"], (Decimal(0), Decimal(0)))
            item["iv01"] = {"montant_n": f"{n[0]:.2f}", "montant_n_1": f"{p[0]:.2f}", "evolution": growth(n[0], p[0])}
            if iv02:
                item["iv02"] = {"classe": iv02, "montant_n": f"{n[1]:.2f}", "montant_n_1": f"{p[1]:.2f}",
                                "evolution": growth(n[1], p[1])}
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
