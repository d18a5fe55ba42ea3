"""python-numpy: the study's numeric baseline, vectorised NumPy as its users
write it: np.fromfile, whole-array expressions. It checks nothing NumPy
does not: a file whose values do not split into two columns fails there,
and a non-finite point gives a NaN result, refused when printed."""
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
    v = np.fromfile(path, dtype="<f8")
    try:
        lat, lon = np.split(v, 2)
    except ValueError:
        raise BadData("points.f64: %d values do not make two columns" % v.size) from None
    n = lat.size
    t1 = time.perf_counter()
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
