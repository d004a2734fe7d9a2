#!/usr/bin/python3
"""Time numpy.linalg.eigh (LAPACK dsyevd) on the matrices `hifm bench eig` uses.

Run with Debian's interpreter, one BLAS thread:

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 testdata/peers/eig_numpy.py
    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell /usr/bin/python3 testdata/peers/eig_numpy.py

Prints one JSON object: for each n (default 13, 39, 66, 165) the median and
best wall-clock microseconds per eigh call over `--runs` timed runs (each at
least `--seconds` long after a warm-up) and the process CPU microseconds
per call, on random symmetric matrices with entries uniform in [-1, 1)
(the same distribution as `hifm bench eig`; numpy's generator, so not the
same draws). Each call decomposes one matrix with eigenvalues and vectors,
as `hifm bench eig -count 1` does.

On CPUs that Debian's OpenBLAS 0.3.21 does not recognise (e.g. AMD family
0x1a) it falls back to a slow generic kernel unless OPENBLAS_CORETYPE names
a known one (Haswell, SkylakeX, Zen): measure both ways and compare against
the faster.
"""
import argparse
import json
import os
import statistics
import time

# One BLAS thread (idle OpenBLAS threads spin and would skew the timing).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def blas_info():
    try:
        from threadpoolctl import threadpool_info  # optional
        return [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                for i in threadpool_info()]
    except Exception:
        return None


def bench(n, k, seconds, runs, rng):
    mats = []
    for _ in range(k):
        a = rng.uniform(-1.0, 1.0, size=(n, n))
        mats.append(np.triu(a) + np.triu(a, 1).T)
    eigh = np.linalg.eigh
    # Warm-up, and enough repetitions for `seconds` per run.
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            for a in mats:
                eigh(a)
        if time.perf_counter() - t0 >= seconds:
            break
        reps *= 2
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            for a in mats:
                eigh(a)
        wall.append((time.perf_counter() - t0) / (reps * k) * 1e6)
        cpu.append((time.process_time() - c0) / (reps * k) * 1e6)
    return {
        "n": n,
        "us_per_matrix": statistics.median(wall),
        "best_us_per_matrix": min(wall),
        "cpu_us_per_matrix": statistics.median(cpu),
        "runs": runs,
        "calls_per_run": reps * k,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[13, 39, 66, 165])
    ap.add_argument("--matrices", type=int, default=16, help="distinct matrices cycled")
    ap.add_argument("--seconds", type=float, default=0.05, help="minimum length of one timed run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=39)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    out = {
        "peer": "numpy.linalg.eigh",
        "numpy": np.__version__,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "blas": blas_info(),
        "results": [bench(n, args.matrices, args.seconds, args.runs, rng) for n in args.n],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
