#!/usr/bin/python3
"""PyTorch timing of the workloads of autodiff's BenchmarkMLPTrainStep and
BenchmarkMLPDivergence (float64, 2 threads), for comparison in reports:
  /usr/bin/python3 testdata/autodiff/torch_bench.py
"""
import time, torch
torch.set_default_dtype(torch.float64)
torch.set_num_threads(2)
x = torch.randn(256, 40); t = torch.randn(256, 39)
ws = [torch.randn(40,64)*0.5, torch.zeros(64), torch.randn(64,64)*0.15, torch.zeros(64), torch.randn(64,39)*0.15, torch.zeros(39)]
for w in ws: w.requires_grad_()
F = torch.nn.functional
def step():
    h = F.silu(x @ ws[0] + ws[1]); h = F.silu(h @ ws[2] + ws[3]); y = h @ ws[4] + ws[5]
    loss = ((y - t)**2).mean()
    return torch.autograd.grad(loss, ws)
for _ in range(50): step()
best = 1e9
for rep in range(5):
    n = 300; t0 = time.perf_counter()
    for _ in range(n): step()
    best = min(best, (time.perf_counter()-t0)/n)
print("torch %s MLP train step: %.3f ms" % (torch.__version__, best*1e3))
xd = torch.randn(256, 39, requires_grad=True)
wd = [torch.randn(39,64)*0.5, torch.zeros(64), ws[2].detach(), ws[3].detach(), ws[4].detach(), ws[5].detach()]
def div():
    h = F.silu(xd @ wd[0] + wd[1]); h = F.silu(h @ wd[2] + wd[3]); y = h @ wd[4] + wd[5]
    d = torch.zeros(256)
    for i in range(39):
        g = torch.autograd.grad(y[:, i].sum(), xd, retain_graph=True)[0]
        d += g[:, i]
    return d
for _ in range(5): div()
best = 1e9
for rep in range(5):
    n = 20; t0 = time.perf_counter()
    for _ in range(n): div()
    best = min(best, (time.perf_counter()-t0)/n)
print("torch divergence (39 sweeps, batch 256): %.3f ms" % (best*1e3))
