"""Property tests of the lattice map (Hypothesis): linearity, unitarity at v = 0, float = exact."""
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from entwined.derive import model
from entwined.numerics.engines import Lattice, run_exact

sizes = st.integers(min_value=3, max_value=16)
dyadic = st.integers(min_value=-64, max_value=64).map(lambda k: k / 64)
probability = st.integers(min_value=0, max_value=16).map(lambda k: k / 16)


@st.composite
def lattices(draw):
    n = draw(sizes)
    u = np.array([[draw(dyadic) for _ in range(n)] for _ in range(2)])
    w = np.array([[draw(dyadic) for _ in range(n)] for _ in range(2)])
    alpha = np.array([draw(probability) for _ in range(n)])
    env = draw(st.sampled_from([model.LEFT, model.RIGHT]))
    periodic = draw(st.booleans())
    return u, w, alpha, env, periodic


@settings(max_examples=60, deadline=None)
@given(lattices(), dyadic, dyadic, st.integers(min_value=0, max_value=12))
def test_map_is_linear(lat, p, q, steps):
    u, w, alpha, env, periodic = lat
    L = Lattice(alpha, env, periodic)
    lhs = L.run(p * u + q * w, steps)
    rhs = p * L.run(u, steps) + q * L.run(w, steps)
    assert np.allclose(lhs, rhs, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(lattices(), st.integers(min_value=1, max_value=40))
def test_normalised_map_conserves_norm_at_zero_potential(lat, steps):
    u, _, _, env, _ = lat
    n = u.shape[1]
    out = Lattice(np.full(n, 0.5), env, periodic=True).run(u, steps, scale=np.sqrt(2))
    assert abs(np.sum(out**2) - np.sum(u**2)) <= 1e-12 * max(1.0, np.sum(u**2))


@settings(max_examples=40, deadline=None)
@given(lattices(), st.integers(min_value=0, max_value=10))
def test_float_engine_equals_exact_rational(lat, steps):
    u, _, alpha, env, periodic = lat
    exact = run_exact(u, [Fraction(a) for a in alpha], steps, env, periodic)
    ex = np.array([[float(x) for x in row] for row in exact])
    assert np.allclose(Lattice(alpha, env, periodic).run(u, steps), ex, rtol=0, atol=1e-12)
