#!/usr/bin/env python3
"""Fits the polynomial kernels of workloads/c/numeric_kernel.c.

Chebyshev interpolation in 60-digit arithmetic, converted to monomial
coefficients and rounded to doubles; then the worst relative error of the
double-precision Horner evaluation is measured on a dense grid against
mpmath.  Needs mpmath (pip install mpmath).  Prints C initialisers.

  sin(x)       = x * S(x*x),   |x| <= pi/2
  asin(sqrt z) = sqrt(z) * A(z), 0 <= z <= 1/2

Usage: python3 scripts/fit-kernels.py [DEG_S [DEG_A]]; the kernels use
degrees 7 and 16 (the defaults).  The errors printed are those of Horner's
rule in double; the C code evaluates by Estrin's scheme, and the unit test
test_numeric_point measures the whole distance against libm.
"""
import os
import sys
import mpmath as mp

mp.mp.dps = 60


def cheb_fit(f, lo, hi, deg):
    n = deg + 1
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    xs = [(hi - lo) / 2 * t + (hi + lo) / 2 for t in nodes]
    ys = [f(x) for x in xs]
    # Solve the interpolation in the monomial basis of x directly (the
    # Chebyshev nodes keep it well conditioned at this precision).
    m = mp.matrix(n, n)
    for i, x in enumerate(xs):
        for j in range(n):
            m[i, j] = x ** j
    c = mp.lu_solve(m, mp.matrix(ys))
    return [float(c[j]) for j in range(n)]


def horner(c, z):
    r = c[-1]
    for k in reversed(c[:-1]):
        r = r * z + k
    return r


def worst(c, f_double, exact, lo, hi, samples=int(os.environ.get("FIT_SAMPLES", "200000"))):
    w = 0.0
    for i in range(samples + 1):
        x = lo + (hi - lo) * i / samples
        if x == 0:
            continue
        got = f_double(c, x)
        want = exact(x)
        if want != 0:
            w = max(w, abs((got - want) / want))
    return float(w)


def S(z):
    if z == 0:
        return mp.mpf(1)
    s = mp.sqrt(z)
    return mp.sin(s) / s


def A(z):
    if z == 0:
        return mp.mpf(1)
    s = mp.sqrt(z)
    return mp.asin(s) / s


def main():
    hpi = mp.pi / 2
    cs = cheb_fit(S, mp.mpf(0), hpi * hpi, int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    ca = cheb_fit(A, mp.mpf(0), mp.mpf(0.5), int(sys.argv[2]) if len(sys.argv) > 2 else 16)
    es = worst(cs, lambda c, x: x * horner(c, x * x), lambda x: mp.sin(x), 0.0, float(hpi))
    ea = worst(ca, lambda c, z: z ** 0.5 * horner(c, z), lambda z: mp.asin(mp.sqrt(z)), 0.0, 0.5)
    for name, c, e in (("sin_c", cs, es), ("asin_c", ca, ea)):
        print(f"/* worst relative error {e:.2e} */")
        print(f"static const double {name}[{len(c)}] = {{")
        for v in c:
            print(f"    {v!r},")
        print("};")


main()
