"""An optional compiled inner loop for the float64 lattice engine.

NumPy needs several passes over memory per step (shifted copies, products, a sum); the loop
below does one, which is what the throughput target of the engine asks for.  It is compiled
once with the system C compiler into a per-user cache; without a compiler the engine falls back
to its NumPy path, and `status()` says which one runs.  The arithmetic is the same as the NumPy
path operation for operation (no contraction into fused multiply-adds), so both give identical
bits."""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import platform

SOURCE = r"""
#include <stddef.h>
/* one site: beta = 1 - alpha and the signed alphas are formed exactly as the NumPy path does */
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

_LIB = None
_STATUS = "not loaded"
CHUNK_WORK = 100_000_000            # site-updates per call into C: ~0.1 s, the Ctrl-C latency


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "entwined"


def _cpu_id() -> str:
    """-march=native code is for this processor only; the cache key says which one."""
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln for ln in fh if ln.startswith(("model name", "flags"))), "")
    except OSError:
        pass
    return platform.machine() + model


def _load():
    global _LIB, _STATUS
    if _LIB is not None or _STATUS.startswith("unavailable"):
        return _LIB
    if os.environ.get("ENTWINED_NO_C"):
        _STATUS = "unavailable: disabled by ENTWINED_NO_C"
        return None
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    tag = hashlib.sha256((SOURCE + _cpu_id()).encode()).hexdigest()[:16]
    target = _cache_dir() / f"lattice-{tag}.so"
    try:
        if not target.exists():
            if cc is None:
                _STATUS = "unavailable: no C compiler (NumPy path in use)"
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / "lattice.c"
                src.write_text(SOURCE)
                out = Path(tmp) / "lattice.so"
                subprocess.run([cc, "-O3", "-march=native", "-ffp-contract=off", "-fPIC", "-shared", str(src),
                                "-o", str(out)], check=True, capture_output=True, timeout=120)
                os.replace(out, target)
        lib = ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError) as err:
        _STATUS = f"unavailable: {type(err).__name__} (NumPy path in use)"
        return None
    dp = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    lib.run.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_int, dp, dp, dp,
                        ctypes.c_double, ctypes.c_double, ctypes.c_double, dp, dp]
    lib.run.restype = None
    _LIB, _STATUS = lib, f"compiled C loop ({target.name})"
    return lib


def status() -> str:
    _load()
    return _STATUS


def run(u: np.ndarray, alpha: np.ndarray, signs: tuple[int, int], steps: int, periodic: bool,
        scale: float):
    """Iterate on a copy of u; returns None when the compiled loop is unavailable.

    The loop runs in chunks of about CHUNK_WORK site-updates (~0.1 s): Python gets control
    between chunks, so Ctrl-C stops even a long run within about a second.  Each chunk is the
    same arithmetic as one long call, so the bits do not depend on the chunking."""
    lib = _load()
    if lib is None:
        return None
    n = u.shape[1]
    u0, u1 = np.ascontiguousarray(u[0], dtype=float).copy(), np.ascontiguousarray(u[1], dtype=float).copy()
    w0, w1 = np.empty(n), np.empty(n)
    a = np.ascontiguousarray(alpha, dtype=float)
    chunk = max(1, CHUNK_WORK // n)
    for start in range(0, int(steps), chunk):
        k = min(chunk, int(steps) - start)
        lib.run(n, k, int(periodic), u0, u1, a, float(signs[0]), float(signs[1]), float(scale),
                w0, w1)
        if k % 2:                   # the buffers were swapped an odd number of times
            u0, u1, w0, w1 = w0, w1, u0, u1
    return np.array([u0, u1])
