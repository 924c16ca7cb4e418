"""Reference values of 2F1(A, B; A+1; z) for z in [0.9, 1), the shape the Pareto/NBD
likelihood evaluates (A = r+s+x, B = s+1 or r+x), at 30 digits with mpmath.

Run: python3 tools/reference/make_pareto_hyp2f1.py > tests/data/hyp2f1_pareto.json
"""
import itertools
import json

import mpmath

mpmath.mp.dps = 40
points = []
for r, s, x in itertools.product([0.3, 0.55, 1.7], [0.3, 0.98, 1.02, 2.5], [0, 1, 7, 40]):
    a = r + s + x
    for b, which in [(s + 1.0, "alpha>=beta"), (r + x, "alpha<beta")]:
        for z in [0.9, 0.95, 0.99, 0.999, 0.99999]:
            if (x + int(z * 1000)) % 3:  # a spread subset keeps the file small
                continue
            value = mpmath.hyp2f1(a, b, a + 1, z)
            points.append({"a": a, "b": b, "c": a + 1, "z": z, "case": which,
                           "mpmath_30": mpmath.nstr(value, 30)})
print(json.dumps({"generated_by": "tools/reference/make_pareto_hyp2f1.py",
                  "mpmath": mpmath.__version__, "points": points}, indent=1))
