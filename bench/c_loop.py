"""The lattice engine's previous inner loop (C, built with the system compiler via ctypes), kept
in bench/ only so the bench can measure the numba kernels against it side by side.  The package
no longer builds or loads it (numerics/jit.py replaced it); without a C compiler the bench says
so and leaves the column out."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

SOURCE = r"""
#define SITE(j, x0, x1) do { double al = a[j], be = 1.0 - al; \
    w0[j] = be * (x0) + (s0 * al) * (x1); w1[j] = be * (x1) + (s1 * al) * (x0); } while (0)
void run(long n, long steps, int periodic, double *u0, double *u1, const double *a,
         double s0, double s1, double scale, double *w0, double *w1)
{
    for (long s = 0; s < steps; ++s) {
        for (long j = 1; j < n - 1; ++j)
            SITE(j, u0[j + 1], u1[j - 1]);
        SITE(0, u0[1], periodic ? u1[n - 1] : 0.0);
        SITE(n - 1, periodic ? u0[0] : 0.0, u1[n - 2]);
        if (scale != 1.0)
            for (long j = 0; j < n; ++j) { w0[j] *= scale; w1[j] *= scale; }
        double *t = u0; u0 = w0; w0 = t;
        t = u1; u1 = w1; w1 = t;
    }
}
"""

_DIR = tempfile.mkdtemp(prefix="entwined-bench-c-")


def load():
    """The compiled loop as a callable run(u, alpha, signs, steps, periodic, scale), or the
    reason it is unavailable (a string)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return "no C compiler"
    src, lib_path = Path(_DIR) / "lattice.c", Path(_DIR) / "lattice.so"
    src.write_text(SOURCE)
    try:
        subprocess.run([cc, "-O3", "-march=native", "-ffp-contract=off", "-fPIC", "-shared",
                        str(src), "-o", str(lib_path)], check=True, capture_output=True, timeout=120)
        lib = ctypes.CDLL(str(lib_path))
    except (OSError, subprocess.SubprocessError) as err:
        return f"C build failed ({type(err).__name__})"
    dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    lib.run.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_int, dp, dp, dp,
                        ctypes.c_double, ctypes.c_double, ctypes.c_double, dp, dp]
    lib.run.restype = None

    def run(u, alpha, signs, steps, periodic, scale):
        n = u.shape[1]
        u0, u1 = np.ascontiguousarray(u[0]).copy(), np.ascontiguousarray(u[1]).copy()
        w0, w1 = np.empty(n), np.empty(n)
        lib.run(n, steps, int(periodic), u0, u1, np.ascontiguousarray(alpha), float(signs[0]),
                float(signs[1]), float(scale), w0, w1)
        return np.array([w0, w1] if steps % 2 else [u0, u1])
    return run
