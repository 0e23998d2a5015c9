"""Print timing figures (seconds, best of 3): the diffusive section's symbolic work with general
v(z) and the first remainder term, the Kac section, and the report render without numerics."""
import time

from derive.registry import Context, load_all
from entwined.claims import load_claims


def best(fn, n=3):
    times = []
    for _ in range(n):
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

    from derive.diffusive.eight_step import expand_generator
    print(f"eight-step expansion, general v(z), generator + delta^1 remainder (order 5): "
          f"{best(lambda: expand_generator(order=5)):.3f} s")
    for name in by_section:
        print(f"section {name}, all symbolic checks: {best(lambda: section(name)):.3f} s")

    from entwined.pipeline import verify
    from report.build import render
    run = verify(claims, numerics=False)
    print(f"report render (LaTeX source, no numerics): {best(lambda: render(run, 'bench', True)):.3f} s")


if __name__ == "__main__":
    main()
