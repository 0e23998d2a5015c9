"""Smooth, bounded test data shared by every numeric study (fixed, so runs are reproducible)."""
import sympy as sp

from entwined.core import notation as N

z = N.z
FIELDS = (sp.exp(-z**2 / 2) * sp.cos(2 * z),
          sp.exp(-z**2 / 2) * sp.sin(z) + sp.Rational(3, 10) * sp.exp(-(z - 1)**2))
POTENTIAL = sp.cos(z) + sp.Rational(1, 2) * sp.sin(2 * z)
D_VALUE = sp.Rational(1, 2)
DELTAS = (0.2, 0.1, 0.05, 0.025, 0.0125)
GRID = (-4.0, 4.0, 161)
