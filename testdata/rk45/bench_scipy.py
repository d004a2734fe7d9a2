#!/usr/bin/python3
"""Per-step cost of SciPy's RK45 on the benchmark problems of rk45/bench_test.go.

Run with Debian's interpreter: /usr/bin/python3 testdata/rk45/bench_scipy.py

Problems (as BenchmarkStep39 / BenchmarkStepOverhead39): y' = S y with
S = (A - A^T)/2 for the golden 39x39 matrix A ("linear39"), and 19
rotations with omega in [0.3, 1.3] plus one constant; rtol = atol = 1e-6,
stepping an RK45 object towards t = 1e9. Prints us per accepted step, the
right-hand side's share (nfev/step x one evaluation timed alone) and the
difference, SciPy's own overhead per step. Best of 5 repetitions, in process
CPU time (steadier than wall time on a loaded machine; the Go benchmarks
report cpu-ns/step the same way).
"""
import json
import os
import time

# One BLAS thread: idle OpenBLAS threads spin and would count as CPU time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.integrate import RK45  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
g = json.load(open(os.path.join(HERE, "scipy_rk45.json")))["value"]
A = np.array(g["matrices"]["linear39"])
S = (A - A.T) / 2
y0 = np.array([c for c in g["cases"] if c["problem"] == "linear39"][0]["y0"])
n = len(y0)
om = np.array([0.3 + i / n for i in range(n)])


def lin(t, y):
    return S @ y


def rot(t, y):
    d = np.empty(n)
    d[0:n - 1:2] = om[0:n - 1:2] * y[1:n:2]
    d[1:n:2] = -om[0:n - 1:2] * y[0:n - 1:2]
    d[n - 1] = 0.0
    return d


def bench(f, steps=3000, reps=5):
    best = None
    for _ in range(reps):
        s = RK45(f, 0.0, y0, 1e9, rtol=1e-6, atol=1e-6)
        for _ in range(100):
            s.step()
        nfev0 = s.nfev
        t0 = time.process_time()
        for _ in range(steps):
            s.step()
        dt = (time.process_time() - t0) / steps
        nfe = (s.nfev - nfev0) / steps
        y = s.y.copy()
        t0 = time.process_time()
        for _ in range(steps):
            f(0.0, y)
        rhs = (time.process_time() - t0) / steps
        r = (dt, nfe, rhs, dt - nfe * rhs)
        if best is None or r[0] < best[0]:
            best = r
    return best


print("SciPy %s, NumPy %s" % (scipy.__version__, np.__version__))
for name, f in (("S@y (39-dim linear)", lin), ("rotations (cheap RHS)", rot)):
    dt, nfe, rhs, over = bench(f)
    print("%-24s %8.1f us/step  nfe/step %.2f  rhs %6.2f us/eval  overhead %7.1f us/step"
          % (name, dt * 1e6, nfe, rhs * 1e6, over * 1e6))
