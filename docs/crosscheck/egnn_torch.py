#!/usr/bin/env python3
"""PyTorch (float64) re-implementation of hifm's EGNN, checked against
`hifm crosscheck model` (the MLP and the UNet too, from the same page).

The network is rebuilt from docs/CROSSCHECK.md alone ("The EGNN"): nothing
is imported from hifm; the weights come from params.npz, written by
`hifm crosscheck model -init` (or any checkpoint's params.npz), and the
network config from params.npz.json (key "net") or the checkpoint's
config.json.

It evaluates v = v_theta(y, s), the exact divergence tr dv/dy (n autograd
sweeps), and, with the cotangent c of the input, the gradients of
sum(c * v) with respect to y and every parameter, and asserts agreement
with hifm's out.npz to TOL = 1e-10: for every array a against hifm's b,
max|a - b| <= TOL * max|b| (relative to the array's largest entry:
entry-wise relative error is meaningless for entries near 0). A parameter
gradient that is 0 in exact arithmetic (a bias followed by a GroupNorm with
one channel per group) is rounding noise on both sides; it passes when
max|a - b| <= TOL * FLOOR * (largest parameter-gradient entry), FLOOR =
1e-4, and its line says so.

Usage:
  egnn_torch.py --hifm ./hifm [--seed 3 --b 4]      # init, run hifm, check
  egnn_torch.py --params DIR/params.npz --in x.npz --out out.npz   # check a run
  egnn_torch.py --check P1 IN1 OUT1 --check P2 IN2 OUT2 ...        # check several
Exits 1 on disagreement.
"""
import argparse, json, math, os, subprocess, sys, tempfile
import numpy as np
import torch

TOL = 1e-10
FLOOR = 1e-4
torch.set_default_dtype(torch.float64)


def act(name, x):
    if name == "softplus":
        # ln(1 + e^x) without overflow (torch's softplus switches to x above 20)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
    if name == "silu":
        return x * torch.sigmoid(x)
    raise ValueError(name)


