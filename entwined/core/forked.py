"""Independent pieces of work shared between this process and forked copies of it.

Why: mutation testing checks about 300 mutants, each independent of the others, and spends
nearly all of its time in pure-Python SymPy, which threads cannot share (the GIL).  A forked
copy starts with everything this process already holds (imports, derivations, and compiled
kernels if they are loaded; verify forks before loading them and keeps the claims that need
them here) and shares its memory pages until it writes to them, so a second core costs no
start-up and little memory.

How:
- the piece numbers are written into a pipe before the fork; every process reads the next
  number (a 4-byte read from a pipe is one record), so a slow piece never leaves a core idle;
- a worker sends each finished piece back (pickled, length-prefixed) as soon as it is done; a
  reader thread here drains the pipe so a worker never waits for us (and only stores bytes:
  results are unpickled on the calling thread);
- a result is sent only if it survives the pickle unchanged (`structural_digest` before and
  after, in the worker); one that would not (a SymPy expression kept unevaluated for display
  comes back evaluated) is done again here, so a result never depends on who computed it;
- a worker that dies (a crash, a signal) loses nothing: every piece not delivered by a worker
  is done here afterwards; a piece that fails with an exception in a worker is done here too,
  so its error is this process's, reported as usual;
- workers never write to stdout/stderr, run no atexit handler and flush no inherited buffer
  (`os._exit`); an interrupt or an error here kills and reaps them, so none outlives the call;
- results are returned in piece order, whoever computed them: the outcome does not depend on
  the number of processes (tests compare one process against several).

Without `os.fork` (Windows), with one usable CPU, with `ENTWINED_WORKERS=1`, while other Python
threads run (a notebook kernel's, say: a fork would copy the locks they hold) or for more
pieces than the queue pipe holds, every piece is done here, in order; if the system refuses a
fork, the workers already started share the work.  A worker whose parent was killed (SIGTERM,
SIGKILL: no `finally` runs) stops before its next piece.

Not guarded: a worker that never finishes a piece (a check without a time budget that hangs)
is waited for, as that piece would be in one process.  Only pieces whose work is a deterministic function of the piece and of
the process state at the fork may be shared so."""
from __future__ import annotations

import dataclasses
import enum
import gc
import hashlib
import io
import os
import pickle
import signal
import struct
import threading
from typing import Any, Callable

import numpy as np
import sympy as sp

_RECORD = struct.Struct("<i")
_LENGTH = struct.Struct("<Q")


