"""Lattice engines agree with each other; kernels and studies can say no."""
import os
from fractions import Fraction

import numpy as np
import pytest

from entwined.derive import model
from entwined.core.errors import EntwinedError
from entwined.numerics import convergence, engines, jit, kernels, reference
from entwined.numerics.engines import Lattice, fourier_propagate, roll_baseline, run_exact, run_mpmath


@pytest.mark.parametrize("env", [model.LEFT, model.RIGHT])
@pytest.mark.parametrize("periodic", [True, False])
def test_float_engine_matches_exact_rational(env, periodic):
    rng = np.random.default_rng(7)
    u = rng.integers(-9, 9, (2, 11)).astype(float) / 8
    alpha = rng.integers(1, 8, 11) / 8            # dyadic: exactly representable
    exact = run_exact(u, [Fraction(a) for a in alpha], 25, env, periodic)
    fl = Lattice(alpha, env, periodic).run(u, 25)
    ex = np.array([[float(x) for x in row] for row in exact])
    assert np.max(np.abs(fl - ex)) <= 1e-14 * max(1.0, np.max(np.abs(ex)))


def test_mpmath_engine_matches_float_to_rounding():
    rng = np.random.default_rng(3)
    u, alpha = rng.standard_normal((2, 9)), rng.uniform(0.2, 0.8, 9)
    hp = np.array([[float(x) for x in row] for row in run_mpmath(u, alpha, 40)])
    assert np.max(np.abs(hp - Lattice(alpha).run(u, 40))) < 1e-12


def test_fourier_propagation_matches_direct_iteration():
    rng = np.random.default_rng(5)
    u = rng.standard_normal((2, 64))
    direct = Lattice(np.full(64, 0.3)).run(u, 101, scale=1.1)
    assert np.max(np.abs(fourier_propagate(u, 0.3, 0.1, 101, scale=1.1) - direct)) < 1e-9


def test_roll_baseline_is_the_same_map():
    rng = np.random.default_rng(2)
    u, alpha = rng.standard_normal((2, 50)), rng.uniform(0, 1, 50)
    assert np.allclose(roll_baseline(u, alpha, 13), Lattice(alpha).run(u, 13))


def test_normalised_map_is_unitary_at_zero_potential():
    rng = np.random.default_rng(11)
    u = rng.standard_normal((2, 40))
    out = Lattice(np.full(40, 0.5)).run(u, 64, scale=np.sqrt(2))
    assert abs(np.sum(out**2) / np.sum(u**2) - 1) < 1e-12


def test_bad_lattice_input_is_refused():
    with pytest.raises(EntwinedError, match="alpha"):
        Lattice(np.array([0.5, 1.5, 0.5]))
    with pytest.raises(EntwinedError, match="integer"):
        Lattice(np.full(5, 0.5)).run(np.zeros((2, 5)), 2.5)


def test_lattice_converges_to_schroedinger_at_first_order():
    study = convergence.schroedinger_study(True, quick=True)
    assert study["passes"] and study["reference_error"] < 1e-10
    assert 0.8 < study["observed_order"][-1] < 1.6


def test_wrong_kernel_is_caught_by_the_numeric_check_alone():
    """A flipped sign of the potential in the derived PDE fails the eight-step consistency study."""
    import sympy as sp
    from entwined.derive.diffusive.eight_step import expand_generator
    from entwined.numerics.consistency import eight_step_generator
    gen, _ = expand_generator(order=4)
    good = eight_step_generator(gen, model.LEFT, 1.0, quick=True)
    v = sp.Function("v")(sp.Symbol("z", real=True))
    bad = {k: g.subs(v, -v) for k, g in gen.items()}
    wrong = eight_step_generator(bad, model.LEFT, 1.0, quick=True)
    assert good["passes"] and not wrong["passes"]


def test_kac_lattice_rejects_printed_18_and_accepts_derived():
    study = convergence.kac_study(quick=True)
    assert not study["passes"] and study["derived"]["passes"]
    assert min(study["error"]) > 0.1


def _kernel_ran(name, before):
    """The compiled kernel `name` ran since `before` (a CALLS count) as numba machine code;
    under NUMBA_DISABLE_JIT (no machine code) the test is skipped with that reason."""
    if not jit.compiled(name):
        pytest.skip(f"numba did not compile {name} (NUMBA_DISABLE_JIT={os.environ.get('NUMBA_DISABLE_JIT')})")
    assert jit.CALLS[name] > before, f"{name} never ran: the oracle was compared with itself"


