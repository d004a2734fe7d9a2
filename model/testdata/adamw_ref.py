# Reference AdamW trajectories for TestAdamWHandComputed (model/adamw_test.go):
# optax.adamw formula written out in plain Python floats (IEEE double), run
# with `python3 adamw_ref.py`; the printed values are pasted into the test.
import math
def run(lr, wd, clip, ema_d, steps):
    b1, b2, eps = 0.9, 0.999, 1e-8
    th = [1.0, -2.0, 0.5]
    m = [0.0]*3; v=[0.0]*3; ema = list(th)
    out = []
    for t, g in enumerate(steps, 1):
        n = math.sqrt(sum(x*x for x in g))
        if clip > 0 and n > clip:
            g = [x*(clip/n) for x in g]
        bc1, bc2 = 1-b1**t, 1-b2**t
        for k in range(3):
            m[k] = b1*m[k] + (1-b1)*g[k]
            v[k] = b2*v[k] + (1-b2)*g[k]*g[k]
            mh, vh = m[k]/bc1, v[k]/bc2
            th[k] -= lr*(mh/(math.sqrt(vh)+eps) + wd*th[k])
        if ema_d > 0:
            ema = [ema_d*e + (1-ema_d)*x for e, x in zip(ema, th)]
        out.append((list(th), list(ema)))
    return out
steps = [[0.1, -0.3, 2.0], [-0.2, 0.05, -1.0], [0.3, 0.0, 0.5]]
for args in [(0.1, 0.01, 0, 0), (0.1, 0.01, 0.5, 0.9)]:
    print(args)
    for th, ema in run(*args, steps):
        print("  th", [repr(x) for x in th], "ema", [repr(x) for x in ema])
