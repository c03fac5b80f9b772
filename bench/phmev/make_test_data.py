#!/usr/bin/env python3
"""Writes crates/caqes-data/test_data/phmev/: small CNAM-like CSV slices of the shared
extract (plus a few hand-made rows) and the figures DuckDB computes on them (oracle.py),
which the Rust tests compare against without needing Python.

  python3 bench/phmev/make_test_data.py   (from the repository root)
"""
import json
import os
import subprocess
import sys
import tempfile

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "crates", "caqes-data", "test_data", "phmev")
EXTRACT = os.path.join(ROOT, "..", "shared", "data", "open-phmev", "open_phmev_2024_extract.parquet")
sys.path.insert(0, HERE)
from gen import HEADER, encode, text  # noqa: E402

PICKS = [
    # (where, limit): rows of the extract, ordered by their original index.
    ("etb_rgt = '690781810' AND ATC5 = 'N02BE01'", 2),
    ("etb_rgt = '690781810' AND TOP_GEN = '1'", 3),
    ("etb_rgt = '690781810' AND TOP_GEN = '4'", 2),
    ("etb_rgt = '690781810' AND TOP_GEN = '0' AND ATC5 <> 'N02BE01'", 2),
    ("etb_rgt = '690781810' AND TOP_GEN = '9'", 1),
    ("ATC5 = 'A10AE04' AND TOP_GEN = 'B'", 1),
    ("ATC5 = 'A10AE04' AND TOP_GEN = 'C'", 1),
    ("ATC5 = 'A10AE04' AND TOP_GEN = '0'", 1),
    ("ATC5 = 'B03XA01' AND TOP_GEN IN ('B', 'C')", 3),
    ("ATC5 LIKE 'L04AB0%' AND TOP_GEN IN ('B', 'C')", 3),
    ("ATC5 LIKE 'L03AA%' AND TOP_GEN IN ('B', 'C')", 3),
    ("etb_rgt = '2B0000020'", 3),
    ("etb_rgt = '750100125'", 2),
    ("etb_rgt = '750100232'", 2),
]


def rows():
    con = duckdb.connect()
    out = []
    seen = set()
    for where, limit in PICKS:
        q = f"SELECT * FROM read_parquet('{EXTRACT}') WHERE {where} ORDER BY __index_level_0__ LIMIT {limit}"
        cur = con.execute(q)
        names = [c[0] for c in cur.description]
        for r in cur.fetchall():
            d = dict(zip(names, r))
            if d["__index_level_0__"] in seen:
                continue
            seen.add(d["__index_level_0__"])
            out.append([text(d[n], n) for n in HEADER])
    return out


def col(name):
    return HEADER.index(name)


