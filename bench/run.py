"""Timing figures, each "before" measured next to its "after" in the same run, so a ratio never
compares two machines or two load levels.  Nothing here is asserted by the tests.

    python bench/run.py [section ...]      sections: lattice mc verify symbolic exact (default all)

- lattice: site-updates/s of the numba kernels (in place; temporally blocked) against the plain
  np.roll loop, the NumPy step loop (the kernels' oracle) and the previous C loop (bench/c_loop.py,
  built here only), at 10^3 .. 10^7 sites;
- mc: paths/s of the per-path Monte Carlo kernel (1 and 2 threads) against the vectorised NumPy
  oracle, 32 steps;
- verify: the machine's speed of the moment (a fixed Python loop); fresh `entwined verify`
  processes with their own caches: cold (empty numba and derivation caches: the first run after
  install, JIT compile included), warm, warm with --no-cache, --no-numerics, `report
  --mutation`; `mutate` in one process against forked workers; peak memory (PSS summed over the
  process tree); the numeric phases (lattice, Monte Carlo, exact evaluator, other studies) timed
  inside one run; the LaTeX build with pictures drawn once against pictures inline;
- symbolic, exact: the derivation and exact-evaluator figures.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def best(fn, n=3, setup=None):
    times = []
    for _ in range(n):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ------------------------------------------------------------------------ lattice -----------

def lattice():
    from entwined.numerics import engines, jit
    from entwined.numerics.engines import Lattice, roll_baseline
    sys.path.insert(0, str(HERE))
    import c_loop
    c_run = c_loop.load()
    if isinstance(c_run, str):
        print(f"previous C loop: not measured ({c_run})")
        c_run = None
    rng = np.random.default_rng(0)
    warm = Lattice(rng.uniform(0.2, 0.8, 64))
    warm.run(rng.standard_normal((2, 64)), 3)                       # load/compile the kernels
    engines.compiled_run(rng.standard_normal((2, 64)), warm._alpha, warm._signs, 3, True, 1.0)
    jit.lattice_blocked(np.zeros(64), np.zeros(64), np.full(64, 0.5), 1.0, -1.0, 1.0, True, 2, 2, 8)
    # alpha = 1/2 with the normaliser sqrt 2 is the free diffusive lattice: norm-preserving, so
    # no run drifts into subnormal numbers (which are ~100x slower and would distort a ratio);
    # np.roll has no scale, so its (decaying) runs are kept short
    scale = float(np.sqrt(2))
    print("lattice, site-updates/s (best of 3; alpha = 1/2, scale sqrt 2):")
    print(f"{'sites':>9} {'np.roll':>9} {'NumPy step':>10} {'C (prev)':>9} {'in place':>9} "
          f"{'blocked':>9}  {'engine/roll':>11} {'engine/C':>8} {'blocked/in place':>16}")
    for n in (10**3, 10**4, 10**5, 10**6, 10**7):
        u, alpha = rng.standard_normal((2, n)), np.full(n, 0.5)
        lat = Lattice(alpha)
        fast_steps = max(engines.DEPTH, int(4e8 // n) // engines.DEPTH * engines.DEPTH)
        slow_steps = max(2, min(1000, int(2e7 // n)))
        rate = {}
        rate["roll"] = n * slow_steps / best(lambda: roll_baseline(u, alpha, slow_steps), 2)
        rate["numpy"] = n * slow_steps / best(lambda: lat.run(u, slow_steps, scale=scale,
                                                                compiled=False), 2)
        if c_run:
            rate["c"] = n * fast_steps / best(lambda: c_run(u, alpha, lat._signs, fast_steps, True, scale))
        rate["inplace"] = n * fast_steps / best(lambda: jit.lattice_inplace(
            u[0].copy(), u[1].copy(), alpha, 1.0, -1.0, scale, True, fast_steps))
        rate["blocked"] = n * fast_steps / best(lambda: jit.lattice_blocked(
            u[0].copy(), u[1].copy(), alpha, 1.0, -1.0, scale, True, fast_steps, engines.DEPTH,
            engines.TILE))
        engine = rate["blocked"] if n >= engines.BLOCK_MIN_SITES else rate["inplace"]
        c_col = f"{rate['c']:9.3g}" if "c" in rate else f"{'-':>9}"
        c_ratio = f"{engine / rate['c']:7.2f}x" if "c" in rate else f"{'-':>8}"
        print(f"{n:>9} {rate['roll']:9.3g} {rate['numpy']:10.3g} {c_col} {rate['inplace']:9.3g} "
              f"{rate['blocked']:9.3g}  {engine / rate['roll']:10.1f}x {c_ratio} "
              f"{rate['blocked'] / rate['inplace']:15.2f}x")
    print(f"(the engine uses the blocked kernel from {engines.BLOCK_MIN_SITES} sites; "
          f"tile {engines.TILE}, depth {engines.DEPTH})")


# ----------------------------------------------------------------------- Monte Carlo --------

def mc():
    from entwined.numerics import montecarlo as m
    alpha = m.ConstantAlpha(0.5)
    m.sample(1000, 32, alpha, seed=1)                                 # load/compile
    n_fast, n_slow = 1_000_000, 100_000
    t1 = best(lambda: m.sample(n_fast, 32, alpha, seed=1, workers=1), 2)
    t2 = best(lambda: m.sample(n_fast, 32, alpha, seed=1, workers=2), 2)
    tn = best(lambda: m.sample_numpy(n_slow, 32, alpha, seed=1), 2)
    r1, r2, rn = n_fast / t1, n_fast / t2, n_slow / tn
    print("Monte Carlo, entwined paths of 32 steps, alpha = 1/2 (best of 2):")
    print(f"  NumPy oracle (vectorised, 50k-path chunks, 1 process): {rn:.3g} paths/s "
          f"({60 * rn:.3g}/min)")
    print(f"  kernel, 1 thread:  {r1:.3g} paths/s ({60 * r1:.3g}/min): {r1 / rn:.1f}x the oracle per core")
    print(f"  kernel, 2 threads: {r2:.3g} paths/s ({60 * r2:.3g}/min): {r2 / r1:.2f}x one thread")


# ------------------------------------------------------------------------- verify -----------

PHASES = r"""
import json, sys, threading, time
from collections import defaultdict
T0 = time.perf_counter()
import numpy
from entwined.numerics import convergence, consistency, engines, montecarlo, exact_process, jit
from entwined.numerics import envelope_product, joint_limit, nonrelativistic
T1 = time.perf_counter()
spent = defaultdict(float)          # on the main thread: adds to the run's wall time
behind = defaultdict(float)         # in verify's background thread, beside the main thread
def timed(mod, name, phase):
    fn = getattr(mod, name)
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            main = threading.current_thread() is threading.main_thread()
            (spent if main else behind)[phase] += time.perf_counter() - t
    setattr(mod, name, wrapper)
