"""Outputs are never destroyed, errors are one line with a documented exit status, and the lattice
work is bounded and interruptible (issue "Security and data safety")."""
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from entwined.core.errors import EntwinedError
from tests.conftest import run_cli

OLD = b"previous output, must survive\n"


def one_line(proc, status):
    """The documented status, exactly one line on stderr, never a traceback."""
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def strays(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".partial"))]


def popen(*args, **kw):
    """A child with Ctrl-C at its default (a background test runner may ignore SIGINT, and an
    ignored signal stays ignored in the child)."""
    return subprocess.Popen([sys.executable, "-m", "entwined.cli", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)


def test_json_to_dev_null_is_refused_and_dev_null_survives():
    proc = run_cli("verify", "--no-numerics", "--quick", "--json", "/dev/null")
    one_line(proc, 2)
    assert "not a regular file" in proc.stderr and proc.stdout == ""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("command", [["verify", "--no-numerics", "--quick", "--json"],
                                     ["lattice", "--steps", "8", "--output"]])
def test_fifo_and_directory_targets_are_refused(tmp_path, command):
    fifo, folder = tmp_path / "fifo", tmp_path / "dir"
    os.mkfifo(fifo)
    folder.mkdir()
    for target in (fifo, folder):
        proc = run_cli(*command, str(target))     # a FIFO opened for writing would hang here
        one_line(proc, 2)
        assert "not a regular file" in proc.stderr and proc.stdout == ""
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and folder.is_dir() and not any(folder.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "fifo"]


def test_previous_json_survives_a_failed_run(tmp_path):
    out = tmp_path / "result.json"
    out.write_bytes(OLD)
    bad = tmp_path / "claims.toml"
    bad.write_text("this is [not toml\n")
    proc = run_cli("verify", "--no-numerics", "--quick", "--claims", str(bad), "--json", str(out))
    one_line(proc, 2)
    assert out.read_bytes() == OLD and not strays(tmp_path)


def test_previous_output_survives_ctrl_c_in_the_compiled_loop(tmp_path):
    out = tmp_path / "profile.csv"
    out.write_bytes(OLD)
    # the kernel compiled and cached first, so the signal lands in the loop, not in numba
    warm = subprocess.run([sys.executable, "-m", "entwined.cli", "lattice", "--steps", "8"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert warm.returncode == 0, warm.stderr
    # 2e9 site-updates (the limit): a few seconds even in the compiled loop
    proc = popen("lattice", "--sites", "200000", "--steps", "10000", "--output", str(out))
    started = proc.stderr.readline()           # the run's own line: the work has begun
    assert "lattice" in started, started
    time.sleep(0.5)
    if proc.poll() is not None:
        pytest.skip("the run finished before the signal")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 3, "Ctrl-C took too long to stop the run"
    # exit 130; or, when the signal lands while numba is still being imported (possible under
    # load), death by SIGINT after the message: the shell reports that as 128 + 2 = 130 too
    status = 130 if proc.returncode == -signal.SIGINT else proc.returncode
    one_line(subprocess.CompletedProcess(proc.args, status, "", err), 130)
    assert "interrupted" in err
    assert out.read_bytes() == OLD and not strays(tmp_path)


def test_created_files_honour_the_umask(tmp_path):
    out = tmp_path / "sub" / "p.csv"
    proc = subprocess.run(["sh", "-c", 'umask 022; exec "$0" -m entwined.cli lattice --steps 8 '
                           '--output "$1"', sys.executable, str(out)], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644
    assert not strays(out.parent)


def test_concurrent_runs_to_one_path_leave_a_complete_file(tmp_path):
    out = tmp_path / "same.csv"
    out.write_bytes(OLD)
    procs = [popen("lattice", "--sites", "4096", "--steps", "800", "--output", str(out))
             for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    rows = out.read_text().splitlines()
    assert rows[0] == "z,phi1,phi2" and len(rows) == 4097 and all(r.count(",") == 2 for r in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.csv"]


def test_timeout_must_be_positive():
    for value in ("-1", "0", "nan", "inf", "soon"):
        one_line(run_cli("verify", "--no-numerics", "--timeout", value), 2)


def test_report_into_a_directory_is_refused_before_the_run(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    t0 = time.monotonic()
    proc = run_cli("report", "--tex-only", "--no-numerics", "--quick", "-o", str(folder))
    one_line(proc, 2)
    assert proc.stdout == "" and time.monotonic() - t0 < 6     # no verification ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and not any(folder.iterdir())


def test_tex_only_replaces_the_previous_tex_atomically(tmp_path):
    tex = tmp_path / "r.tex"
    tex.write_bytes(OLD)
    bad = tmp_path / "claims.toml"
    bad.write_text("this is [not toml\n")
    proc = run_cli("report", "--tex-only", "--no-numerics", "--quick", "--claims", str(bad),
                   "-o", str(tmp_path / "r.pdf"))
    one_line(proc, 2)
    assert tex.read_bytes() == OLD
    proc = run_cli("report", "--tex-only", "--no-numerics", "--quick", "-o",
                   str(tmp_path / "r.pdf"))
    assert proc.returncode == 0, proc.stderr
    assert tex.read_text().startswith("\\documentclass") and not strays(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.toml", "r.tex"]


CRASH = ("import sys, entwined.numerics.simulate as s, entwined.cli as c\n"
         "def boom(args, started=None): raise ZeroDivisionError('division by zero\\nsecond line')\n"
         "s.run = boom\n"
         "sys.exit(c.main(sys.argv[1:]))\n")


def test_internal_error_is_one_line_exit_3_and_debug_shows_the_traceback(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-c", CRASH, *a], capture_output=True,
                                    text=True, stdin=subprocess.DEVNULL)
    proc = run("lattice", "--output", str(tmp_path / "p.csv"))
    one_line(proc, 3)
    assert "internal error: ZeroDivisionError: division by zero; rerun with --debug" in proc.stderr
    for args in (["--debug", "lattice"], ["lattice", "--debug"]):
        proc = run(*args)
        assert proc.returncode == 3 and "Traceback" in proc.stderr, args
    assert not any(tmp_path.iterdir())


class _Run:
    all_hold = True
    internal_errors = ["9-10"]


def test_a_crashed_check_is_exit_3_and_the_timeout_reaches_the_pipeline(monkeypatch, capsys):
    import entwined.cli as cli
    from entwined.cli import main
    seen = {}

    def verify(claims, *, numerics, quick, progress, only=None, budget_s=None):
        seen["budget_s"] = budget_s
        return _Run()
    monkeypatch.setattr(cli, "verify", verify)
    monkeypatch.setattr(cli, "to_json", lambda run: {"claims": []})
    assert main(["verify", "--no-numerics", "--timeout", "7.5", "--json", "-"]) == 3
    assert seen["budget_s"] == 7.5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(9-10)" in err[0]
    monkeypatch.setattr(_Run, "internal_errors", [])
    assert main(["verify", "--no-numerics", "--json", "-"]) == 0 and seen["budget_s"] == 120


def test_check_target_only_looks(tmp_path):
    from entwined.core.outputs import check_target
    check_target(tmp_path / "a" / "b" / "c.json")
    assert not any(tmp_path.iterdir())
    blocker = tmp_path / "file"
    blocker.write_bytes(OLD)
    with pytest.raises(EntwinedError):
        check_target(blocker / "sub" / "c.json")
    check_target(blocker)                        # an existing regular file is fine, untouched
    assert blocker.read_bytes() == OLD


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    from entwined.core import outputs
    out = tmp_path / "x.json"
    out.write_bytes(OLD)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(outputs.os, "replace", failing_replace)
    with pytest.raises(EntwinedError, match="No space left"):
        outputs.write_atomic(out, "new")
    monkeypatch.undo()

    def interrupted(fh):
        fh.write(b"half")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        outputs._install(out, interrupted)
    assert out.read_bytes() == OLD and sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
    outputs.write_atomic(out, b"new")
    assert out.read_bytes() == b"new"


def test_chunked_compiled_loop_gives_the_same_bits():
    """The compiled loop runs in chunks (so Ctrl-C is seen between them); the chunking must not
    change a bit of the result."""
    from entwined.numerics import engines
    rng = np.random.default_rng(7)
    u, a = rng.standard_normal((2, 11)), rng.random(11)
    whole = engines.compiled_run(u, a, (1, -1), 37, True, 0.7)
    for chunk in (1, 2, 3, 8):
        part = engines.compiled_run(u, a, (1, -1), 37, True, 0.7, chunk_work=chunk * 11)
        assert np.array_equal(part, whole)


def test_lattice_help_states_the_limits_it_enforces():
    from entwined.cli import LATTICE_LIMITS
    from entwined.numerics.simulate import MAX_STEPS, MAX_WORK
    assert f"at most {MAX_STEPS} steps" in LATTICE_LIMITS
    assert f"sites*steps <= {MAX_WORK:.0e}".replace("e+0", "e") in LATTICE_LIMITS
    proc = run_cli("lattice", "--help")
    assert proc.returncode == 0 and "site-updates" in proc.stdout


def test_compiled_pdf_goes_through_a_unique_temp_file(tmp_path, monkeypatch):
    """Without TeX here, a stand-in 'LaTeX' that copies its input: the PDF is installed by
    replace_with (complete, umask mode, no fixed-name .partial shared between builds)."""
    from entwined.report import build
    monkeypatch.setattr(build, "_tex_tool", lambda: ["sh", "-c", "cp report.tex report.pdf"])
    out = tmp_path / "r.pdf"
    out.write_bytes(OLD)
    build.compile_pdf("%PDF stand-in\n", out)
    assert out.read_text() == "%PDF stand-in\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
