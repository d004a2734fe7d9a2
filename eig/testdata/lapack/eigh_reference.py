#!/usr/bin/env python3
"""Write eigh.json: numpy.linalg.eigh (LAPACK dsyevd) on matrices.json.

matrices.json is written by `go test ./eig -run TestAgainstLAPACK -args -update`.
Run from this directory with Debian's python3-numpy, one BLAS thread:
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 eigh_reference.py
The residual and orthogonality are computed the way the Go test does
(max-abs entries of A V − V Λ and of VᵀV − I, in float64).
"""
import json
import platform

import numpy as np

try:
    from threadpoolctl import threadpool_info
    blas = ", ".join(f"{d.get('internal_api')} {d.get('version')} ({d.get('architecture')})" for d in threadpool_info())
except Exception:  # threadpoolctl is optional
    blas = "unknown BLAS"

with open("matrices.json") as f:
    mats = json.load(f)["value"]

out = []
for m in mats:
    n = m["N"]
    a = np.array(m["A"], dtype=np.float64).reshape(n, n)
    w, v = np.linalg.eigh(a)
    res = np.abs(a @ v - v * w).max()
    orth = np.abs(v.T @ v - np.eye(n)).max()
    out.append({"Name": m["Name"], "Values": [float(x) for x in w], "Residual": float(res), "Orth": float(orth)})

doc = {
    "produced_by": f"eigh_reference.py: numpy {np.__version__} linalg.eigh (LAPACK dsyevd), {blas}, "
    f"Python {platform.python_version()}, on matrices.json",
    "value": out,
}
with open("eigh.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
