#!/usr/bin/python3
"""PyTorch reference of model.EGNN (same architecture, ordered edges as in
Satorras et al.'s code), float64.

  /usr/bin/python3 egnn_torch.py golden   writes egnn_torch.npz: parameters,
        inputs, the field v and the gradients of L = sum(w * v) for a small
        two-layer EGNN (read by TestEGNNTorchGolden)
  /usr/bin/python3 egnn_torch.py bench [threads]   times the LJ13 training
        step (13 particles, width 64, one layer, batch 256) like
        BenchmarkEGNNStep: forward, MSE loss, backward (+ an AdamW step)
  /usr/bin/python3 egnn_torch.py div [threads]   times the exact divergence
        of that field for 256 configurations (a loop of 39 VJPs)

Parameter names and layouts are model.EGNN's: Linear weights are (in, out).
"""
import math, sys, time
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
F = torch.nn.functional


def time_embed(s, te, scale=1.0, max_period=10000.0):
    half = te // 2
    k = torch.arange(half, dtype=torch.float64)
    freqs = scale * torch.exp(-math.log(max_period) * k / half)
    arg = s @ freqs[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


def param_shapes(te, h, layers):
    shapes = [("egnn.embed.weight", (te, h)), ("egnn.embed.bias", (h,))]
    for l in range(layers):
        p = "egnn.%d." % l
        shapes += [(p + "edge.0.weight", (2 * h + 2, h)), (p + "edge.0.bias", (h,)),
                   (p + "edge.1.weight", (h, h)), (p + "edge.1.bias", (h,)),
                   (p + "coord.0.weight", (h, h)), (p + "coord.0.bias", (h,)),
                   (p + "coord.1.weight", (h, 1))]
        if l < layers - 1:
            shapes += [(p + "node.0.weight", (2 * h, h)), (p + "node.0.bias", (h,)),
                       (p + "node.1.weight", (h, h)), (p + "node.1.bias", (h,))]
    return shapes


def egnn(P, y, s, n, h, layers, te, act=F.softplus):
    """v_θ(y, s) for y (B, 3n), s (B, 1): model.EGNN on ordered edges."""
    b = y.shape[0]
    ii, jj = zip(*[(i, j) for i in range(n) for j in range(n) if i != j])
    off = (torch.arange(b) * n)[:, None]
    src = (off + torch.tensor(ii)[None, :]).reshape(-1)
    dst = (off + torch.tensor(jj)[None, :]).reshape(-1)
    esample = torch.arange(b).repeat_interleave(n * (n - 1))
    x0 = y.reshape(b * n, 3)
    hn = (time_embed(s, te) @ P["egnn.embed.weight"] + P["egnn.embed.bias"]).repeat_interleave(n, dim=0)
    x, dx = x0, 0
    for l in range(layers):
        p = "egnn.%d." % l
        diff = x[src] - x[dst]
        d2 = (diff ** 2).sum(1, keepdim=True)
        inp = torch.cat([hn[src], hn[dst], d2, s[esample]], dim=1)
        m = act(act(inp @ P[p + "edge.0.weight"] + P[p + "edge.0.bias"]) @ P[p + "edge.1.weight"] + P[p + "edge.1.bias"])
        phi = act(m @ P[p + "coord.0.weight"] + P[p + "coord.0.bias"]) @ P[p + "coord.1.weight"]
        upd = torch.zeros(b * n, 3).index_add_(0, src, diff * phi) / (n - 1)
        dx = dx + upd
        if l < layers - 1:
            x = x0 + dx
            agg = torch.zeros(b * n, h).index_add_(0, src, m)
            hn = hn + act(torch.cat([hn, agg], 1) @ P[p + "node.0.weight"] + P[p + "node.0.bias"]) @ P[p + "node.1.weight"] + P[p + "node.1.bias"]
    v = dx.reshape(b, n, 3)
    v = v - v.mean(1, keepdim=True)
    return v.reshape(b, 3 * n)


def golden():
    n, h, layers, te, b = 5, 8, 2, 8, 3
    rng = np.random.default_rng(20261129)
    P = {}
    for name, shape in param_shapes(te, h, layers):
        scale = 1.0 if name.endswith("coord.1.weight") else 1 / math.sqrt(shape[0])
        P[name] = torch.tensor(rng.uniform(-scale, scale, size=shape), requires_grad=True)
    y = torch.tensor(rng.normal(size=(b, 3 * n)), requires_grad=True)
    s = torch.tensor(rng.uniform(size=(b, 1)))
    w = torch.tensor(rng.normal(size=(b, 3 * n)))
    v = egnn(P, y, s, n, h, layers, te)
    loss = (w * v).sum()
    names = [k for k, _ in param_shapes(te, h, layers)]
    grads = torch.autograd.grad(loss, [P[k] for k in names] + [y])
    out = {"y": y.detach().numpy(), "s": s.numpy(), "w": w.numpy(), "v": v.detach().numpy(),
           "grad/y": grads[-1].numpy()}
    for k, g in zip(names, grads[:-1]):
        out["param/" + k] = P[k].detach().numpy()
        out["grad/" + k] = g.numpy()
    np.savez("egnn_torch.npz", **out)
    print("wrote egnn_torch.npz with torch", torch.__version__, "numpy", np.__version__)


def bench(threads):
    torch.set_num_threads(threads)
    n, h, layers, te, b = 13, 64, 1, 32, 256
    P = {}
    for name, shape in param_shapes(te, h, layers):
        P[name] = (torch.rand(shape) * 2 - 1).div(math.sqrt(shape[0])).requires_grad_()
    opt = torch.optim.AdamW(list(P.values()), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
    y, s, u = torch.randn(b, 3 * n), torch.rand(b, 1), torch.randn(b, 3 * n)

    def step(update):
        v = egnn(P, y, s, n, h, layers, te)
        loss = ((v - u) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        if update:
            opt.step()

    for update in (False, True):
        for _ in range(5):
            step(update)
        best = 1e9
        for _ in range(5):
            k = 10
            t0 = time.perf_counter()
            for _ in range(k):
                step(update)
            best = min(best, (time.perf_counter() - t0) / k)
        print("torch %s, %d thread(s), EGNN LJ13 width 64 batch 256 %s: %.1f ms/step, %.0f samples/s"
              % (torch.__version__, threads, "fwd+bwd+AdamW" if update else "fwd+bwd", best * 1e3, b / best))


def div(threads):
    """Exact divergence of the LJ13 field for 256 configurations by a loop
    of 39 VJPs (BenchmarkEGNNDivergence's workload)."""
    torch.set_num_threads(threads)
    n, h, layers, te, b = 13, 64, 1, 32, 256
    P = {name: (torch.rand(shape) * 2 - 1).div(math.sqrt(shape[0])) for name, shape in param_shapes(te, h, layers)}
    y, s = torch.randn(b, 3 * n, requires_grad=True), torch.rand(b, 1)
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        v = egnn(P, y, s, n, h, layers, te)
        d = torch.zeros(b)
        for i in range(3 * n):
            d += torch.autograd.grad(v[:, i].sum(), y, retain_graph=True)[0][:, i]
        best = min(best, time.perf_counter() - t0)
    print("torch %s, %d thread(s), EGNN LJ13 exact divergence, batch 256, 39 VJPs: %.2f s" % (torch.__version__, threads, best))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "bench":
        bench(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    elif len(sys.argv) > 1 and sys.argv[1] == "div":
        div(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    else:
        golden()
