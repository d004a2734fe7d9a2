#!/usr/bin/python3
"""Writes the numpy reference fixtures read by npy_test.go.

Run with Debian's python3 (apt-get install python3-numpy):
    cd tensor/npy/testdata && /usr/bin/python3 make_fixtures.py
Values are deterministic (no RNG) so the Go test can recompute them:
element i of every array is value(i) = (i - 3.25) * 0.5 ** (i % 7), cast to
the stored dtype. numpy's version is written to numpy_version.txt.
"""
import io
import numpy as np


def vals(n, dtype):
    i = np.arange(n, dtype=np.float64)
    return ((i - 3.25) * 0.5 ** (i % 7)).astype(dtype)


def arr(shape, dtype):
    n = int(np.prod(shape)) if len(shape) else 1
    return vals(n, dtype).reshape(shape)


np.save("f8_3d.npy", arr((2, 3, 4), np.float64))
np.save("f4_2d.npy", arr((3, 5), np.float32))
np.save("f8_1d.npy", arr((7,), np.float64))
np.save("f8_0d.npy", arr((), np.float64))
np.save("f8_empty.npy", arr((0, 3), np.float64))
np.save("f8_big_endian.npy", arr((2, 3), ">f8"))
np.save("f8_fortran.npy", np.asfortranarray(arr((2, 3, 4), np.float64)))
np.save("i4_2d.npy", (arr((2, 3), np.float64) * 4).astype("<i4"))
np.save("i8_1d.npy", (arr((5,), np.float64) * 8).astype("<i8"))
np.save("u1_1d.npy", np.arange(250, 256, dtype=np.uint8))
np.save("bool_1d.npy", np.array([True, False, True]))
np.lib.format.write_array(open("f8_v2.npy", "wb"), arr((2, 3), np.float64), version=(2, 0))
np.lib.format.write_array(open("f4_v3.npy", "wb"), arr((4,), np.float32), version=(3, 0))
# Unsupported types, each must give a clear error.
np.save("complex.npy", np.array([1 + 2j]))
np.save("object.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
np.save("structured.npy", np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]))
np.save("str.npy", np.array(["ab", "c"]))
np.save("f2.npy", np.zeros(2, dtype=np.float16))
np.savez("stored.npz", a=arr((2, 3), np.float64), b=arr((4,), np.float32), c=arr((), np.float64))
np.savez_compressed("compressed.npz", x=arr((10, 10), np.float64), y=arr((0,), np.float64))
with open("numpy_version.txt", "w") as f:
    f.write("numpy %s\n" % np.__version__)
