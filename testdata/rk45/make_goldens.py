#!/usr/bin/python3
"""Golden files for package rk45 from SciPy's solve_ivp(method="RK45").

Run with Debian's interpreter (it has numpy and scipy; python3-scipy):

    /usr/bin/python3 testdata/rk45/make_goldens.py    # from the repo root

It writes testdata/rk45/scipy_rk45.json in the tensor/golden format
{"produced_by": ..., "value": {...}}. Each case records the accepted times
(sol.t), the states there, nfev, status/message, and the dense output at a
few points. The matrices A of the linear problems are stored ("matrices"), so Go
needs no RNG.

The right-hand sides are written with scalar operations in an order the Go
tests repeat exactly; linear systems use A @ y. The error estimate of RK45
cancels almost completely, so at rtol = 1e-10 a one-ulp difference anywhere
moves later steps by ~1e-9 relative: rk45 therefore copies the summation
orders of NumPy 1.24 / OpenBLAS 0.3.21 on this AVX-512 machine (np.dot,
np.linalg.norm, A @ y; see rk45/numpy.go) and glibc's pow, and
"kernels" records samples of those so that Go can check them bit for bit.
(SciPy itself run on a machine whose BLAS sums in another order gives times
that differ from these files at ~1e-9 for rtol = 1e-10.)

select_initial_step across SciPy versions: SciPy <= 1.10 (this Debian
version, 1.10.1) probes f at t0 + h0 and returns min(100 h0, h1) without
looking at t_bound or max_step. SciPy PR #17348 (released after 1.10) clamps
h0 to |t_bound - t0| before the probe and returns
min(100 h0, h1, |t_bound - t0|, max_step); with t0 == t_bound it returns 0
without the probe (one evaluation less). rk45.Options.InitialStep selects
either rule; the default is the 1.10 rule recorded here. The two differ only
when the selected step exceeds the interval or max_step, or when t0 == t1.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy.integrate import solve_ivp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scipy_rk45.json")


def rotation_matrix(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def problems():
    """name -> dict(f, t0, t1, y0, A or None, closed form note)."""
    probs = []

    def expdecay(t, y):
        return np.array([-0.5 * y[0]])
    probs.append(dict(name="expdecay", f=expdecay, t0=0.0, t1=10.0, y0=[2.0],
                      note="y' = -0.5 y, y = 2 exp(-t/2)"))

    def harmonic(t, y):
        return np.array([y[1], -4.0 * y[0]])
    probs.append(dict(name="harmonic", f=harmonic, t0=0.0, t1=10.0, y0=[1.0, 0.0],
                      note="y0' = y1, y1' = -4 y0, y0 = cos 2t"))

    rng = np.random.default_rng(20240404)
    Q = rotation_matrix(4, rng)
    A4 = Q @ np.diag([-0.1, -1.0, -10.0, -100.0]) @ Q.T
    A4 = 0.5 * (A4 + A4.T)
    probs.append(dict(name="stiffish", A=A4, t0=0.0, t1=5.0, y0=[1.0, -0.5, 0.25, 2.0],
                      note="y' = A y, A symmetric with eigenvalues -0.1, -1, -10, -100"))

    def kepler(t, y):
        x, yy, vx, vy = y
        r2 = x * x + yy * yy
        r3 = r2 * math.sqrt(r2)
        return np.array([vx, vy, -x / r3, -yy / r3])
    e = 0.5
    probs.append(dict(name="kepler", f=kepler, t0=0.0, t1=2 * math.pi,
                      y0=[1 - e, 0.0, 0.0, math.sqrt((1 + e) / (1 - e))],
                      note="Kepler orbit, eccentricity 0.5, one period 2 pi"))

    n = 39
    G = rng.standard_normal((n, n))
    A39 = G / math.sqrt(n) - 1.2 * np.eye(n)
    probs.append(dict(name="linear39", A=A39, t0=0.0, t1=3.0,
                      y0=list(rng.standard_normal(n)),
                      note="y' = A y, A = G/sqrt(39) - 1.2 I, G standard normal"))

    def rotation_backward(t, y):
        return np.array([-t * y[1], t * y[0]])
    probs.append(dict(name="backward", f=rotation_backward, t0=3.0, t1=0.0, y0=[1.0, 0.0],
                      note="y0' = -t y1, y1' = t y0 from t = 3 back to 0: rotation by (t^2 - 9)/2"))
    return probs


def run_case(p, rtol, atol, extra=None, t1=None, n_dense=9):
    extra = dict(extra or {})
    t0 = p["t0"]
    t1 = p["t1"] if t1 is None else t1
    if p.get("A") is not None:
        A = p["A"]
        f = lambda t, y: A @ y
    else:
        f = p["f"]
    sol = solve_ivp(f, (t0, t1), np.array(p["y0"], dtype=float), method="RK45",
                    rtol=rtol, atol=extra.pop("atol_vec", atol), dense_output=True, **extra)
    tq = np.linspace(t0, t1, n_dense) if t0 != t1 else np.array([t0])
    nsteps = len(sol.t) - 1
    case = dict(
        problem=p["name"], note=p["note"], rtol=rtol, atol=atol,
        t0=t0, t1=t1, y0=[float(v) for v in p["y0"]],
        status=int(sol.status), message=sol.message,
        nfev=int(sol.nfev), nsteps=nsteps,
        t=[float(v) for v in sol.t],
        y=[[float(v) for v in row] for row in sol.y.T],
    )
    if sol.status == 0:
        case["dense_t"] = [float(v) for v in tq]
        case["dense_y"] = [[float(v) for v in sol.sol(tv)] for tv in tq]
    return case


def kernel_samples():
    """Bit patterns of NumPy's dot, A @ y and float pow that rk45 copies."""
    rng = np.random.default_rng(77)
    dots = []
    for n in range(1, 41):
        x = rng.standard_normal(n)
        dots.append(dict(x=[float(v) for v in x], xx=float(x.dot(x)),
                         norm=float(np.linalg.norm(x))))
    matvecs = []
    for m, n in ((1, 3), (2, 5), (3, 3), (4, 4), (5, 7), (7, 7), (6, 9), (39, 39)):
        A = rng.standard_normal((m, n))
        y = rng.standard_normal(n)
        matvecs.append(dict(m=m, n=n, a=[float(v) for v in A.ravel()],
                            y=[float(v) for v in y], out=[float(v) for v in A @ y]))
    xs = np.exp(rng.uniform(math.log(1e-14), math.log(50.0), 600))
    pows = [[float(x), float(x) ** -0.2, float(x) ** 0.2] for x in xs]
    return dict(dot=dots, matvec=matvecs, pow=pows)


