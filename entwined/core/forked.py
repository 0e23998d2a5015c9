"""Independent pieces of work shared between this process and forked copies of it.

Why: mutation testing checks about 300 mutants, each independent of the others, and spends
nearly all of its time in pure-Python SymPy, which threads cannot share (the GIL).  A forked
copy starts with everything this process already holds (imports, derivations, compiled kernels)
and shares its memory pages until it writes to them, so a second core costs no start-up and
little memory.

How:
- the piece numbers are written into a pipe before the fork; every process reads the next
  number (a 4-byte read from a pipe is one record), so a slow piece never leaves a core idle;
- a worker sends each finished piece back (pickled, length-prefixed) as soon as it is done; a
  reader thread here drains the pipe so a worker never waits for us;
- a worker that dies (a crash, a signal) loses nothing: every piece not delivered by a worker
  is done here afterwards; a piece that fails with an exception in a worker is done here too,
  so its error is this process's, reported as usual;
- workers never write to stdout/stderr, run no atexit handler and flush no inherited buffer
  (`os._exit`); an interrupt or an error here kills and reaps them, so none outlives the call;
- results are returned in piece order, whoever computed them: the outcome does not depend on
  the number of processes (tests compare one process against several).

Without `os.fork` (Windows), with one usable CPU, with `ENTWINED_WORKERS=1` or for more
pieces than the queue pipe holds (8192), every piece is done here, in order; if the system
refuses a fork, the workers already started share the work.

Not guarded: a worker that never finishes a piece (a check without a time budget that hangs)
is waited for, as that piece would be in one process.  Only pieces whose work is a deterministic function of the piece and of
the process state at the fork may be shared so."""
from __future__ import annotations

import os
import pickle
import signal
import struct
import threading
from typing import Any, Callable

_RECORD = struct.Struct("<i")
_LENGTH = struct.Struct("<Q")
_QUEUE_BYTES = 65536 // 2       # the whole queue is written before the fork: well inside a pipe


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
          absorb: Callable[[Any], None] | None = None) -> list:
    """[work(0), ..., work(n - 1)], the pieces shared with forked workers.

    started(i, finished): called here when this process begins piece i, with the number of
    pieces finished so far by all processes (0 at the first call: a progress display's start);
    state() in a worker after its last piece, absorb(that) here: carry back bookkeeping the
    results do not hold (such as cache counters)."""
    processes = min(processes or workers(), n)
    if processes <= 1 or not hasattr(os, "fork") or n * _RECORD.size > _QUEUE_BYTES:
        return [_run_here(work, i, started, i) for i in range(n)]
    queue_r, queue_w = os.pipe()
    os.write(queue_w, b"".join(_RECORD.pack(i) for i in range(n)))
    os.close(queue_w)
    children = []
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
                _worker(queue_r, result_w, work, state)    # never returns
            os.close(result_w)
            children.append(_Child(pid, result_r))
        results: dict[int, Any] = {}
        while True:
            i = _next(queue_r)
            if i is None:
                break
            finished = len(results) and len(results) + sum(len(c.pieces) for c in children)
            results[i] = _run_here(work, i, started, finished)
        for child in children:
            child.finish()
            for i, ok, value in child.pieces:
                if ok and i not in results:
                    results[i] = value
            if child.state is not None and absorb is not None:
                absorb(child.state)
        for i in range(n):                 # pieces a worker took but did not deliver
            if i not in results:
                results[i] = _run_here(work, i, started, len(results))
        return [results[i] for i in range(n)]
    finally:
        os.close(queue_r)
        for child in children:
            child.kill()


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


def _worker(queue_r, result_w, work, state) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)      # an interrupt ends a worker at once
        while True:
            i = _next(queue_r)
            if i is None:
                break
            try:
                message = ("piece", i, True, work(i))
            except Exception:                              # done again here, error and all
                message = ("piece", i, False, None)
            _send(result_w, message)
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
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name=f"entwined-worker-{pid}")
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

    def finish(self) -> None:
        self._reader.join()
        self._reap()

    def kill(self) -> None:
        if not self._reaped:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def _reap(self) -> None:
        if not self._reaped:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self._reaped = True