timed(montecarlo, "sample", "Monte Carlo (numerics/montecarlo.py)")
for name in ("expected_densities", "continuum_study"):
    if hasattr(exact_process, name):
        timed(exact_process, name, "exact evaluator (issue 11/13)")
for name in ("schroedinger_study", "kac_study", "invariants"):
    timed(convergence, name, "lattice studies (convergence.py)")
for module, name in ((nonrelativistic, "limit_study"), (joint_limit, "diffusive_route"),
                     (joint_limit, "kac_route"), (envelope_product, "product_history")):
    timed(module, name, "lattice studies (convergence.py)")
for name in ("one_step_expansion", "eight_step_generator", "kac_one_step", "kac_psi_one_step",
             "kac_second_order"):
    timed(consistency, name, "consistency studies (consistency.py)")
from entwined.cli import main
import contextlib, io
T2 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["verify", "--quiet"])
    except SystemExit:
        pass
T3 = time.perf_counter()
print(json.dumps({"import numerics": T1 - T0, "import cli": T2 - T1, "verify": T3 - T2,
                  "phases": dict(spent), "background": dict(behind)}))
"""


MEASURE = r"""
import os, subprocess, sys, time

def tree(pid):
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                for child in fh.read().split():
                    out += tree(int(child))
    except OSError:
        pass
    return out

def kib(pid, field):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

