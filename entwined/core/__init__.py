"""The core every layer may use: the claims as data, the notation, the lattice rules, verdicts,
errors, the safe formula parser, the LaTeX printer and safe output files.  It imports nothing
from the layers above it."""
