#!/usr/bin/env python3
"""Independent numpy check of `hifm crosscheck energy -energy lj13`.

E(y) = sum_{i<j} [(1/r_ij)^12 - 2 (1/r_ij)^6] + 1/2 sum_i ||y_i - ybar||^2
(docs/MATH.md §4.2: unordered pairs, eps_LJ = r_m = 1, oscillator weight 1).

The gradient is written out by hand (analytic), the Hessian is the central
difference of that gradient (step h = 1e-5): nothing is shared with the Go
code. Agreement is checked to 1e-6 relative: |E - E_np| <= 1e-6 max(1, |E_np|)
per sample, and for grad and hessian max|a - a_np| <= 1e-6 max(1, max|a_np|)
per sample (entry-wise relative error is meaningless for entries near 0).

Usage:
  energy_numpy.py --hifm ./hifm [--b 16 --seed 1]   # generate, run hifm, check
  energy_numpy.py --in y.npy --out out.npz          # check an existing run
Prints one line per array with the largest relative deviation and exits 1 on
disagreement.
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np

RTOL = 1e-6


def lj_energy(y):
    x = y.reshape(-1, 3)
    p = len(x)
    e = 0.0
    for i in range(p):
        for j in range(i + 1, p):
            r2 = np.sum((x[i] - x[j]) ** 2)
            inv6 = 1.0 / r2 ** 3
            e += inv6 * inv6 - 2.0 * inv6
    c = x - x.mean(axis=0)
    return e + 0.5 * np.sum(c * c)


def lj_grad(y):
    x = y.reshape(-1, 3)
    p = len(x)
    g = np.zeros_like(x)
    for i in range(p):
        for j in range(i + 1, p):
            d = x[i] - x[j]
            r2 = d @ d
            # d/dr2 of r2^-6 - 2 r2^-3 = -6 r2^-7 + 6 r2^-4; d r2 / d x_i = 2 d
            f = (-6.0 / r2 ** 7 + 6.0 / r2 ** 4) * 2.0 * d
            g[i] += f
            g[j] -= f
    g += x - x.mean(axis=0)
    return g.reshape(-1)


def cd_hessian(y, h=1e-5):
    n = len(y)
    H = np.zeros((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        H[:, k] = (lj_grad(y + e) - lj_grad(y - e)) / (2 * h)
    return 0.5 * (H + H.T)


def random_lj13(rng, b):
    """Random LJ13 configurations: 13 points in a box of side 2.6, every
    pair at least 0.85 apart (rejection), centre of mass removed."""
    out = []
    while len(out) < b:
        x = []
        while len(x) < 13:
            c = rng.uniform(0, 2.6, 3)
            if all(np.linalg.norm(c - o) >= 0.85 for o in x):
                x.append(c)
        x = np.array(x)
        out.append((x - x.mean(axis=0)).reshape(-1))
    return np.array(out)


def check(y, out):
    worst = {}
    ok = True
    for k in range(len(y)):
        e, g, H = lj_energy(y[k]), lj_grad(y[k]), cd_hessian(y[k])
        for name, want, got in (("energy", e, out["energy"][k]), ("grad", g, out["grad"][k]),
                                ("hessian", H, out["hessian"][k])):
            scale = max(1.0, np.max(np.abs(want)))
            rel = np.max(np.abs(np.asarray(got) - want)) / scale
            worst[name] = max(worst.get(name, 0.0), rel)
            if not rel <= RTOL:
                ok = False
                print(f"sample {k}: {name} differs by {rel:.3g} relative (> {RTOL})")
    for name in ("energy", "grad", "hessian"):
        print(f"{name}: max relative deviation {worst[name]:.3g} over {len(y)} samples (tolerance {RTOL})")
    sym = np.max(np.abs(out["hessian"] - np.transpose(out["hessian"], (0, 2, 1))))
    print(f"hessian asymmetry max|H - H^T| = {sym:.3g}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hifm", help="hifm binary: generate, run and check")
    ap.add_argument("--in", dest="inp", help="y.npy given to hifm (check mode)")
    ap.add_argument("--out", help="out.npz written by hifm (check mode)")
    ap.add_argument("--b", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(f"numpy {np.__version__}")
    if a.hifm:
        d = tempfile.mkdtemp()
        y = random_lj13(np.random.default_rng(a.seed), a.b)
        a.inp, a.out = os.path.join(d, "y.npy"), os.path.join(d, "out.npz")
        np.save(a.inp, y)
        subprocess.run([a.hifm, "crosscheck", "energy", "-energy", "lj13", "-in", a.inp, "-out", a.out], check=True)
    elif not (a.inp and a.out):
        ap.error("give --hifm, or --in and --out")
    y = np.load(a.inp).astype(np.float64)  # hifm reads any dtype as float64
    if y.ndim != 2 or y.shape[1] != 39:
        sys.exit(f"{a.inp}: shape {y.shape}, want (b, 39)")
    ok = check(y, np.load(a.out))
    print("OK" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