@pytest.mark.parametrize("env", [model.LEFT, model.RIGHT])
@pytest.mark.parametrize("periodic", [True, False])
def test_compiled_loop_gives_the_numpy_bits(env, periodic):
    rng = np.random.default_rng(4)
    u, alpha = rng.standard_normal((2, 301)), rng.uniform(0, 1, 301)
    lat = Lattice(alpha, env, periodic)
    before = jit.CALLS["lattice_inplace"]
    for steps in (1, 2, 9, 64):
        for scale in (1.0, 1.3):
            assert np.array_equal(lat.run(u, steps, scale=scale),
                                  lat.run(u, steps, scale=scale, compiled=False))
    _kernel_ran("lattice_inplace", before)


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n, tile, depth, steps", [
    (11, 3, 2, 7), (11, 5, 11, 23), (11, 2, 40, 9), (64, 7, 5, 33), (301, 64, 16, 50),
    (301, 1, 3, 4), (1000, 256, 32, 97)])
def test_temporally_blocked_loop_gives_the_numpy_bits(monkeypatch, periodic, n, tile, depth, steps):
    """Tiles shorter than the halo, a last tile shorter than the others, depth above n and step
    counts that are not a multiple of the depth: every site keeps the NumPy bits."""
    monkeypatch.setattr(engines, "BLOCK_MIN_SITES", 1)
    monkeypatch.setattr(engines, "TILE", tile)
    monkeypatch.setattr(engines, "DEPTH", depth)
    rng = np.random.default_rng(n + steps)
    u, alpha = rng.standard_normal((2, n)), rng.uniform(0, 1, n)
    lat = Lattice(alpha, model.RIGHT, periodic)
    before = jit.CALLS["lattice_blocked"]
    assert np.array_equal(lat.run(u, steps, scale=0.9), lat.run(u, steps, scale=0.9, compiled=False))
    _kernel_ran("lattice_blocked", before)


def test_large_lattice_takes_the_blocked_kernel():
    n = engines.BLOCK_MIN_SITES + 17
    rng = np.random.default_rng(1)
    u, alpha = rng.standard_normal((2, n)), rng.uniform(0, 1, n)
    before = jit.CALLS["lattice_blocked"]
    lat = Lattice(alpha)
    assert np.array_equal(lat.run(u, 40, scale=1.1), lat.run(u, 40, scale=1.1, compiled=False))
    _kernel_ran("lattice_blocked", before)


def test_chunked_calls_give_the_same_bits():
    rng = np.random.default_rng(7)
    u, a = rng.standard_normal((2, 11)), rng.random(11)
    whole = engines.compiled_run(u, a, (1, -1), 37, True, 0.7)
    for chunk in (1, 2, 3, 8):
        assert np.array_equal(engines.compiled_run(u, a, (1, -1), 37, True, 0.7,
                                                   chunk_work=chunk * 11), whole)