import tempfile
log = tempfile.TemporaryFile(mode="w+")     # read after the run: a full pipe would block it
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=log, text=True)
pss = rss = most = 0
while proc.poll() is None:           # every 20 ms: the process and all its children (workers, TeX)
    pids = tree(proc.pid)
    most = max(most, len(pids))
    pss = max(pss, sum(kib(p, "Pss") for p in pids))
    rss = max(rss, sum(kib(p, "Rss") for p in pids))
    time.sleep(0.02)
dt = time.perf_counter() - t0
log.seek(0)
err = log.read()
print(dt, pss / 1024, rss / 1024, most, proc.returncode)
sys.stderr.write(err[-400:])
"""


def _fresh(args, env=None):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, proc


def _timed(args, env):
    """Wall seconds of one fresh process, not watched: reading the memory of a process tree
    every 20 ms costs CPU, which on 2 cores showed as up to a second more per verify run, so
    times come from runs like this one and peak memory from separate runs of `_measured`."""
    wall, proc = _fresh(args, env)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: "
                           f"{proc.stderr.strip()[-200:]}")
    return wall


def _measured(args, env):
    """(wall s, peak memory MiB) of one fresh process: the largest sum, over the process and
    all its children at one moment (forked workers, TeX), of the proportional set size (PSS:
    a page shared by n processes counts 1/n in each, so shared pages are not counted twice).
    Sampled every 20 ms from /proc; the wall time of such a run includes the sampler's cost
    (see `_timed`)."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, *args],
                          capture_output=True, text=True, env=env)
    wall, pss, rss, most, rc = proc.stdout.split()
    if int(rc) not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {rc}: {proc.stderr.strip()[-200:]}")
    return float(wall), float(pss)


def machine_speed() -> float:
    """Seconds of a fixed pure-Python loop: this machine's speed at the moment, so figures
    taken at different times can be read against each other (on this 2-core VM it has varied
    between 1.8 and 2.4 s within an hour)."""
    t0 = time.perf_counter()
    s = 0
    for i in range(20_000_000):
        s += i
    return time.perf_counter() - t0


LOOP = ("import sys, time\nsys.path.insert(0, sys.argv[1])\nfrom run import machine_speed\n"
        "print(machine_speed())")


