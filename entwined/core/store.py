"""Claim-independent derivations kept on disk between runs.

Why: the model's own expansions (eight normalised steps to order delta^6, the psi system of (21),
the Klein-Gordon substitution ...) do not depend on any claims file, yet they are most of a run's
symbolic time.  They are deterministic functions of their arguments, of the code that derives
them and of SymPy, so a result computed once can be reused by the next run exactly as
`functools.lru_cache` reuses it inside one run.

What keeps that honest:
- the key of every entry is the function, its arguments (SymPy `srepr`, so assumptions count)
  and a digest of every source file of the function's package (`entwined.derive`) and of
  `entwined.core`, plus the Python, SymPy and pickle versions: editing a derivation, or upgrading SymPy, starts a new cache;
- arguments without a stable textual form are never looked up on disk (they are computed);
- pickles can run code, so every entry is signed (HMAC-SHA256 over its key and contents) with
  a random key kept outside the cache directory, readable by this user only
  (`key_path()`): an entry this user's entwined did not write, say one unpacked or restored
  into the cache, is never unpickled.  A cache directory or entry that is not this user's or
  that others may write to is not read either;
- an absent, altered or corrupt entry is computed again and rewritten (to a temporary file,
  then renamed, so a reader never sees half an entry);
- the digest covers the code on disk, not code patched at run time: a session that replaces a
  function of `entwined.derive` or `entwined.core` (a notebook experiment with the rules) must
  run with the cache off, or it would keep its results under the real code's key;
- `ENTWINED_CACHE=off` (or `entwined --no-cache`) computes everything; a run records how many
  derivations it loaded and computed (`stats`), and the report prints that.

Directory: `$ENTWINED_CACHE_DIR`, else `$XDG_CACHE_HOME/entwined`, else `~/.cache/entwined`.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import os
import pickle
import secrets
import stat
import sys
import tempfile
from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef

_state = {"enabled": os.environ.get("ENTWINED_CACHE", "on").lower() not in ("off", "0", "no")}
_counts = {"loaded": 0, "computed": 0, "unsafe_dir": False}
_WRAPPERS: list = []


def disable() -> None:
    """Compute every derivation in this process (`--no-cache`)."""
    _state["enabled"] = False


def enabled() -> bool:
    return _state["enabled"]


def stats() -> dict:
    """How this process obtained its derivations: for the run's provenance."""
    return {"enabled": enabled(), "directory": str(base_directory()) if enabled() else None,
            "loaded": _counts["loaded"], "computed": _counts["computed"],
            "refused_unsafe_directory": _counts["unsafe_dir"]}


def counts() -> dict:
    """This process's derivation counters so far (a forked worker reports its share with
    `counts_since` and the parent adds it with `add_counts`)."""
    return {"loaded": _counts["loaded"], "computed": _counts["computed"]}


def counts_since(before: dict) -> dict:
    now = counts()
    return {k: now[k] - before.get(k, 0) for k in now}


def add_counts(delta: dict) -> None:
    for k in ("loaded", "computed"):
        _counts[k] += int(delta.get(k, 0))


