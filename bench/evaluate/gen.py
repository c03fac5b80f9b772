#!/usr/bin/env python3
"""Writes a national CAQES campaign for `caqes evaluate`: etablissements.csv, valeurs.csv,
cibles.csv (and sites.csv for the multi-site variant), deterministic for a given seed.

  gen.py OUT_DIR [--establishments 3000] [--years 2018-2021] [--seed 9] [--sites 0.1]
         [--concerned-only]
         [--referentiel referentiels/occitanie-2018.toml]

- establishments: valid FINESS numbers (Luhn key), categories drawn with national-like weights
  (MCO public and private first, dialyse and HAD last), AM revenue in euros;
- valeurs.csv: every year of --years, one row per establishment and indicator (only those the
  category makes concerned with --concerned-only), each row present with the probability
  that gives ~406 000 rows for 3 000 establishments over 4 years (the issue's national size,
  36 indicators × 94 %); a value given for an indicator NC/NM by category is ignored by the
  engine with a warning, as in the files measured in issue 9;
  proportions as numerator/denominator (0 ≤ n ≤ d), growth rates as amounts N / N−1, II-04
  as a ratio of two rates, words for yes/no, document and tri-state indicators; no NC or NM
  declarations (the category gives NM; NC needs a motive);
- cibles.csv: the numeric indicators after the état des lieux year, ~203 000 rows for the
  national size;
- with --sites F: a fraction F of the establishments are legal entities of 2 to 5 sites,
  listed in sites.csv; their values are given per site (numerator and denominator) and, for
  indicators compared year over year (II-04), as the year's components (DDJ; patient-days).

The files are UTF-8, `;`-separated, with a header, as docs/cli.md describes.
"""
import argparse
import os
import random
import tomllib

CATEGORY_WEIGHTS = [
    ("MCO_PUBLIC_ESPIC", 22), ("MCO_PRIVE", 20), ("SSR_PUBLIC_ESPIC", 14), ("SSR_PRIVE", 14),
    ("PSY_PUBLIC_ESPIC", 9), ("PSY_PRIVE", 6), ("HAD", 6), ("HAD_SANS_PUI", 3), ("DIALYSE", 6),
]
VALUE_ROWS_PER_3000_X_4 = 406_000
TARGET_ROWS_PER_3000 = 203_000


def luhn_key(first8):
    total = 0
    for pos_from_right, ch in enumerate(reversed(first8), start=1):
        d = int(ch)
        if pos_from_right % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def finess(serial, department):
    first8 = f"{department:02d}{serial:06d}"
    return first8 + luhn_key(first8)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--establishments", type=int, default=3000)
    p.add_argument("--years", default="2018-2021")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--sites", type=float, default=0.0)
    p.add_argument("--concerned-only", action="store_true")
    p.add_argument("--referentiel", default=os.path.join(here, "..", "..", "referentiels", "occitanie-2018.toml"))
    a = p.parse_args()
    rng = random.Random(a.seed)
    first, last = (int(y) for y in a.years.split("-"))
    years = list(range(first, last + 1))
    with open(a.referentiel, "rb") as f:
        grid = tomllib.load(f)
    baseline = grid["annee_etat_des_lieux"]
    indicators = grid["indicateurs"]
    os.makedirs(a.out, exist_ok=True)

    cats = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    ets = []
    serial = 100
    for i in range(a.establishments):
        serial += rng.randint(1, 40)
        ets.append((finess(serial, 1 + i % 95), rng.choices(cats, weights)[0]))
    concerned = {c: [ind for ind in indicators
                     if not a.concerned_only or ind["applicabilite"].get(c) == "concerne"] for c in cats}
    cells = sum(len(concerned[c]) for _, c in ets) * len(years)
    scale = a.establishments / 3000 * len(years) / 4
    presence = min(1.0, VALUE_ROWS_PER_3000_X_4 * scale / cells)
    numeric = lambda ind: ind["type"] in ("proportion", "evolution", "ratio")
    target_cells = sum(1 for _, c in ets for ind in concerned[c] if numeric(ind)) * sum(1 for y in years if y > baseline)
    target_presence = min(1.0, TARGET_ROWS_PER_3000 * a.establishments / 3000 / max(target_cells, 1))

    # Sites of the multi-site entities (other serial range, same department).
    sites = {}
    if a.sites > 0:
        site_serial = 700_000
        for f, _ in ets:
            if rng.random() < a.sites:
                n = rng.randint(2, 5)
                lst = []
                for _ in range(n):
                    site_serial += rng.randint(1, 20)
                    lst.append(finess(site_serial, int(f[:2])))
                sites[f] = lst
        with open(os.path.join(a.out, "sites.csv"), "w", encoding="utf-8") as out:
            out.write("finess_geographique;finess_juridique\n")
            for f, lst in sites.items():
                for s in lst:
                    out.write(f"{s};{f}\n")

    with open(os.path.join(a.out, "etablissements.csv"), "w", encoding="utf-8") as out:
        out.write("finess;raison_sociale;categorie;region;produits_am\n")
        for k, (f, c) in enumerate(ets):
            out.write(f"{f};Établissement {k};{c};R{k % 13:02d};{rng.randint(2_000_000, 900_000_000)}\n")

    def word(ind):
        if ind["type"] == "oui_en_cours_non":
            return rng.choice(["OUI", "OUI", "EN_COURS", "NON"])
        return rng.choice(["OUI", "OUI", "OUI", "NON"])

    def parts(ind, components):
        t = ind["type"]
        if t == "proportion":
            d = rng.randint(30, 5000)
            return rng.randint(0, d), d
        if t == "evolution":
            d = rng.randint(100_000, 50_000_000)
            return round(d * rng.uniform(0.9, 1.12)), d
        # ratio: II-04, DDJ/1000 JH N over N−1, or the year's DDJ and patient-days per site
        if components:
            jh = rng.randint(1_000, 200_000)
            return round(jh * rng.uniform(0.2, 0.9)), jh
        prev = rng.randint(200, 900)
        return round(prev * rng.uniform(0.8, 1.15)), prev

    rows = 0
    with open(os.path.join(a.out, "valeurs.csv"), "w", encoding="utf-8") as out:
        out.write("finess;indicateur;annee;numerateur;denominateur;valeur\n")
        for f, c in ets:
            units = sites.get(f, [f])
            for y in years:
                for ind in concerned[c]:
                    if rng.random() >= presence:
                        continue
                    for u in units:
                        if numeric(ind):
                            n, d = parts(ind, bool(sites))
                            out.write(f"{u};{ind['code']};{y};{n};{d};\n")
                        else:
                            out.write(f"{u};{ind['code']};{y};;;{word(ind)}\n")
                        rows += 1
    targets = 0
    with open(os.path.join(a.out, "cibles.csv"), "w", encoding="utf-8") as out:
        out.write("finess;indicateur;annee;cible\n")
        for f, c in ets:
            for y in years:
                if y <= baseline:
                    continue
                for ind in concerned[c]:
                    if not numeric(ind) or rng.random() >= target_presence:
                        continue
                    t = ind["type"]
                    cible = {"proportion": rng.randint(20, 90), "evolution": rng.choice(["4", "4,1", "5,8", "0"])}.get(t, "1")
                    out.write(f"{f};{ind['code']};{y};{cible}\n")
                    targets += 1
    print(f"{len(ets)} établissements, {sum(len(v) for v in sites.values())} sites, "
          f"{rows} lignes de valeurs, {targets} cibles, années {first}-{last}")


if __name__ == "__main__":
    main()