def test_missing_numba_is_a_clear_error():
    """numba is a hard dependency: no silent NumPy fallback, an ImportError that says why."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['numba'] = None\n"
            "try:\n    import entwined.numerics.engines\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and "needs numba" in out.stdout, out.stdout + out.stderr


def test_no_run_time_c_build_is_left():
    """No module of numerics/ builds or loads native code at run time (numba's cache aside)."""
    import inspect
    import pkgutil
    import entwined.numerics as package
    from entwined.numerics import jit
    for mod in pkgutil.iter_modules(package.__path__):
        text = inspect.getsource(__import__(f"entwined.numerics.{mod.name}", fromlist=["x"]))
        assert "ctypes" not in text and "subprocess" not in text, mod.name
    assert jit.status().startswith("numba")


def test_split_step_reference_matches_the_eigendecomposition_at_fourth_order():
    psi0 = convergence.packet(convergence.grid(128))
    args = (psi0, convergence.LENGTH, convergence.D, convergence.potential, 1.0)
    exact = reference.schroedinger_potential_eigh(*args)
    errs = [np.max(np.abs(reference.schroedinger_split(*args, steps=m) - exact)) for m in (16, 32, 64)]
    assert errs[-1] < 1e-7
    for coarse, fine in zip(errs, errs[1:]):
        assert 12 < coarse / fine < 20           # 2^4 = 16: fourth order in the step
    assert np.max(np.abs(reference.schroedinger_potential(*args, method="split")
                         - reference.schroedinger_potential(*args, method="eigh"))) < 1e-9


def test_claim_independent_studies_are_computed_once_and_handed_out_as_copies():
    first = convergence.schroedinger_study(True, quick=True)
    first["error"][0] = -1.0
    first["passes"] = "tampered"
    again = convergence.schroedinger_study(True, quick=True)
    assert again["passes"] is True and again["error"][0] > 0
    assert convergence._schroedinger_study.cache_info().hits >= 1
    inv = convergence.invariants(quick=True)
    inv["v = 0"]["max_relative_drift"].append(1.0)
    assert 1.0 not in convergence.invariants(quick=True)["v = 0"]["max_relative_drift"]
    assert convergence.normaliser() == np.sqrt(2) or abs(convergence.normaliser() - np.sqrt(2)) < 1e-15
    assert convergence.normaliser.cache_info().hits >= 1


def test_mpmath_kernel_agrees_with_numpy_kernel():
    import mpmath
    import sympy as sp
    from entwined.derive.diffusive.eight_step import expand_generator
    from entwined.numerics import testdata
    gen, _ = expand_generator(order=4)
    gen = {k: g.xreplace({sp.Symbol("D", positive=True): sp.Rational(1, 2)}) for k, g in gen.items()}
    fields = dict(zip(gen, testdata.FIELDS))
    fast = kernels.generator_kernel(gen, fields, testdata.POTENTIAL)
    precise = kernels.generator_kernel(gen, fields, testdata.POTENTIAL, modules="mpmath")
    with mpmath.workdps(40):
        for zval in (-1.3, 0.0, 0.7):
            hp = precise(mpmath.mpf(zval))
            lo = fast(np.array([zval]))
            assert all(abs(float(h) - l[0]) < 1e-12 for h, l in zip(hp, lo))


def test_lattice_keeps_conjugate_envelopes_conjugate():
    """phi_3 = -phi_1, phi_4 = phi_2 at t = 0 stays so at every step (with a potential), so
    sum psi_L psi_R is the l2 norm the invariants study measures."""
    rng = np.random.default_rng(9)
    u, alpha = rng.standard_normal((2, 64)), rng.uniform(0.2, 0.8, 64)
    left = Lattice(alpha, model.LEFT).run(u, 40)
    right = Lattice(alpha, model.RIGHT).run(np.array([-u[0], u[1]]), 40)
    assert np.array_equal(right[0], -left[0]) and np.array_equal(right[1], left[1])


def test_kernel_of_13_on_a_plane_wave_is_hand_checkable():
    """d/dt phi_1 = D phi_2'' - v phi_2 with phi_2 = sin(k z), v = const: -(D k^2 + v) sin(k z)."""
    import sympy as sp
    from entwined.derive.diffusive.eight_step import expand_generator
    from entwined.core import notation as N
    gen, _ = expand_generator(order=4)
    z = N.z
    kern = kernels.generator_kernel({k: g.xreplace({N.D: sp.Rational(1, 2)}) for k, g in gen.items()},
                                    {"phi1": sp.cos(3 * z), "phi2": sp.sin(3 * z)}, sp.Integer(2))
    zz = np.linspace(-1, 1, 7)
    out = kern(zz)
    assert np.allclose(out[0], -(0.5 * 9 + 2) * np.sin(3 * zz))
    assert np.allclose(out[1], (0.5 * 9 + 2) * np.cos(3 * zz))


def test_kernels_are_memoised_by_formula_and_a_different_formula_builds_a_new_one():
    import sympy as sp
    from entwined.core import notation as N
    from entwined.numerics import testdata
    z = N.z
    gen = {"phi1": sp.Function("phi2")(z, N.t).diff(z, 2), "phi2": -sp.Function("phi1")(z, N.t)}
    fields = {"phi1": sp.cos(3 * z), "phi2": sp.sin(3 * z)}
    first = kernels.generator_kernel(gen, fields, testdata.POTENTIAL)
    hits = kernels.generator_kernel.hits
    again = kernels.generator_kernel(dict(gen), dict(fields), testdata.POTENTIAL)
    assert again is first and kernels.generator_kernel.hits == hits + 1
    other = kernels.generator_kernel({**gen, "phi2": sp.Function("phi1")(z, N.t)}, fields,
                                     testdata.POTENTIAL)
    zz = np.linspace(-1, 1, 5)
    assert np.allclose(first(zz)[1], -np.cos(3 * zz)) and np.allclose(other(zz)[1], np.cos(3 * zz))
    assert np.allclose(first(zz)[0], -9 * np.sin(3 * zz))
