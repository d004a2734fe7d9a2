#!/usr/bin/python3
"""Writes torch_goldens.json: values and gradients (float64) of a small MLP
with softplus and a small conv net, computed by PyTorch autograd, for
autodiff's golden test (compared there to 1e-10 relative).

Run with Debian's python3-torch:  /usr/bin/python3 make_goldens.py
Inputs are fixed closed-form values (no RNG), so reruns reproduce the file.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def det(shape, seed, scale=1.0):
    """Deterministic values scale*sin(seed + 1.7k + 0.37(k mod 7)(k mod 5)), k row-major."""
    n = 1
    for d in shape:
        n *= d
    vals = [scale * math.sin(seed + 1.7 * k + 0.37 * (k % 7) * (k % 5)) for k in range(n)]
    return torch.tensor(vals).reshape(shape)


def enc(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def mlp_case():
    x = det((4, 3), 0.1).requires_grad_()
    p = {
        "w1": det((3, 8), 1.0, 0.6), "b1": det((8,), 2.0, 0.1),
        "w2": det((8, 8), 3.0, 0.4), "b2": det((8,), 4.0, 0.1),
        "w3": det((8, 3), 5.0, 0.4), "b3": det((3,), 6.0, 0.1),
    }
    for v in p.values():
        v.requires_grad_()
    target = det((4, 3), 7.0)

    def field(x):
        h = F.softplus(x @ p["w1"] + p["b1"])
        h = F.softplus(h @ p["w2"] + p["b2"])
        return h @ p["w3"] + p["b3"]

    y = field(x)
    loss = ((y - target) ** 2).mean()
    names = ["x"] + list(p)
    grads = torch.autograd.grad(loss, [x] + list(p.values()), create_graph=True)
    # second order: Hessian-vector product of the loss w.r.t. x
    v = det((4, 3), 8.0)
    hvp = torch.autograd.grad((grads[0] * v).sum(), x)[0]
    # exact divergence of the field per sample (samples are independent)
    div = []
    for b in range(4):
        jac = torch.autograd.functional.jacobian(field, x[b:b + 1].detach())
        div.append(float(jac.reshape(3, 3).trace()))
    inputs = {"x": enc(x), "target": enc(target), "v": enc(v)}
    inputs.update({k: enc(t) for k, t in p.items()})
    return {
        "inputs": inputs,
        "outputs": {
            "y": enc(y), "loss": enc(loss),
            **{"grad_" + k: enc(gr) for k, gr in zip(names, grads)},
            "hvp_x": enc(hvp), "div": enc(torch.tensor(div)),
        },
    }


def conv_case():
    x = det((2, 2, 8, 8), 0.3).requires_grad_()
    p = {
        "w1": det((4, 2, 3, 3), 1.1, 0.3), "b1": det((4,), 2.1, 0.1),
        "gamma": 1 + det((4,), 3.1, 0.2), "beta": det((4,), 4.1, 0.1),
        "w2": det((3, 4, 3, 3), 5.1, 0.3), "b2": det((3,), 6.1, 0.1),
    }
    for v in p.values():
        v.requires_grad_()
    r = det((2, 3, 4, 4), 7.1)
    h = F.conv2d(x, p["w1"], p["b1"], stride=1, padding=1)
    h = F.group_norm(h, 2, p["gamma"], p["beta"], eps=1e-5)
    h = F.silu(h)
    h = F.avg_pool2d(h, 2)
    h = F.conv2d(h, p["w2"], p["b2"], stride=2, padding=1)
    h = torch.tanh(h)
    y = F.interpolate(h, scale_factor=2, mode="nearest")
    loss = (y * r).sum() + F.softplus(y).mean()
    names = ["x"] + list(p)
    grads = torch.autograd.grad(loss, [x] + list(p.values()))
    inputs = {"x": enc(x), "r": enc(r)}
    inputs.update({k: enc(t) for k, t in p.items()})
    return {
        "inputs": inputs,
        "outputs": {"y": enc(y), "loss": enc(loss), **{"grad_" + k: enc(gr) for k, gr in zip(names, grads)}},
    }


def main():
    out = {
        "produced_by": "testdata/autodiff/make_goldens.py with PyTorch %s (Debian python3-torch), float64 autograd"
        % torch.__version__,
        "value": {"torch_version": torch.__version__, "mlp": mlp_case(), "conv": conv_case()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_goldens.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
