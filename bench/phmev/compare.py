#!/usr/bin/env python3
"""compare.py OURS.json ORACLE.json: field-by-field comparison; exit 1 on any difference."""
import json
import sys

ours = {e["finess"]: e for e in json.load(open(sys.argv[1], encoding="utf-8"))}
ref = {e["finess"]: e for e in json.load(open(sys.argv[2], encoding="utf-8"))}
diffs = 0
if set(ours) != set(ref):
    print("établissements différents :", sorted(set(ours) ^ set(ref))[:10])
    diffs += 1
for f in sorted(set(ours) & set(ref)):
    a, b = ours[f], ref[f]
    for k in b:
        if a.get(k) != b[k]:
            diffs += 1
            if diffs < 20:
                print(f, k, a.get(k), "≠", b[k])
print(f"{len(ref)} établissements comparés, {diffs} différence(s)")
sys.exit(1 if diffs else 0)
