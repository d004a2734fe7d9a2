#!/usr/bin/python3
"""PyTorch + SciPy reference timings for the LJ13 likelihood (float64),
the comparison figures of BenchmarkDivergenceEGNN and BenchmarkNLLLJ13.

  /usr/bin/python3 nll_torch.py [threads]

1. exact divergence of the EGNN field (13 particles, width 64, one layer)
   for a batch of 256 configurations: one forward pass, then the loop of
   39 VJPs with the unit vectors (retain_graph), as flow_matching and
   TorchCFM compute it;
2. NLL of LJ13 test configurations: scipy.integrate.solve_ivp(RK45,
   rtol = atol = 1e-2) of the augmented ODE [v, div v] from s = 1 to 0,
   divergence by 39 VJPs, one configuration at a time. The network has
   random weights, so the NFE differ from Go's; compare seconds per NFE.

The architecture is model/testdata/egnn_torch.py's (ordered edges, as in
Satorras et al.'s code). Written against torch 1.13 and SciPy 1.10 (Debian
bookworm).
"""
import math, os, sys, time
import numpy as np
import torch
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "model", "testdata"))
from egnn_torch import egnn, param_shapes  # noqa: E402

torch.set_default_dtype(torch.float64)


def load_lj13(k):
    for d in (os.environ.get("HIFM_LJ13_DIR", ""), "/work/shared/data/lj13"):
        f = os.path.join(d, "test_split_LJ13-1000.npy")
        if d and os.path.exists(f):
            x = np.load(f).reshape(-1, 39).astype(np.float64)[:k]
            return x - x.reshape(-1, 13, 3).mean(1).repeat(13, 0).reshape(-1, 39)
    rng = np.random.default_rng(1)
    return rng.normal(size=(k, 39))


def main(threads):
    torch.set_num_threads(threads)
    n, h, layers, te = 13, 64, 1, 32
    g = torch.Generator().manual_seed(1)
    P = {name: ((torch.rand(shape, generator=g) * 2 - 1) / math.sqrt(shape[0])) for name, shape in param_shapes(te, h, layers)}
    P["egnn.0.coord.1.weight"] *= 0.001 * math.sqrt(6 / (h + 1)) * math.sqrt(h)

    def field_div(y, s):
        y = y.detach().requires_grad_(True)
        v = egnn(P, y, s, n, h, layers, te)
        div = torch.zeros(y.shape[0])
        for i in range(3 * n):
            e = torch.zeros_like(v)
            e[:, i] = 1
            (gy,) = torch.autograd.grad(v, y, e, retain_graph=i < 3 * n - 1)
            div += gy[:, i]
        return v.detach(), div

    x = torch.tensor(load_lj13(256))
    s = torch.rand(256, 1, generator=g)
    field_div(x[:8], s[:8])
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        field_div(x, s)
        best = min(best, time.perf_counter() - t0)
    print("torch %s, %d thread(s): exact divergence (39 VJPs), batch 256: %.3f s" % (torch.__version__, threads, best))

    xs = load_lj13(20)
    nfe, t0 = 0, time.perf_counter()
    for x1 in xs:
        def rhs(t, z):
            y = torch.tensor(z[:39])[None, :]
            v, d = field_div(y, torch.full((1, 1), t))
            return np.concatenate([v[0].numpy(), d.numpy()])
        sol = solve_ivp(rhs, (1.0, 0.0), np.concatenate([x1, [0.0]]), method="RK45", rtol=1e-2, atol=1e-2)
        nfe += sol.nfev
    el = time.perf_counter() - t0
    print("torch + scipy RK45 (rtol = atol = 1e-2), %d thread(s): NLL %.4f s per sample, mean NFE %.1f, %.2f ms per NFE"
          % (threads, el / len(xs), nfe / len(xs), 1e3 * el / nfe))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
