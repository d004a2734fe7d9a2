#!/usr/bin/python3
"""PyTorch CPU twin of hifm's Table 1 training step (model.UNet, the
experiments.Budgets table1 small and paper shapes), for the throughput
ratio quoted in the README ("Performance"). Go side:

  go test -run '^$' -bench Table1Train -benchmem ./flow/experiments/

Same network as model/unet.go: time MLP τ = W2 SiLU(W1 e(s)) on the
sinusoidal embedding e(s) = [sin ωs, cos ωs] (width 32, max period 10000),
act(τ) fed to every residual block; conv3×3 in; per level a residual block
(GN → SiLU → conv3×3 → + Linear(act τ) per channel → GN → SiLU → conv3×3,
plus x or a 1×1 conv of x), skip, 2×2 average pool; a middle block; up
levels on [h, skip] with nearest 2× upsampling; GN → SiLU → conv3×3 out.
GroupNorm eps 1e-5, affine. One step: draw y_s = s·x1 + (1 − s)·x0 and
u = x1 − x0 (the path draw is O(n) in hifm too), forward, loss
Σ_b ||v − u||²/B, backward, AdamW (lr 1e-3, wd 1e-4, eps 1e-8).

Prints one JSON line per (budget, dtype):
  {"budget": ..., "batch": ..., "channels": ..., "dtype": ..., "threads": 1,
   "samples_per_s": ..., "samples_per_cpu_s": ..., "steps": ..., "torch": ...}
samples_per_cpu_s divides by the process's CPU time: on a shared machine
it is the steadier figure (the Go benchmark reports samples/cpu-s too).

usage: /usr/bin/python3 testdata/peers/unet_torch.py [--budget small|paper|all]
       [--dtype float64|float32|all] [--seconds S] [--threads N]
Debian's OpenBLAS picks a slow generic kernel on some CPUs; set
OPENBLAS_CORETYPE (e.g. Haswell or SkylakeX) to give PyTorch its best BLAS.
"""
import argparse, json, math, os, time

import torch
import torch.nn as nn
import torch.nn.functional as F

BUDGETS = {  # experiments.Budgets(table1, ·): batch, channels, groups
    "small": dict(batch=16, channels=[8, 16], groups=4),
    "paper": dict(batch=128, channels=[32, 64], groups=8),
}
TIME_EMBED, MAX_PERIOD, EPS = 32, 10000.0, 1e-5


class Res(nn.Module):
    def __init__(self, cin, cout, tdim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, at):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(at)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        c0, tdim = channels[0], 4 * channels[0]
        half = TIME_EMBED // 2
        self.register_buffer("freqs", torch.exp(-math.log(MAX_PERIOD) * torch.arange(half) / half))
        self.time0 = nn.Linear(TIME_EMBED, tdim)
        self.time1 = nn.Linear(tdim, tdim)
        self.inc = nn.Conv2d(1, c0, 3, padding=1)
        self.down = nn.ModuleList()
        prev = c0
        for c in channels:
            self.down.append(Res(prev, c, tdim, groups))
            prev = c
        self.mid = Res(prev, prev, tdim, groups)
        up = [None] * len(channels)
        for k in reversed(range(len(channels))):
            up[k] = Res(prev + channels[k], channels[k], tdim, groups)
            prev = channels[k]
        self.up = nn.ModuleList(up)
        self.out_norm = nn.GroupNorm(groups, c0, eps=EPS)
        self.out = nn.Conv2d(c0, 1, 3, padding=1)

    def forward(self, y, s):  # y (B, 784), s (B, 1)
        b = y.shape[0]
        arg = s * self.freqs[None, :]
        e = torch.cat([torch.sin(arg), torch.cos(arg)], 1)
        at = F.silu(self.time1(F.silu(self.time0(e))))
        h = self.inc(y.view(b, 1, 28, 28))
        last, skips = len(self.down) - 1, []
        for k, r in enumerate(self.down):
            h = r(h, at)
            skips.append(h)
            if k < last:
                h = F.avg_pool2d(h, 2)
        h = self.mid(h, at)
        for k in reversed(range(len(self.up))):
            h = self.up[k](torch.cat([h, skips[k]], 1), at)
            if k > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.out(F.silu(self.out_norm(h)))
        return h.view(b, 784)


def bench(budget, dtype, seconds):
    cfg = BUDGETS[budget]
    torch.manual_seed(1)
    net = UNet(cfg["channels"], cfg["groups"]).to(dtype)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4, eps=1e-8)
    bsz = cfg["batch"]
    data = torch.rand(256, 784, dtype=dtype)

    def step(i):
        idx = torch.randint(0, 256, (bsz,))
        x1 = data[idx]
        x0 = torch.randn(bsz, 784, dtype=dtype)
        s = torch.rand(bsz, 1, dtype=dtype)
        ys, u = s * x1 + (1 - s) * x0, x1 - x0
        opt.zero_grad(set_to_none=True)
        loss = ((net(ys, s) - u) ** 2).sum() / bsz
        loss.backward()
        opt.step()

    for i in range(2):  # warm-up
        step(i)
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        step(n)
        n += 1
        el = time.perf_counter() - t0
        if el >= seconds and n >= 3:
            break
    cpu = time.process_time() - c0
    return dict(budget=budget, batch=bsz, channels=cfg["channels"], dtype=str(dtype).replace("torch.", ""),
                threads=torch.get_num_threads(), samples_per_s=n * bsz / el, samples_per_cpu_s=n * bsz / cpu, steps=n,
                torch=torch.__version__, openblas_coretype=os.environ.get("OPENBLAS_CORETYPE", ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", default="all", choices=["small", "paper", "all"])
    ap.add_argument("--dtype", default="all", choices=["float64", "float32", "all"])
    ap.add_argument("--seconds", type=float, default=5.0, help="minimum timed seconds per figure")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    budgets = ["small", "paper"] if a.budget == "all" else [a.budget]
    dtypes = [torch.float64, torch.float32] if a.dtype == "all" else [getattr(torch, a.dtype)]
    for b in budgets:
        for dt in dtypes:
            print(json.dumps(bench(b, dt, a.seconds)), flush=True)


if __name__ == "__main__":
    main()
