"""Every file the tool writes goes through here, so a previous output is never destroyed.

- `check_target` runs BEFORE any long work: a bad path fails in a second, not after minutes,
  and it neither creates, truncates nor deletes the target (the old output stays as it was).
- `write_atomic` / `replace_with` stage the new content in a uniquely named temporary file in
  the target's folder and `os.replace` it onto the target only after it is complete and synced:
  a failed or interrupted run leaves the old file byte-identical and no temporary behind, and
  concurrent runs to one path never see each other's half-written data (the last one wins).
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from entwined.core.errors import EntwinedError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"))


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _refuse_special(target: Path) -> None:
    """A directory, device (/dev/null), FIFO or socket is never replaced: replacing /dev/null
    as root would break the system, and writing into a FIFO would block."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise EntwinedError(f"cannot write {target}: {err.strerror}; choose another output "
                            "path") from None
    for test, kind in _KINDS:
        if test(mode):
            raise EntwinedError(f"output path {target} is {kind}, not a regular file; give a "
                                "file name for the output")


def check_target(path) -> None:
    """Refuse, before the work, a target that is not a regular file or whose folder cannot be
    created or written.  Only looks: the nearest existing ancestor must be a writable folder
    (os.access, since root passes permission checks; a read-only file system still fails)."""
    target = Path(path)
    _refuse_special(target)
    folder = _folder(target).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise EntwinedError(f"cannot write {target}: {folder} is not a folder; choose another "
                            "output path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EntwinedError(f"cannot write {target}: folder {folder} is not writable; choose a "
                            "writable output path")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _install(path, fill) -> None:
    """Stage via fill(binary file), fsync, give the mode a plain open() would (mkstemp makes
    0600), re-check the target, then replace; on any failure (or Ctrl-C) drop the temp file."""
    target = Path(path)
    check_target(target)
    folder = _folder(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name[:80]}.", suffix=".tmp")
    except OSError as err:
        raise EntwinedError(f"cannot write to {folder}: {err.strerror}; choose a writable "
                            "output path") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        _refuse_special(target)
        os.replace(tmp, target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise EntwinedError(f"cannot write {target}: {err.strerror}; choose a writable "
                                "output path") from None
        raise


def write_atomic(path, data: str | bytes) -> None:
    """Replace `path` by `data` (text is written as UTF-8) all at once, or not at all."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _install(path, lambda fh: fh.write(raw))


def replace_with(path, staged_file) -> None:
    """Replace `path` by a copy of `staged_file` (which may be on another file system)."""
    def fill(fh):
        with open(staged_file, "rb") as src:
            shutil.copyfileobj(src, fh)
    _install(path, fill)
