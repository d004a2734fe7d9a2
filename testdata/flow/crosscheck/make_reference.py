#!/usr/bin/python3
"""Independent NumPy reference for `hifm crosscheck path`.

Re-implements docs/CROSSCHECK.md (HIFM-MATH §1.1, §2-4) from the document
alone, with numpy.linalg.eigh instead of the Go Jacobi solver, and the
formation-energy Hessian as the closed form 1/2 R^T R (HIFM-MATH §4.1).
For every case it writes <case>_cfg.json, <case>_in.npz and
<case>_expected.npz; cmd/hifm/cmd_path_test.go runs the CLI on the inputs and
compares with the expected outputs.

Run:  /usr/bin/python3 testdata/flow/crosscheck/make_reference.py
(written with NumPy 1.24.2, Debian bookworm python3-numpy).
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT = {"path": "hifm", "sigma_min": 0.001, "scheme": "finite", "alpha": 1.0,
           "priority": "interpolant", "epsilon": 0.01, "horizon": 1.0,
           "hyperbolize": False, "null_tol": 1e-8, "condition": 0,
           "stationary": "isotropic", "sigma": 0.1, "sigma0": 1.0, "delta": 1e-5,
           "null_space": "invariant"}


def formation_hessian(y, particles, dim=3):
    """1/2 R^T R, R's row for edge (i,j): 2(y_i-y_j) in block i, -2(y_i-y_j) in block j."""
    p = y.reshape(particles, dim)
    rows = []
    for i in range(particles):
        for j in range(i + 1, particles):
            r = np.zeros(particles * dim)
            d = p[i] - p[j]
            r[i * dim:(i + 1) * dim] = 2 * d
            r[j * dim:(j + 1) * dim] = -2 * d
            rows.append(r)
    R = np.array(rows)
    return 0.5 * R.T @ R


def spectrum(H, y1, c):
    lam, Q = np.linalg.eigh(H)
    lmax = lam[-1]
    tol = c["null_tol"] * lmax
    assert lam[0] >= -tol
    null = lam <= tol
    lam = np.where(null, 0.0, lam)
    lmin = lam[~null].min()
    if c["hyperbolize"]:
        lam = np.where(null, lmin, lam)
        null = np.zeros_like(null)
    K = c["condition"]
    if K > 0 and lmax / lmin > K:
        p = np.log(K) / np.log(lmax / lmin)
        lam = np.where(null, 0.0, lmin * (lam / lmin) ** p)
    eps, T, alpha = c["epsilon"], c["horizon"], c["alpha"]
    if c["priority"] == "interpolant":
        kappa = np.log(1 / eps) / T
        scale = kappa / alpha / lmin
    elif c["priority"] == "data":
        scale = np.log(np.linalg.norm(y1) / eps) / T / lmin
        kappa = alpha * np.log(1 / eps) / T
    else:
        scale = 1.0
        kappa = alpha * lmin
    lam = lam * scale
    lmin = lmin * scale
    s2 = c["sigma"] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        if c["stationary"] == "isotropic":
            vinf = np.where(null, 0.0, s2)
        else:
            vinf = np.where(null, 0.0, s2 * lmin / lam)
    r = np.where(null, 0.0, lam / kappa)
    return lam, Q, r, vinf, kappa, null


def hifm_draw(y0, y1, s, H, c):
    lam, Q, r, vinf, kappa, null = spectrum(H, y1, c)
    c0 = c["sigma0"] ** 2
    w = Q.T @ y0
    m0 = -(Q.T @ y1)
    p = (1 - s) ** r
    m = p * m0
    dm = -r * (1 - s) ** (r - 1) * m0
    v = p ** 2 * c0 + vinf * (1 - p ** 2)
    dv = -2 * r * (1 - s) ** (2 * r - 1) * (c0 - vinf)
    # A kept null space (r = 0): "invariant" keeps the base value and
    # variance (the formulas above give m = m0, v = c0); "conjugate" holds the
    # coordinate at the target (m = 0) with variance sigma^2; "projected" at
    # the target with variance 0. The field is 0 there in every reading.
    if c["null_space"] == "conjugate":
        m = np.where(null, 0.0, m)
        v = np.where(null, c["sigma"] ** 2, v)
    elif c["null_space"] == "projected":
        m = np.where(null, 0.0, m)
        v = np.where(null, 0.0, v)
    g = np.sqrt(v / c0) * w
    ys = y1 + Q @ (m + g)
    with np.errstate(divide="ignore", invalid="ignore"):
        us = Q @ (dm + np.where(dv == 0, 0.0, dv / (2 * v)) * g)
    t = -np.log1p(-s) / kappa
    if c["scheme"] == "infinite":
        us = us * kappa * (1 - s)
    return ys, us, lam, kappa, t


def make_case(name, cfg, b, particles, seed):
    c = dict(DEFAULT)
    c.update(cfg)
    rng = np.random.default_rng(seed)
    n = 3 * particles
    y0 = rng.standard_normal((b, n))
    y1 = rng.standard_normal((b, n))
    for a in (y0, y1):  # zero centre of mass
        a -= np.repeat(a.reshape(b, particles, 3).mean(axis=1, keepdims=True), particles, axis=1).reshape(b, n)
    smax = 1.0 if c["path"] == "ot" else 1 - c["delta"]
    s = rng.uniform(0, smax, b)
    inp = {"y0": y0, "y1": y1, "s": s}
    out = {}
    if c["path"] == "ot":
        sig = 1 - (1 - c["sigma_min"]) * s[:, None]
        out["ys"] = s[:, None] * y1 + sig * y0
        out["us"] = y1 - (1 - c["sigma_min"]) * y0
    else:
        H = np.stack([formation_hessian(y1[i], particles) for i in range(b)])
        inp["hessian"] = H
        res = [hifm_draw(y0[i], y1[i], s[i], H[i], c) for i in range(b)]
        out["ys"] = np.stack([x[0] for x in res])
        out["us"] = np.stack([x[1] for x in res])
        out["eigenvalues"] = np.stack([x[2] for x in res])
        out["kappa"] = np.array([x[3] for x in res])
        if c["scheme"] == "infinite":
            out["t"] = np.array([x[4] for x in res])
    with open(os.path.join(HERE, name + "_cfg.json"), "w") as f:
        json.dump(cfg, f)
        f.write("\n")
    np.savez(os.path.join(HERE, name + "_in.npz"), **inp)
    np.savez(os.path.join(HERE, name + "_expected.npz"), **out)


make_case("ot", {"path": "ot", "sigma_min": 0.01, "sigma0": 1.0}, 4, 4, 1)
make_case("hifm_default", {}, 4, 4, 2)
make_case("hifm_alpha1.5_data_aniso", {"alpha": 1.5, "priority": "data", "stationary": "anisotropic", "sigma": 0.2}, 4, 5, 3)
make_case("hifm_hyperbolize_K", {"hyperbolize": True, "condition": 20, "priority": "none", "alpha": 0.5, "sigma0": 0.7}, 4, 4, 4)
make_case("hifm_infinite_lj13size", {"scheme": "infinite", "delta": 1e-3}, 2, 13, 5)
make_case("hifm_null_conjugate", {"null_space": "conjugate", "sigma": 0.2, "sigma0": 0.8}, 4, 4, 6)
make_case("hifm_null_projected", {"null_space": "projected", "stationary": "anisotropic"}, 2, 13, 7)