def workers() -> int:
    """Processes to use (this one included): ENTWINED_WORKERS, else the usable CPUs, at most 4."""
    text = os.environ.get("ENTWINED_WORKERS", "").strip()
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def share(n: int, work: Callable[[int], Any], *, processes: int | None = None,
          started: Callable[[int, int], None] | None = None,
          state: Callable[[], Any] | None = None,
          absorb: Callable[[Any], None] | None = None,
          here_only: frozenset = frozenset(),
          here_first: frozenset = frozenset(),
          ready: Callable[[], bool] | None = None,
          after_fork: Callable[[], None] | None = None) -> list:
    """[work(0), ..., work(n - 1)], the pieces shared with forked workers.

    started(i, finished): called here when this process begins piece i, with the number of
    pieces finished so far by all processes (0 at the first call: a progress display's start);
    state() in a worker after its last piece, absorb(that) here: carry back bookkeeping the
    results do not hold (such as cache counters);
    here_only: pieces done by this process only, after the shared ones (they need something
    only this process will have, such as the results of a thread started after the fork), or
    as soon as ready() says that thing is there, so that the workers do not idle at the end
    while this process still has them to do;
    here_first: pieces done by this process only, before it takes shared ones (they need
    something only this process loads, and going first keeps the workers' share balanced);
    ready(): consulted here between pieces once the workers exist (never in one process, where
    the here-only pieces simply come last); an exception from it is raised here, as from a
    piece;
    after_fork(): called here once the workers exist (on every path): start threads there,
    never before (a fork copies no running thread, only the locks it holds)."""
    if here_only & here_first:
        raise ValueError(f"pieces both here-only and here-first: {sorted(here_only & here_first)}")
    mine = here_only | here_first
    processes = min(processes or workers(), n - len(mine))
    shared = [i for i in range(n) if i not in mine]
    # a fork copies the locks other threads hold, not the threads: with any running, no fork
    alone = threading.active_count() == 1
    queue_r = _queue(shared) if processes > 1 and hasattr(os, "fork") and alone else None
    if queue_r is None:
        if after_fork:
            after_fork()
        return _in_order(n, sorted(here_first) + shared + sorted(here_only), work, started)
    children = []
    parent = os.getpid()
    gc.freeze()          # the collector leaves what exists now alone: fewer pages copied per worker
    try:
        for _ in range(processes - 1):
            result_r, result_w = os.pipe()
            try:
                pid = os.fork()
            except OSError:                                # no more processes: fewer workers
                os.close(result_r)
                os.close(result_w)
                break
            if pid == 0:                                   # the worker
                os.close(result_r)
                for sibling in children:                   # so a sibling's pipe closes with it
                    sibling.close_in_worker()
                _worker(queue_r, result_w, work, state, parent)    # never returns
            children.append(_Child(pid, result_r))     # first: killed and reaped on any exit
            os.close(result_w)
            children[-1].start()
        gc.unfreeze()
        if after_fork:
            after_fork()
        results: dict[int, Any] = {}

        def finished() -> int:
            return len(results) and len(results) + sum(len(c.pieces) for c in children)
        for i in sorted(here_first):
            results[i] = _run_here(work, i, started, finished())
        waiting = sorted(here_only)
        while True:
            if waiting and ready is not None and ready():
                for i in waiting:
                    results[i] = _run_here(work, i, started, finished())
                waiting = []
            i = _next(queue_r)
            if i is None:
                break
            results[i] = _run_here(work, i, started, finished())
        for i in waiting:
            results[i] = _run_here(work, i, started, finished())
        for child in children:
            child.finish()
            for i, ok, data in child.pieces:
                if ok and i not in results:
                    results[i] = pickle.loads(data)    # our own fork's, checked there
            if child.state is not None and absorb is not None:
                absorb(child.state)
        for i in range(n):                 # pieces a worker took but did not deliver
            if i not in results:
                results[i] = _run_here(work, i, started, len(results))
        return [results[i] for i in range(n)]
    finally:
        gc.unfreeze()
        os.close(queue_r)
        for child in children:
            child.kill()


def _queue(pieces) -> int | None:
    """The read end of a pipe holding the piece numbers, or None if they do not fit in the
    pipe's buffer (written before the fork, so nobody would read them yet)."""
    queue_r, queue_w = os.pipe()
    data = b"".join(_RECORD.pack(i) for i in pieces)
    try:
        os.set_blocking(queue_w, False)
        written = os.write(queue_w, data)
    except BlockingIOError:
        written = -1
    finally:
        os.close(queue_w)
    if written != len(data):
        os.close(queue_r)
        return None
    return queue_r


def _in_order(n, order, work, started) -> list:
    """One process: every piece in `order` (here-first, shared, here-only: as `share` does)."""
    results = {}
    for k, i in enumerate(order):
        results[i] = _run_here(work, i, started, k)
    return [results[i] for i in range(n)]


def _run_here(work, i, started, finished):
    if started:
        started(i, finished)
    return work(i)


def _next(queue_r) -> int | None:
    data = os.read(queue_r, _RECORD.size)
    return _RECORD.unpack(data)[0] if len(data) == _RECORD.size else None