def main():
    cases = []
    probs = problems()
    for p in probs:
        for tol in (1e-2, 1e-6, 1e-10):
            cases.append(run_case(p, tol, tol))
    byname = {p["name"]: p for p in probs}

    # Options: per-component atol, max_step and first_step.
    c = run_case(byname["harmonic"], 1e-6, 0.0,
                 extra=dict(atol_vec=[1e-6, 1e-3], max_step=0.5, first_step=1e-3))
    c["problem"] = "harmonic"
    c["atol_vec"] = [1e-6, 1e-3]
    c["max_step"] = 0.5
    c["first_step"] = 1e-3
    cases.append(c)

    # No interval: t0 == t1 (1.10 still evaluates the probe: nfev = 2).
    cases.append(run_case(byname["expdecay"], 1e-6, 1e-6, t1=0.0))

    # Failure: y' = y^2, y(0) = 1 blows up at t = 1.
    def blowup(t, y):
        return np.array([y[0] * y[0]])
    bp = dict(name="blowup", f=blowup, t0=0.0, t1=2.0, y0=[1.0],
              note="y' = y^2, y(0) = 1: blow-up at t = 1, SciPy fails")
    for tol in (1e-2, 1e-6):
        cases.append(run_case(bp, tol, tol))

    produced = ("testdata/rk45/make_goldens.py: scipy.integrate.solve_ivp(method='RK45', "
                "dense_output=True) with SciPy %s, NumPy %s, Python %s (Debian python3-scipy)"
                % (scipy.__version__, np.__version__, sys.version.split()[0]))
    matrices = {p["name"]: [[float(v) for v in row] for row in p["A"]]
                for p in probs if p.get("A") is not None}
    value = dict(scipy_version=scipy.__version__, numpy_version=np.__version__,
                 matrices=matrices, cases=cases, kernels=kernel_samples())
    tmp = OUT + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(dict(produced_by=produced, value=value), fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    os.replace(tmp, OUT)
    for c in cases:
        print("%-10s rtol=%-6g nfev=%-5d nsteps=%-4d status=%d %s" % (
            c["problem"], c["rtol"], c["nfev"], c["nsteps"], c["status"],
            "" if c["status"] == 0 else c["message"]))


if __name__ == "__main__":
    main()
