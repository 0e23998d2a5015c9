"""Print timing figures (seconds, best of 3, caches cleared before each repeat, after imports):
the diffusive derivation with general v(z) and its first remainder term, each section's
symbolic checks, and the report render without numerics."""
import time

from derive import model
from derive.diffusive import eight_step
from derive.registry import Context, load_all
from entwined.claims import load_claims


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

    from entwined.pipeline import verify
    from report.build import render
    run = verify(claims, numerics=False)
    print(f"report render (LaTeX source, no numerics): {best(lambda: render(run, 'bench', True)):.3f} s")


if __name__ == "__main__":
    main()
