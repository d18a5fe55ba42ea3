"""python-numpy: the study's numeric baseline, vectorised NumPy."""
import os
import sys
import time

import hp_engine
from hp_engine import BadData

np = None
R = 6371.0088
LO, HI = 100.0, 15000.0


def set_threads(n):
    # Element-wise NumPy is single-threaded; these cap any BLAS pool.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def load():
    global np
    import numpy
    np = numpy


def numeric(data, threads):
    path = os.path.join(data, "points.f64")
    t0 = time.perf_counter()
    size = os.path.getsize(path)
    if size == 0 or size % 16:
        raise BadData("points.f64: size %d is not a positive multiple of 16" % size)
    v = np.fromfile(path, dtype="<f8")
    n = v.size // 2
    lat, lon = v[:n], v[n:]
    t1 = time.perf_counter()
    finite = np.isfinite(v)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise BadData("points.f64: point %d is not finite" % (bad % n))
    deg = np.pi / 180.0
    lat0, lon0 = 40.7128 * deg, -74.0060 * deg
    p = lat * deg
    l = lon * deg
    a = np.sin((p - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(p) * np.sin((l - lon0) / 2) ** 2
    d = 2 * R * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    dmin, dmax = float(d.min()), float(d.max())
    low, high = int((d < LO).sum()), int((d > HI).sum())
    c = np.clip(d, LO, HI)
    result = {"n": int(n), "clipped_low": low, "clipped_high": high,
              "mean": float(c.mean()), "std": float(c.std()), "min": dmin, "max": dmax}
    t2 = time.perf_counter()
    return result, t1 - t0, t2 - t1


if __name__ == "__main__":
    hp_engine.main("python-numpy", {"numeric": numeric}, set_threads, load,
                   threads_used=lambda task, n: 1)
