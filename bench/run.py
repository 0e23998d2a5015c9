"""Print timing figures (seconds, best of 3, caches cleared before each repeat, after imports):
the diffusive derivation with general v(z) and its first remainder term, each section's
symbolic checks, and the report render without numerics."""
import time

from entwined.derive import model
from entwined.derive.diffusive import eight_step
from entwined.checks.registry import Context, load_all
from entwined.core.claims import load_claims


def cold():
    model.alpha_taylor.cache_clear()
    eight_step.eight_step_jets.cache_clear()


def best(fn, n=3):
    times = []
    for _ in range(n):
        cold()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    claims = load_claims()
    checks = load_all()
    by_section = {}
    for c in claims.claims:
        by_section.setdefault(c.section, []).append(c)

    def section(name):
        ctx = Context(claims=claims.by_id(), numerics=False)
        for c in by_section[name]:
            checks[c.id](c, ctx)

    t = best(lambda: eight_step.expand_generator(order=5))
    print(f"diffusive derivation: eight normalised steps, general v(z), PDE + delta^1 remainder: {t:.3f} s")
    for name in by_section:
        print(f"section {name}: every symbolic check (derivations + comparisons): "
              f"{best(lambda: section(name)):.3f} s")

    import subprocess
    import sys
    code = ("import time, sympy\nfrom entwined.checks.registry import Context, load_all\n"
            "from entwined.core.claims import load_claims\ncl = load_claims(); checks = load_all()\n"
            "ctx = Context(claims=cl.by_id(), numerics=False)\nt0 = time.perf_counter()\n"
            "[checks[c.id](c, ctx) for c in cl.claims if c.section == 'diffusive-scaling']\n"
            "print(time.perf_counter() - t0)")
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    print(f"section diffusive-scaling, first run in a fresh process (includes SymPy's first-call "
          f"costs): {float(cold):.3f} s")

    from entwined.run.pipeline import verify
    from entwined.report.build import render
    run = verify(claims, numerics=False)
    print(f"report render (LaTeX source, no numerics): {best(lambda: render(run, 'bench', True)):.3f} s")
    import tempfile
    from pathlib import Path
    from entwined.report.build import _tex_tool, compile_pdf
    if _tex_tool():
        tex = render(run, "bench", True)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            compile_pdf(tex, Path(tmp) / "r.pdf")
            print(f"report LaTeX build (no numerics): {time.perf_counter() - t0:.2f} s")

    from entwined.numerics.engines import Lattice, roll_baseline
    import numpy as np
    rng = np.random.default_rng(0)
    n, steps = 10_000, 400
    u, alpha = rng.standard_normal((2, n)), rng.uniform(0.2, 0.8, n)
    lat = Lattice(alpha)
    t_engine = best(lambda: lat.run(u, steps))
    t_roll = best(lambda: roll_baseline(u, alpha, steps))
    from entwined.numerics import ckernel
    print(f"lattice throughput, {n} sites ({ckernel.status()}): engine {n * steps / t_engine:.3g} site-updates/s, "
          f"np.roll baseline {n * steps / t_roll:.3g} site-updates/s, ratio {t_roll / t_engine:.2f}x")

    from entwined.numerics import montecarlo as mc
    n_paths = 1_000_000
    t0 = time.perf_counter()
    mc.sample(n_paths, 32, mc.ConstantAlpha(0.5), seed=1)
    t_mc = time.perf_counter() - t0
    print(f"Monte Carlo: {n_paths} entwined paths of 32 steps on 2 workers in {t_mc:.1f} s "
          f"({n_paths / t_mc:.3g} paths/s, {60 * n_paths / t_mc:.3g} per minute)")

    from entwined.cli import main as cli_main
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        cli_main(["verify"])
        t_verify = time.perf_counter() - t0
    print(f"entwined verify (symbolic and numeric, default): {t_verify:.1f} s")

    # exact evaluator of the process (numerics/exact_process.py): cost per delta of the
    # default continuum study, float64, charge and occupation passes, both envelopes
    import math
    from entwined.numerics import exact_process as ep
    study_t0 = time.perf_counter()
    study = ep.continuum_study(math.sqrt(2), ep.PotentialAlpha)
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
    print(f"exact process evaluator: default continuum study reaches {study['largest_steps']} steps; "
          f"whole study {t_study:.1f} s")
    t0 = time.perf_counter()
    ep.expected_densities(12, mc.CanonicalAlpha(3.0, 19.0, 0.4), precision="fraction")
    print(f"exact process evaluator, Fraction mode, 12 levels: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
