#!/usr/bin/python3
"""Checks with numpy that the go_*.npy/.npz files written by package npy
(pinned by TestGoWrittenFilesPinned) load with the expected values.

    cd tensor/npy/testdata && /usr/bin/python3 verify_go_written.py

Last run: numpy 1.24.2 (Debian python3-numpy), output "OK 4 files".
"""
import numpy as np


def arr(shape, dtype=np.float64):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.float64)
    return ((i - 3.25) * 0.5 ** (i % 7)).astype(dtype).reshape(shape)


def same(a, b):
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.array_equal(a, b), (a, b)


same(np.load("go_f8.npy"), arr((2, 3, 4)))
same(np.load("go_f4.npy"), arr((5,), np.float32))
for f in ["go_stored.npz", "go_compressed.npz"]:
    z = np.load(f)
    assert list(z.keys()) == ["w", "b", "scale"], list(z.keys())
    same(z["w"], arr((3, 2)))
    same(z["b"], arr((2,)))
    same(z["scale"], arr(()))
print("OK 4 files")