def base_directory() -> Path:
    base = os.environ.get("ENTWINED_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "entwined" if xdg else Path.home() / ".cache" / "entwined"


def directory(package: str) -> Path:
    return base_directory() / f"derivations-{code_digest(package)[:20]}"


@functools.lru_cache(maxsize=None)
def code_digest(package: str) -> str:
    """Digest of what a derivation's result depends on besides its arguments: the sources of
    the package that defines it (already imported, since it is calling) and of this one."""
    h = hashlib.sha256()
    h.update(f"{sys.version_info[:2]} sympy {sp.__version__} pickle {pickle.HIGHEST_PROTOCOL}"
             .encode())
    for root in sorted({Path(sys.modules[package].__file__).parent, Path(__file__).parent}):
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def stable_text(value) -> str | None:
    """A textual form that determines the value (None: no such form; not cached on disk)."""
    if isinstance(value, sp.Basic):
        # srepr omits the assumptions of an undefined function (Function('f', real=True))
        undefined = sorted((f.func.__name__, sorted((k, v) for k, v in
                            f.func.default_assumptions.items() if v is not None))
                           for f in value.atoms(AppliedUndef))
        return sp.srepr(value) + (repr(undefined) if undefined else "")
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, (tuple, list)):
        parts = [stable_text(v) for v in value]
        return None if None in parts else f"{type(value).__name__}({', '.join(parts)})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [stable_text(getattr(value, f.name)) for f in dataclasses.fields(value)]
        if None in parts:
            return None
        return f"{type(value).__module__}.{type(value).__qualname__}({', '.join(parts)})"
    return None


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def key_path() -> Path:
    """The signing key: outside the cache directory (a restored or unpacked cache brings no key
    with it), in $XDG_CONFIG_HOME/entwined (default ~/.config/entwined)."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "entwined" / "derivation-cache.key"


def _signing_key() -> bytes | None:
    """32 random bytes made on first use, readable by this user only; None: no usable key (the
    cache is then not used at all)."""
    if "key" in _state:
        return _state["key"]
    path, key = key_path(), None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        st = path.stat()
        if st.st_uid == os.getuid() and not st.st_mode & 0o077:
            key = path.read_bytes()
            key = key if len(key) == 32 else None
    except OSError:
        key = None
    if key is None:
        _counts["unsafe_dir"] = True
    _state["key"] = key
    return key


def _usable_directory(package: str) -> Path | None:
    where = directory(package)
    try:
        where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)   # 0700 whatever the umask
        where.mkdir(exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not _private(where) or not _private(where.parent):
        _counts["unsafe_dir"] = True
        return None
    return where


def _signature(key: bytes, label: str, payload: bytes) -> bytes:
    return hmac.new(key, label.encode() + b"\0" + payload, hashlib.sha256).digest()


def _load(path: Path, key: bytes, label: str):
    """(value,) from an entry this user's key signed for this call; None for anything else
    (absent, foreign, altered, corrupt: computed again).  Nothing unsigned is unpickled."""
    if not path.exists() or not _private(path):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mac, payload = data[:32], data[32:]
    if len(mac) != 32 or not hmac.compare_digest(mac, _signature(key, label, payload)):
        return None
    try:
        return (pickle.loads(payload),)
    except (pickle.UnpicklingError, EOFError, ImportError, AttributeError, IndexError,
            TypeError, ValueError):   # signed, but by an incompatible build: compute again
        return None


def _save(path: Path, key: bytes, label: str, value) -> None:
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return                          # not picklable: just not kept
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(_signature(key, label, payload) + payload)
        os.replace(tmp, path)
        tmp = None
    except OSError:                     # a full disk or a vanished directory: just not kept
        pass
    finally:                            # also on Ctrl-C or a check's timeout: no stray files
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def persistent(fn):
    """Like `functools.lru_cache(maxsize=None)`, and kept on disk across runs (see above)."""
    memory: dict = {}
    name = f"{fn.__module__}.{fn.__qualname__}"
    package = ".".join(fn.__module__.split(".")[:2])

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        call = (args, tuple(sorted(kwargs.items())))
        text = stable_text(call)
        key = text if text is not None else call
        if key in memory:
            return memory[key]
        signing = _signing_key() if (enabled() and text is not None) else None
        where = _usable_directory(package) if signing is not None else None
        path, label = None, f"{name}{text}"
        if where is not None:
            path = where / (hashlib.sha256(label.encode()).hexdigest()[:32] + ".pickle")
            found = _load(path, signing, label)
            if found is not None:
                _counts["loaded"] += 1
                memory[key] = found[0]
                return found[0]
        value = fn(*args, **kwargs)
        _counts["computed"] += 1
        if path is not None:
            _save(path, signing, label, value)
        memory[key] = value
        return value

    wrapper.cache_clear = memory.clear
    _WRAPPERS.append(wrapper)
    return wrapper


def forget() -> None:
    """Drop what this process holds in memory, so the next calls read the disk (tests)."""
    for wrapper in _WRAPPERS:
        wrapper.cache_clear()