def time_embed(s, cfg):
    """[sin(w s), cos(w s)], w_k = time_scale * time_max_period^(-k/half)."""
    half = cfg["time_embed"] // 2
    k = torch.arange(half, dtype=torch.float64)
    w = cfg["time_scale"] * torch.exp(-math.log(cfg["time_max_period"]) * k / half)
    arg = s[:, None] * w[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


def egnn(P, cfg, y, s):
    """v_theta(y, s) for y (B, 3N), s (B,); P maps parameter names to tensors.
    Dense layers are x @ W + b with W of shape (in, out)."""
    a = lambda x: act(cfg["activation"], x)
    N, H, L = cfg["particles"], cfg["hidden"], cfg["layers"]
    B = y.shape[0]
    x0 = y.reshape(B, N, 3)
    h = time_embed(s, cfg) @ P["egnn.embed.weight"] + P["egnn.embed.bias"]  # (B, H)
    h = h[:, None, :].expand(B, N, H)
    mask = (1 - torch.eye(N))[None, :, :, None]  # edges i != j
    x = x0
    for l in range(L):
        p = lambda k: P[f"egnn.{l}.{k}"]
        diff = x[:, :, None, :] - x[:, None, :, :]  # (B, N, N, 3): x_i - x_j
        d2 = (diff * diff).sum(-1, keepdim=True)
        e_in = torch.cat([h[:, :, None, :].expand(B, N, N, H), h[:, None, :, :].expand(B, N, N, H),
                          d2, s[:, None, None, None].expand(B, N, N, 1)], dim=-1)
        m = a(a(e_in @ p("edge.0.weight") + p("edge.0.bias")) @ p("edge.1.weight") + p("edge.1.bias"))
        phi = a(m @ p("coord.0.weight") + p("coord.0.bias")) @ p("coord.1.weight")  # (B, N, N, 1)
        x = x + (diff * phi * mask).sum(2) / (N - 1)
        if l < L - 1:
            agg = (m * mask).sum(2)
            h = h + a(torch.cat([h, agg], -1) @ p("node.0.weight") + p("node.0.bias")) @ p("node.1.weight") + p("node.1.bias")
    v = x - x0
    v = v - v.mean(dim=1, keepdim=True)
    return v.reshape(B, 3 * N)


def mlp(P, cfg, y, s):
    """docs/CROSSCHECK.md "The MLP"."""
    h = torch.cat([y, time_embed(s, cfg)], dim=1)
    for l in range(cfg["layers"]):
        h = act(cfg["activation"], h @ P[f"mlp.{l}.weight"] + P[f"mlp.{l}.bias"])
    return h @ P["mlp.out.weight"] + P["mlp.out.bias"]


def unet(P, cfg, y, s):
    """docs/CROSSCHECK.md "The UNet"."""
    F = torch.nn.functional
    a = lambda x: act(cfg["activation"], x)
    G = cfg["groups"]
    conv = lambda x, k: F.conv2d(x, P[k + ".weight"], P[k + ".bias"], padding=P[k + ".weight"].shape[-1] // 2)
    gn = lambda x, k: F.group_norm(x, G, P[k + ".weight"], P[k + ".bias"], eps=1e-5)

    def res(k, x, at):
        h = conv(a(gn(x, k + ".norm1")), k + ".conv1")
        h = h + (at @ P[k + ".temb.weight"] + P[k + ".temb.bias"])[:, :, None, None]
        h = conv(a(gn(h, k + ".norm2")), k + ".conv2")
        return h + (conv(x, k + ".skip") if k + ".skip.weight" in P else x)

    B, ch = y.shape[0], cfg["channels"]
    at = a(a(time_embed(s, cfg) @ P["unet.time.0.weight"] + P["unet.time.0.bias"]) @ P["unet.time.1.weight"] + P["unet.time.1.bias"])
    h = conv(y.reshape(B, 1, cfg["height"], cfg["width"]), "unet.in")
    skips = []
    for k in range(len(ch)):
        h = res(f"unet.down.{k}", h, at)
        skips.append(h)
        if k < len(ch) - 1:
            h = F.avg_pool2d(h, 2)
    h = res("unet.mid", h, at)
    for k in reversed(range(len(ch))):
        h = res(f"unet.up.{k}", torch.cat([h, skips[k]], dim=1), at)
        if k > 0:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
    h = conv(a(gn(h, "unet.out.norm")), "unet.out")
    return h.reshape(B, -1)


NETS = {"egnn": egnn, "mlp": mlp, "unet": unet}


def load_cfg(params_path):
    side = params_path + ".json"
    if os.path.exists(side):
        return json.load(open(side))["net"]
    return json.load(open(os.path.join(os.path.dirname(params_path), "config.json")))["net"]


def check(params_path, in_path, out_path):
    cfg = load_cfg(params_path)
    npz = np.load(params_path)
    f64 = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))  # hifm reads any dtype as float64
    P = {k: f64(npz[k]).requires_grad_() for k in npz.files}
    x = np.load(in_path)
    y = f64(x["y"]).requires_grad_()
    s = f64(x["s"])
    v = NETS[cfg["kind"]](P, cfg, y, s)
    n = v.shape[1]
    div = torch.zeros(v.shape[0])
    for k in range(n):
        (g,) = torch.autograd.grad(v[:, k].sum(), y, retain_graph=True)
        div = div + g[:, k]
    mine = {"v": v.detach(), "div": div}
    if "cotangent" in x.files:
        c = f64(x["cotangent"])
        names = list(P)
        gs = torch.autograd.grad((c * v).sum(), [y] + [P[k] for k in names])
        mine["vjp_y"] = gs[0]
        for k, g in zip(names, gs[1:]):
            mine["vjp/" + k] = g
    ref = np.load(out_path)
    missing = set(mine) ^ set(ref.files)
    if missing:
        print(f"arrays present on one side only: {sorted(missing)}")
        return False
    ok = True
    # A parameter whose gradient is 0 in exact arithmetic (e.g. a bias
    # followed by a GroupNorm with one channel per group) holds rounding
    # noise on both sides: it passes within TOL * FLOOR of the largest
    # parameter-gradient entry.
    G = max([np.max(np.abs(ref[k])) for k in ref.files if k.startswith("vjp/")] or [0.0])
    for k, a in mine.items():
        b = ref[k]
        diff = np.max(np.abs(a.numpy() - b))
        rel = diff / max(np.max(np.abs(b)), 1e-300)
        good, note = rel <= TOL, ""
        if not good and k.startswith("vjp/") and diff <= TOL * FLOOR * G:
            good, note = True, f" (within {TOL:g} x {FLOOR:g} x the largest gradient entry: exact value 0?)"
        ok &= bool(good)
        print(f"{k:32s} shape {str(tuple(b.shape)):14s} max|torch - hifm| / max|hifm| = {rel:.2e} {'ok' if good else 'FAIL'}{note}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hifm", help="hifm binary: init, run and check")
    ap.add_argument("--params")
    ap.add_argument("--in", dest="inp")
    ap.add_argument("--out")
    ap.add_argument("--check", nargs=3, action="append", metavar=("PARAMS", "IN", "OUT"),
                    help="check one run (repeatable: several runs, one torch start-up)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--b", type=int, default=4)
    a = ap.parse_args()
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    if a.hifm:
        d = tempfile.mkdtemp()
        ck = os.path.join(d, "ckpt")
        subprocess.run([a.hifm, "crosscheck", "model", "-init", "-model", "egnn", "-particles", "13",
                        "-hidden", "16", "-layers", "2", "-seed", str(a.seed), "-out", ck], check=True)
        rng = np.random.default_rng(a.seed)
        y = rng.normal(size=(a.b, 39))
        y = (y.reshape(a.b, 13, 3) - y.reshape(a.b, 13, 3).mean(1, keepdims=True)).reshape(a.b, 39)
        a.params, a.inp, a.out = os.path.join(ck, "params.npz"), os.path.join(d, "x.npz"), os.path.join(d, "out.npz")
        np.savez(a.inp, y=y, s=rng.uniform(0, 1, a.b), cotangent=rng.normal(size=(a.b, 39)))
        subprocess.run([a.hifm, "crosscheck", "model", "-ckpt", ck, "-in", a.inp, "-out", a.out], check=True)
    elif not (a.params and a.inp and a.out) and not a.check:
        ap.error("give --hifm, or --params, --in and --out, or --check PARAMS IN OUT ...")
    runs = list(a.check or [])
    if a.params:
        runs.append((a.params, a.inp, a.out))
    ok = True
    for p, i, o in runs:
        print(f"== {p} on {i}")
        ok &= check(p, i, o)
    print("OK" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