def main():
    os.makedirs(OUT, exist_ok=True)
    data = rows()
    # Hand-made rows: a hepatitis C drug (IV-01 excludes it), an amount with a thousands
    # separator, a label with ’ (byte 0x92), a quoted label containing the separator.
    hepc = list(data[3])
    hepc[col("atc4")], hepc[col("L_ATC4")] = "J05AP", "ANTIVIRAUX POUR LE TRAITEMENT DES INFECTIONS VHC"
    hepc[col("ATC5")], hepc[col("L_ATC5")] = "J05AP55", "SOFOSBUVIR ET VELPATASVIR"
    hepc[col("CIP13")], hepc[col("l_cip13")] = "3400930080061", "EPCLUSA 400MG/100MG CPR 28"
    hepc[col("TOP_GEN")], hepc[col("BOITES")] = "0", "1.025"
    hepc[col("REM")], hepc[col("BSE")] = "12.345.678,91", "12.345.678,91"
    data.append(hepc)
    for r in data:
        if r[col("etb_rgt")] == "2B0000020":
            r[col("raison_sociale_etb")] = "CENTRE HOSPITALIER DE BASTIA L’ÎLE"
    data[4][col("l_cip13")] = '"GÉNÉRIQUE ; AVEC ""GUILLEMETS"""'
    header = ";".join(HEADER)
    lines = [";".join(r) for r in data]

    def write(name, text_lines, eol="\r\n", encoding="cp1252"):
        with open(os.path.join(OUT, name), "wb") as f:
            body = eol.join(text_lines) + eol
            f.write(encode(body) if encoding == "cp1252" else body.encode(encoding))

    write("small.csv", [header] + lines)
    # Same rows, columns in reverse order, LF, header in upper case.
    rev = [";".join(reversed(header.split(";"))).upper()]
    for r in data:
        fields = ";".join(r)
        # Re-split honouring the quoted field.
        parts = next(__import__("csv").reader([fields], delimiter=";"))
        parts = ['"' + p.replace('"', '""') + '"' if ";" in p or '"' in p else p for p in parts]
        rev.append(";".join(reversed(parts)))
    write("reordered.csv", rev, eol="\n")
    # Year N−1: other volumes (×2 boxes, REM × 0.8 rounded to the cent).
    prev = []
    for r in data:
        p = list(r)
        cents = int(p[col("REM")].replace(".", "").replace(",", ""))
        c = cents * 8 // 10
        p[col("REM")] = f"{c // 100},{c % 100:02d}"
        p[col("BOITES")] = str(int(p[col("BOITES")].replace(".", "")) * 2)
        prev.append(";".join(p))
    write("previous.csv", [header] + prev)
    with open(os.path.join(OUT, "rattachement.csv"), "w", encoding="utf-8") as f:
        f.write("finess_site;finess_entite;raison_sociale\n750100125;750712184;ASSISTANCE PUBLIQUE - HÔPITAUX DE PARIS\n"
                "750100232;750712184;ASSISTANCE PUBLIQUE - HÔPITAUX DE PARIS\n")

    # Broken files (one defect each; the line numbers are asserted by the tests).
    write("missing_column.csv", [header.replace(";BOITES", "")] + [";".join(r[:col("BOITES")] + r[col("BOITES") + 1:]) for r in data[:3]])
    bad = list(data[2]); bad[col("BOITES")] = "12O"  # letter O, line 4
    write("bad_boites.csv", [header] + lines[:2] + [";".join(bad)] + lines[3:6])
    write("wrong_field_count.csv", [header] + lines[:4] + [";".join(data[4][:-1])] + lines[5:7])  # line 6
    unq = list(data[1]); unq[col("l_cip13")] = '"NON FERMÉ'
    write("unbalanced_quotes.csv", [header] + lines[:1] + [";".join(unq)] + lines[2:4])  # line 3
    inv = list(data[5]); inv[col("etb_rgt")] = "690781811"
    write("invalid_finess.csv", [header] + lines[:5] + [";".join(inv)] + lines[6:8])  # line 7
    with open(os.path.join(OUT, "empty.csv"), "wb"):
        pass
    write("header_only.csv", [header])
    write("not_phmev.csv", ["nofinesset;nofinessej;rs;departement", "010000024;010780054;CH DE FLEYRIAT;01"], encoding="utf-8")

    # Expected figures from DuckDB (on the UTF-8 conversion, as DuckDB needs).
    with tempfile.TemporaryDirectory() as tmp:
        conv = {}
        for name in ("small.csv", "previous.csv"):
            dst = os.path.join(tmp, name)
            subprocess.run(["iconv", "-f", "WINDOWS-1252", "-t", "UTF-8", "-o", dst, os.path.join(OUT, name)], check=True)
            conv[name] = dst
        for out_name, extra in (("small.expected.json", []),
                                ("small_iv.expected.json", ["--previous", conv["previous.csv"], "--iv02", "L04AB"])):
            res = subprocess.run([sys.executable, os.path.join(HERE, "oracle.py"), "--csv-utf8", conv["small.csv"]] + extra,
                                 check=True, capture_output=True, text=True)
            with open(os.path.join(OUT, out_name), "w", encoding="utf-8") as f:
                f.write(res.stdout)
    # The shared extract (Parquet) read directly by DuckDB, compact JSON.
    res = subprocess.run([sys.executable, os.path.join(HERE, "oracle.py"), EXTRACT], check=True, capture_output=True, text=True)
    with open(os.path.join(OUT, "extract.expected.json"), "w", encoding="utf-8") as f:
        json.dump(json.loads(res.stdout), f, ensure_ascii=False, separators=(",", ":"))
    print("écrit :", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
