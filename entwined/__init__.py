"""entwined: a symbolic-plus-numeric verifier of Ord & Mann, "Entwined Pairs and Schroedinger's
Equation" (arXiv quant-ph/0206095).

From Python or a notebook::

    import entwined
    claims = entwined.load_claims()                 # the bundled transcription (or a path)
    run = entwined.verify(claims, only={"13", "14"}, numerics=False)
    run                                             # a table in Jupyter
    run["13"].verdict, run["13"].outcome.evidence

`verify` returns a `Run` of `Result`s; claims and results display as LaTeX/HTML in Jupyter.
"""
from __future__ import annotations

from importlib import metadata

from entwined.core.claims import Claim, ClaimSet, load_claims
from entwined.core.verdicts import Verdict
from entwined.run.pipeline import Result, Run, verify

try:
    __version__ = metadata.version("entwined")
except metadata.PackageNotFoundError:       # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["Claim", "ClaimSet", "Result", "Run", "Verdict", "load_claims", "verify",
           "__version__"]