def both_cores_speed() -> float:
    """machine_speed() in two fresh processes at once, the slower of the two: what the second
    core gives at the moment (on this VM a run's CPU time for identical work has varied by a
    third within the hour)."""
    procs = [subprocess.Popen([sys.executable, "-c", LOOP, str(HERE)], stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    return max(float(p.communicate()[0]) for p in procs)


def _median(xs):
    return sorted(xs)[len(xs) // 2]


def verify(repeats=3):
    """Fresh processes, each with its own empty caches first (numba's and the derivation
    cache): the first run is what a new install sees, the next ones are warm."""
    cli = ["-m", "entwined.cli", "verify", "--quiet"]
    speed = machine_speed()
    print(f"machine speed (fixed Python loop, lower is faster): {speed:.2f} s; two at once, "
          f"one per core: {both_cores_speed():.2f} s")
    imp = [_fresh(["-c", "import entwined.cli"])[0] for _ in range(repeats)]
    print(f"import entwined.cli (fresh process, median of {repeats}): {_median(imp):.2f} s")
    def caches(numba_cache, derived):
        return dict(os.environ, NUMBA_CACHE_DIR=numba_cache,
                    ENTWINED_CACHE_DIR=str(Path(derived) / "entwined"))

    # times from unwatched runs, peak memory from separate watched ones (see _timed)
    with tempfile.TemporaryDirectory() as numba_cache, tempfile.TemporaryDirectory() as derived:
        env = caches(numba_cache, derived)
        cold = _timed(cli, env)
        with tempfile.TemporaryDirectory() as nc2, tempfile.TemporaryDirectory() as d2:
            cold_peak = _measured(cli, caches(nc2, d2))[1]    # a first run too: its own caches
        one_env = dict(env, ENTWINED_WORKERS="1")
        warm, alone = [], []            # alternating: forked workers (default), one process
        for _ in range(repeats):
            warm.append(_timed(cli, env))
            alone.append(_timed(cli, one_env))
        warm_peak, alone_peak = _measured(cli, env)[1], _measured(cli, one_env)[1]
        no_cache = [_timed(cli + ["--no-cache"], env) for _ in range(repeats)]
        sym = [_timed(cli + ["--no-numerics"], env) for _ in range(repeats)]
        with tempfile.TemporaryDirectory() as out:
            report_args = ["-m", "entwined.cli", "report", "--mutation", "--quiet", "--output",
                           str(Path(out) / "r.pdf")]
            report = _timed(report_args, env)
            report_peak = _measured(report_args, env)[1]
        # mutation alone, one process against the forked workers (core/forked.py), alternating
        mutate = ["-m", "entwined.cli", "mutate", "--quiet"]
        one, shared = [], []
        for _ in range(2):
            one.append(_timed(mutate, one_env))
            shared.append(_timed(mutate, env))
        one_peak, shared_peak = _measured(mutate, one_env)[1], _measured(mutate, env)[1]
        # one process: a forked worker's share of the checks would not be timed here
        _, proc = _fresh(["-c", PHASES], one_env)
    w = _median(warm)
    print("(times: unwatched fresh processes; peak memory: a separate run of the same command, "
          "the proportional set size summed over the process and its children, the forked "
          "workers and TeX included, sampled every 20 ms)")
    print(f"verify, cold (empty numba and derivation caches: the first run after install, JIT "
          f"compile included): {cold:.2f} s, peak {cold_peak:.0f} MiB (target 12 s: "
          f"{cold / 12:.2f}x)")
    print(f"verify, warm (fresh processes, median of {repeats}): {w:.2f} s, peak "
          f"{warm_peak:.0f} MiB (target 5 s: {w / 5:.2f}x)")
    a = _median(alone)
    print(f"verify, warm, one process (ENTWINED_WORKERS=1, alternating with the runs above): "
          f"{a:.2f} s, peak {alone_peak:.0f} MiB (forked workers: {a / w:.2f}x)")
    print(f"verify, warm, --no-cache (every derivation computed; kernels from numba's cache): "
          f"{_median(no_cache):.2f} s ({_median(no_cache) / w:.2f}x the cached run)")
    print(f"verify --no-numerics, warm (symbolic only): {_median(sym):.2f} s "
          f"(numerics {w - _median(sym):.2f} s over it)")
    print(f"report --mutation (warm, PDF built): {report:.2f} s, peak {report_peak:.0f} MiB "
          f"(target 25 s: {report / 25:.2f}x)")
    print(f"mutate (warm, best of 2 alternating): one process {min(one):.2f} s, "
          f"peak {one_peak:.0f} MiB; forked workers {min(shared):.2f} s, peak "
          f"{shared_peak:.0f} MiB ({min(one) / min(shared):.2f}x)")
    try:
        phases = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"verify phases: not measured ({proc.stderr.strip().splitlines()[-1:]})")
        return
    print(f"verify phases (one warm in-process run, one process, {phases['verify']:.2f} s "
          f"after imports of "
          f"{phases['import numerics']:.2f} s (numerics) + {phases['import cli']:.2f} s (cli)):")
    for name, sec in sorted(phases["phases"].items(), key=lambda kv: -kv[1]):
        print(f"  {name}: {sec:.2f} s")
    numeric = sum(phases["phases"].values())
    print(f"  everything else (symbolic checks, chain, output): {phases['verify'] - numeric:.2f} s")
    for name, sec in sorted(phases.get("background", {}).items(), key=lambda kv: -kv[1]):
        print(f"  beside those, in the background thread (not adding to the wall time unless a "
              f"check waits for it): {name}: {sec:.2f} s")
    latex()


def latex():
    """The report's LaTeX build: pictures drawn once in figure documents (report/figures.py)
    against the same source with its pictures inline, alternating, all numerics included."""
    from entwined.core.claims import load_claims
    from entwined.run.pipeline import verify as run_verify
    try:
        from entwined.report.build import _tex_tool, compile_pdf, render
    except ImportError as err:
        print(f"LaTeX: not measured ({err})")
        return
    run = run_verify(load_claims())
    t0 = time.perf_counter()
    tex = render(run, "bench", True)
    print(f"LaTeX source render: {time.perf_counter() - t0:.2f} s "
          f"({tex.count(chr(92) + 'begin{tikzpicture}')} pictures)")
    if not _tex_tool():
        print("LaTeX build: not measured (no latexmk/pdflatex)")
        return

    def inline():
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "report.tex").write_text(tex, encoding="utf-8")
            subprocess.run(_tex_tool(), cwd=tmp, capture_output=True, check=True)

    def placed():
        with tempfile.TemporaryDirectory() as tmp:
            compile_pdf(tex, Path(tmp) / "r.pdf")
    times = {"inline": [], "placed": []}
    for _ in range(2):
        for name, fn in (("inline", inline), ("placed", placed)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    a, b = min(times["inline"]), min(times["placed"])
    print(f"LaTeX build of the PDF (best of 2 alternating): pictures inline in every latexmk "
          f"pass {a:.2f} s; drawn once and placed {b:.2f} s ({a / b:.2f}x)")


# ---------------------------------------------------------------------- symbolic ------------

def symbolic():
    from entwined.derive import model
    from entwined.derive.diffusive import eight_step
    from entwined.checks.registry import Context, load_all
    from entwined.core.claims import load_claims
    from entwined.core import store
    store.disable()                      # time the derivations, not the disk cache

    from entwined.core import memo
    from entwined.derive import calculus

    def cold():
        store.forget()
        memo.clear_all()
        calculus._latex.cache_clear()
        calculus._text.cache_clear()
        model.alpha_taylor.cache_clear()
        eight_step.eight_step_jets.cache_clear()

    claims = load_claims()
    checks = load_all()
    by_section = {}
    for c in claims.claims:
        by_section.setdefault(c.section, []).append(c)

    def section(name):
        ctx = Context(claims=claims.by_id(), numerics=False)
        for c in by_section[name]:
            checks[c.id](c, ctx)

    t = best(lambda: eight_step.expand_generator(order=5), setup=cold)
    print(f"diffusive derivation: eight normalised steps, general v(z), PDE + delta^1 remainder: {t:.3f} s")
    for name in by_section:
        print(f"section {name}: every symbolic check (derivations + comparisons): "
              f"{best(lambda: section(name), setup=cold):.3f} s")


# ------------------------------------------------------------------ exact evaluator ---------

def exact():
    import math
    from entwined.numerics import exact_process as ep
    from entwined.numerics import montecarlo as m
    from entwined.checks.stochastic.potential import INVERSE_DELTAS
    study_t0 = time.perf_counter()
    # the study `entwined verify` runs for (5.stochastic-potential), at its deltas
    study = ep.continuum_study(math.sqrt(2), ep.PotentialAlpha, inverse_deltas=INVERSE_DELTAS)
    t_study = time.perf_counter() - study_t0
    r1 = study["readings"]["R1"]
    for h, n, sec in zip(r1["h"], r1["steps"], study["process_seconds"]):
        per = round(study["wavelength"] / h)
        alpha = ep.PotentialAlpha(ep.Cosine(study["amplitude"], study["wavelength"]), h,
                                  h * h / (2 * study["D"]), per)
        proc = ep.expected_densities(n + 1, alpha, period=per)
        print(f"exact process evaluator, delta = {h:.4f}: {n + 1} levels, "
              f"{proc['cell_updates']:.3g} cell updates, {proc['seconds']:.3f} s (charge only), "
              f"{sec:.3f} s (with occupation)")
    print(f"exact process evaluator: the continuum study verify runs (delta = 1/"
          f"{INVERSE_DELTAS[0]} ... 1/{INVERSE_DELTAS[-1]}) reaches {study['largest_steps']} steps; "
          f"whole study {t_study:.1f} s")
    t0 = time.perf_counter()
    ep.expected_densities(12, m.CanonicalAlpha(3.0, 19.0, 0.4), precision="fraction")
    print(f"exact process evaluator, Fraction mode, 12 levels: {time.perf_counter() - t0:.2f} s")


SECTIONS = {"lattice": lattice, "mc": mc, "verify": verify, "symbolic": symbolic, "exact": exact}


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    for name in names:
        print(f"== {name}")
        try:
            SECTIONS[name]()
        except Exception as err:          # one broken section must not hide the others
            print(f"{name}: failed ({type(err).__name__}: {err})")


if __name__ == "__main__":
    main()