def _send(fd, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def structural_digest(obj) -> bytes:
    """A digest of everything a result says: SymPy objects by `srepr` (so an unevaluated
    2**(1/2) differs from sqrt(2)), arrays by dtype, shape and bytes, dataclasses, containers
    and plain values by type and value; anything else by its repr (an object shown by address
    never matches, and is done again here)."""
    h = hashlib.sha256()
    _walk(obj, h, 0)
    return h.digest()


def _walk(o, h, depth) -> None:
    if depth > 200:
        h.update(repr(id(o)).encode())         # never equal across a pickle: done here
        return
    if isinstance(o, (sp.Basic, sp.MatrixBase)):
        h.update(b"S" + type(o).__name__.encode() + sp.srepr(o).encode())
    elif isinstance(o, np.ndarray):
        h.update(b"A" + str(o.dtype).encode() + repr(o.shape).encode())
        h.update(repr(o.tolist()).encode() if o.dtype == object else o.tobytes())
    elif isinstance(o, enum.Enum):
        h.update(b"E" + type(o).__qualname__.encode() + repr(o.value).encode())
    elif dataclasses.is_dataclass(o) and not isinstance(o, type):
        h.update(b"D" + type(o).__qualname__.encode())
        for f in dataclasses.fields(o):
            h.update(f.name.encode())
            _walk(getattr(o, f.name), h, depth + 1)
    elif isinstance(o, dict):
        h.update(b"{" + type(o).__qualname__.encode())
        for k, v in o.items():
            _walk(k, h, depth + 1)
            _walk(v, h, depth + 1)
        h.update(b"}")
    elif isinstance(o, (list, tuple)):
        h.update(b"[" + type(o).__qualname__.encode())
        for v in o:
            _walk(v, h, depth + 1)
        h.update(b"]")
    elif isinstance(o, (set, frozenset)):
        h.update(b"<" + type(o).__qualname__.encode()
                 + "|".join(sorted(repr(x) for x in o)).encode() + b">")
    elif isinstance(o, (str, int, float, complex, bytes, type(None), np.generic)):
        h.update(b"P" + type(o).__qualname__.encode() + repr(o).encode())
    else:
        h.update(b"O" + type(o).__qualname__.encode() + repr(o).encode())


_AS_BUILT = (sp.Add, sp.Mul, sp.Pow)


def _as_built(cls, args):
    """Rebuild a sum, product or power with the arguments it had (evaluate=False per call: no
    process-wide switch, so no other thread's arithmetic is touched)."""
    return cls(*args, evaluate=False)


class _Pickler(pickle.Pickler):
    """Pickle rebuilds SymPy objects by calling their class, which evaluates: an expression
    kept unevaluated for display, such as (sqrt(2))**(t/epsilon), would come back as
    2**(t/(2*epsilon)).  Sums, products and powers are rebuilt as they were built."""

    def reducer_override(self, obj):
        if type(obj) in _AS_BUILT:
            return _as_built, (type(obj), obj.args)
        return NotImplemented


def _faithful(value) -> bytes | None:
    """The pickle of a worker's result if it comes back as the same result, else None (the
    piece is then done again here)."""
    try:
        out = io.BytesIO()
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        data = out.getvalue()
        back = pickle.loads(data)
        return data if structural_digest(back) == structural_digest(value) else None
    except Exception:                                       # noqa: BLE001 - done here instead
        return None


def _worker(queue_r, result_w, work, state, parent: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)      # an interrupt ends a worker at once
        while True:
            if os.getppid() != parent:                     # the parent was killed: stop
                break
            i = _next(queue_r)
            if i is None:
                break
            try:
                data = _faithful(work(i))
            except Exception:                              # done again here, error and all
                data = None
            _send(result_w, ("piece", i, data is not None, data))
        _send(result_w, ("state", state() if state else None))
    except BaseException:                                  # noqa: BLE001 - nothing may escape
        code = 1
    finally:
        os._exit(code)


class _Child:
    """A forked worker: its pipe is drained by a thread as the pieces arrive."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd
        self.pieces: list = []
        self.state = None
        self._reaped = False
        self._started = False                    # the reader owns (and closes) the pipe
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name=f"entwined-worker-{pid}")

    def start(self) -> None:
        self._started = True
        self._reader.start()

    def _read(self) -> None:
        with os.fdopen(self.fd, "rb") as pipe:
            while True:
                head = pipe.read(_LENGTH.size)
                if len(head) < _LENGTH.size:
                    return
                data = pipe.read(_LENGTH.unpack(head)[0])
                try:
                    message = pickle.loads(data)   # from our own fork, through our own pipe
                except Exception:                  # noqa: BLE001 - a torn message: dropped
                    return
                if message[0] == "piece":
                    self.pieces.append(message[1:])
                else:
                    self.state = message[1]

    def close_in_worker(self) -> None:
        """In a later worker: drop the inherited read end of this worker's pipe."""
        try:
            os.close(self.fd)
        except OSError:
            pass

    def finish(self) -> None:
        if self._reader.ident is not None:       # started (it closes the pipe at its end)
            self._reader.join()
        self._reap()

    def kill(self) -> None:
        if not self._reaped:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
        if self._reader.ident is not None:       # the pipe's writer is gone: it ends at once
            self._reader.join(timeout=5)
        if not self._started:                    # no reader to close the pipe: close it here
            self._started = True
            self.close_in_worker()

    def _reap(self) -> None:
        if not self._reaped:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self._reaped = True
