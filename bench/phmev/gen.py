#!/usr/bin/env python3
"""Writes Open PHMEV CSV files exactly as CNAM publishes them (Windows-1252, `;`, decimal
comma, CRLF, CNAM's 31-column header) from the shared Parquet extract.

  gen.py csv PARQUET OUT.csv
      the extract itself, one CSV row per Parquet row (same figures).
  gen.py national PARQUET OUT.csv --rows N [--seed S]
      a national-size file: the extract replicated ceil(N / 50 000) times; replica k
      (k mod 5 ≠ 0) moves every establishment to another valid FINESS number (same
      department, other serial, Luhn key recomputed, Corsican 2A/2B kept: about 3 500
      etb_rgt in all, like the national file) and multiplies the volumes (BOITES, REM, BSE)
      by a per-replica integer factor (1 to 5), so totals stay exact in cents.
"""
import argparse
import codecs
import math
import sys

import pyarrow.parquet as pq

HEADER = ("atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;L_ATC5;CIP13;l_cip13;TOP_GEN;GEN_NUM;age;SEXE;"
          "etb_rgt;categorie_jur;categorie_jur_rgt;code_postal;nom_etb;nom_ville;nom_voie;numero_voie;"
          "raison_sociale_etb;top_etb_age;top_etb_sexe;region_etb;BOITES;REM;BSE").split(";")


def luhn_key(nine_minus_key):
    """The check digit for the first 8 characters (2A → 21, 2B → 22 in the computation)."""
    digits = []
    for i, ch in enumerate(nine_minus_key):
        if i == 1 and ch in "AB":
            digits.append(1 if ch == "A" else 2)
        else:
            digits.append(int(ch))
    total = 0
    # The key is at position 0 from the right; the 8 characters are at positions 1..8.
    for pos_from_right, d in enumerate(reversed(digits), start=1):
        if pos_from_right % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def moved_finess(f, k):
    if k == 0:
        return f
    serial = (int(f[2:8]) + 7919 * k) % 1_000_000
    base = f[:2] + f"{serial:06d}"
    return base + luhn_key(base)


def text(v, name):
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if name in ("REM", "BSE"):
            return f"{v:.2f}".replace(".", ",")
        return str(int(v)) if v == int(v) else repr(v).replace(".", ",")
    if name == "code_postal":
        return f"{int(v):05d}"
    return str(v)


def load(parquet):
    t = pq.read_table(parquet)
    cols = {n: t.column(n).to_pylist() for n in HEADER}
    return [[cols[n][i] for n in HEADER] for i in range(t.num_rows)]


def _c1_bytes(err):
    # The extract was decoded as latin-1 by its converter: its labels hold U+0092 where
    # CNAM's file has the byte 0x92 (’). Write the byte back.
    chunk = err.object[err.start:err.end]
    if all(0x80 <= ord(c) <= 0x9F for c in chunk):
        return chunk.encode("latin-1"), err.end
    return "?" * len(chunk), err.end


codecs.register_error("c1bytes", _c1_bytes)


def encode(s):
    # Windows-1252, as CNAM's file (’ is byte 0x92).
    return s.encode("cp1252", errors="c1bytes")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["csv", "national"])
    p.add_argument("parquet")
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=3_500_000)
    args = p.parse_args()
    rows = load(args.parquet)
    i_etb, i_b = HEADER.index("etb_rgt"), HEADER.index("BOITES")
    # Pre-encoded parts around the varying fields.
    parts = []
    for r in rows:
        t = [text(v, n) for v, n in zip(r, HEADER)]
        before = encode(";".join(t[:i_etb]) + ";")
        middle = encode(";" + ";".join(t[i_etb + 1:i_b]) + ";")
        rem_cents = round(r[HEADER.index("REM")] * 100)
        bse_cents = round(r[HEADER.index("BSE")] * 100)
        parts.append((before, t[i_etb], middle, int(r[i_b]), rem_cents, bse_cents))
    n_total = len(rows) if args.mode == "csv" else args.rows
    replicas = math.ceil(n_total / len(rows))
    written = 0
    with open(args.out, "wb", buffering=1 << 22) as out:
        out.write(encode(";".join(HEADER)) + b"\r\n")
        for k in range(replicas):
            factor = 1 + (k % 5)
            moved = {}
            buf = []
            for before, etb, middle, b, rem, bse in parts:
                if written >= n_total:
                    break
                f = moved.get(etb)
                if f is None:
                    # Five variants of each establishment: about 3 500 etb_rgt, the order
                    # of magnitude of the national file.
                    f = moved[etb] = moved_finess(etb, k % 5)
                rem_k, bse_k = rem * factor, bse * factor
                buf.append(b"".join((before, f.encode(), middle,
                                     str(b * factor).encode(), b";",
                                     f"{rem_k // 100},{rem_k % 100:02d}".encode(), b";",
                                     f"{bse_k // 100},{bse_k % 100:02d}".encode(), b"\r\n")))
                written += 1
            out.write(b"".join(buf))
    print(f"{args.out} : {written} lignes", file=sys.stderr)


if __name__ == "__main__":
    main()
