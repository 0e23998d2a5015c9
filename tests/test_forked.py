"""Work shared with forked copies of the process (core/forked.py): the same results in the same
order whatever the number of processes, nothing lost when a worker dies, no worker left behind."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from entwined.core import forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _children() -> list[str]:
    out = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                out += fh.read().split()
        except OSError:                   # a thread that ended while we looked
            pass
    return out


def _square(i):
    return {"i": i, "square": i * i, "text": "x" * (i * 1000)}     # some pieces > a pipe buffer


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_results_in_piece_order_for_any_number_of_processes(processes):
    assert forked.share(40, _square, processes=processes) == [_square(i) for i in range(40)]
    assert _children() == []


def test_pieces_are_shared():
    parent = os.getpid()
    owners = forked.share(30, lambda i: (time.sleep(0.05), os.getpid())[1], processes=2)
    assert set(owners) - {parent}, "no piece was done by a worker"
    assert parent in owners


def test_a_dying_worker_loses_nothing():
    parent = os.getpid()

    def work(i):
        if os.getpid() != parent and i >= 5:
            os._exit(7)                     # a worker crashes on its first piece from 5 on
        return i * 3
    assert forked.share(20, work, processes=2) == [i * 3 for i in range(20)]
    assert _children() == []


def test_an_exception_in_a_worker_is_raised_here():
    def work(i):
        if i == 7:
            raise ValueError("piece 7 cannot be done")
        return i
    with pytest.raises(ValueError, match="piece 7"):
        forked.share(12, work, processes=2)
    assert _children() == []


def test_worker_state_is_absorbed_once_per_worker():
    parent, absorbed = os.getpid(), []
    forked.share(10, lambda i: i, processes=3, state=os.getpid, absorb=absorbed.append)
    assert len(absorbed) == 2 and parent not in absorbed


def test_progress_starts_at_zero_and_never_goes_back():
    seen = []
    forked.share(25, _square, processes=2, started=lambda i, done: seen.append(done))
    assert seen[0] == 0 and seen == sorted(seen) and seen[-1] < 25


def test_one_worker_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENTWINED_WORKERS", "1")
    parent = os.getpid()
    assert set(forked.share(8, lambda i: os.getpid())) == {parent}
    monkeypatch.setenv("ENTWINED_WORKERS", "many")
    assert forked.workers() == 1


def test_a_refused_fork_leaves_the_work_here(monkeypatch):
    def refuse():
        raise BlockingIOError("Resource temporarily unavailable")
    monkeypatch.setattr(os, "fork", refuse)
    parent = os.getpid()
    assert forked.share(6, lambda i: (i, os.getpid()), processes=3) == [(i, parent)
                                                                           for i in range(6)]


def test_more_pieces_than_the_queue_holds_run_here():
    parent = os.getpid()
    assert set(forked.share(20000, lambda i: os.getpid(), processes=2)) == {parent}


def test_unevaluated_sympy_comes_back_as_built():
    import sympy as sp
    t = sp.Symbol("t")
    shown = sp.Pow(sp.sqrt(2), t, evaluate=False)           # what a report displays
    assert sp.srepr(sp.Pow(sp.sqrt(2), t)) != sp.srepr(shown)
    back = forked.share(4, lambda i: {"factor": shown, "sum": sp.Add(t, t, evaluate=False)},
                        processes=2)
    assert all(sp.srepr(r["factor"]) == sp.srepr(shown) for r in back)
    assert all(sp.srepr(r["sum"]) == sp.srepr(sp.Add(t, t, evaluate=False)) for r in back)


class ShownByAddress:
    """Pickles, but its repr names its address: a result that does not come back the same."""

    def __init__(self):
        self.pid = os.getpid()


def test_a_result_that_does_not_survive_the_pickle_is_done_here():
    parent = os.getpid()
    assert {r.pid for r in forked.share(6, lambda i: ShownByAddress(), processes=2)} == {parent}

    class Local:                          # cannot be pickled at all
        def __init__(self):
            self.pid = os.getpid()
    assert {r.pid for r in forked.share(6, lambda i: Local(), processes=2)} == {parent}


def test_here_only_pieces_and_after_fork_run_in_this_process():
    parent, calls = os.getpid(), []
    out = forked.share(10, lambda i: (i, os.getpid()), processes=2,
                       here_only=frozenset({3, 9}), after_fork=lambda: calls.append(os.getpid()))
    assert [i for i, _ in out] == list(range(10))
    assert out[3][1] == parent and out[9][1] == parent
    assert calls == [parent]
    calls.clear()
    forked.share(3, lambda i: i, processes=1, after_fork=lambda: calls.append(os.getpid()))
    assert calls == [parent]


def test_here_first_pieces_run_in_this_process_before_it_takes_shared_ones():
    parent, order = os.getpid(), []
    out = forked.share(12, lambda i: (order.append(i), os.getpid())[1], processes=2,
                       here_first=frozenset({5, 2}), here_only=frozenset({7}))
    assert out[2] == out[5] == out[7] == parent
    assert order[:2] == [2, 5] and order[-1] == 7          # this process's own order
    assert forked.share(4, lambda i: i, processes=1, here_first=frozenset({3})) == [0, 1, 2, 3]


def test_a_piece_cannot_be_both_here_first_and_here_only():
    with pytest.raises(ValueError, match=r"\[2\]"):
        forked.share(4, lambda i: i, processes=2, here_first=frozenset({1, 2}),
                     here_only=frozenset({2}))


def test_here_only_pieces_run_as_soon_as_they_are_ready():
    parent, order, flag = os.getpid(), [], []

    def work(i):
        order.append(i)
        if i == 4:
            flag.append(True)              # what the here-only pieces wait for is now there
        time.sleep(0.05)
        return os.getpid()
    out = forked.share(12, work, processes=2, here_first=frozenset({4}),
                       here_only=frozenset({0, 11}), ready=lambda: bool(flag))
    assert out[0] == out[11] == out[4] == parent
    assert order[:3] == [4, 0, 11]        # right after the piece that made them ready
    assert len(order) > 3                 # and this process took shared pieces afterwards


SCRIPT = r"""
import os, sys, time
from entwined.core import forked
out = sys.argv[1]
def work(i):
    with open(out, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(0.3)
    return i
forked.share(200, work, processes=3)      # ~20 s of pieces per process
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_workers_stop_when_the_parent_is_killed(tmp_path):
    """SIGKILL runs no `finally`: a worker stops by itself, at its next result (the pipe has no
    reader left) or before its next piece (its parent is gone), not after the whole queue."""
    log = tmp_path / "pids"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(log)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = set(log.read_text().split()) if log.exists() else set()
        if len(pids) >= 3:
            break
        time.sleep(0.05)
    workers = {int(p) for p in pids} - {proc.pid}
    assert workers, "no worker started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10              # a piece takes 0.3 s; the whole queue ~20 s
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        parent = os.getpid()
        assert set(forked.share(6, lambda i: os.getpid(), processes=2)) == {parent}
    finally:
        stop.set()
        other.join()
    assert set(forked.share(6, lambda i: (time.sleep(0.05), os.getpid())[1],
                            processes=2)) != {os.getpid()}
