"""User-facing errors: each carries one line that names the problem and the way out."""


class EntwinedError(Exception):
    """Bad input or a failed run; the CLI prints str(err) on one line and exits 2."""


class ClaimError(EntwinedError):
    """A malformed entry in a claims file."""
