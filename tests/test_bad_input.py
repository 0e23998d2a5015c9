"""Bad CLI values: one line on stderr naming the problem, exit 2, no traceback, no partial file."""
import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args,needle", [
    (["--delta", "0"], "--delta must be positive"),
    (["--delta", "-0.1"], "--delta must be positive"),
    (["--D", "0"], "--D must be positive"),
    (["--epsilon", "0"], "--epsilon must be positive"),
    (["--epsilon", "-0.001"], "--epsilon must be positive"),
    (["--epsilon", "abc"], "--epsilon must be a number"),
    (["--section", "kac", "--delta", "0.5", "--c", "-1"], "--c must be positive"),
    (["--alpha", "1.5"], "--alpha must lie in [0, 1]"),
    (["--alpha", "-0.1"], "--alpha must lie in [0, 1]"),
    (["--steps", "2.5"], "--steps must be a whole number"),
    (["--steps", "12"], "multiple of 8"),
    (["--sites", "100000000000"], "does not fit in memory"),
    (["--potential", "y*z"], "--potential"),
    (["--section", "kac", "--delta", "3"], "exceeds 1"),
    # non-finite and overflowing values, and work beyond the stated limit
    (["--delta", "1e999"], "--delta must be a finite number"),
    (["--delta", "nan"], "--delta must be a finite number"),
    (["--D", "inf"], "--D must be a finite number"),
    (["--D", "1e308"], "out of range"),
    (["--D", "1e299"], "epsilon = delta^2/(2 D)"),
    (["--epsilon", "1e-320"], "out of range"),
    (["--section", "kac", "--c", "1e-310"], "out of range"),
    (["--alpha", "nan"], "--alpha must lie in [0, 1]"),
    (["--potential", "exp(1000*z)"], "not finite at z ="),
    (["--potential", "1/z"], "not finite at z = 0"),
    (["--sites", "3", "--potential", "1/z"], "not finite"),
    (["--potential", "sqrt(z)"], "not finite"),
    (["--potential", "I*z"], "not real"),
    (["--steps", "99999999999"], "exceeds the limit"),
    (["--sites", "100000", "--steps", "100000"], "site-updates exceeds the limit"),
])
def test_lattice_values_out_of_range(tmp_path, args, needle):
    out = tmp_path / "profile.csv"
    proc = run_cli("lattice", *args, "--output", str(out))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_command_is_one_line():
    proc = run_cli("frobnicate")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_unwritable_output_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("lattice", "--output", str(blocker / "sub" / "p.csv"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_lattice_run_writes_profile(tmp_path):
    out = tmp_path / "p.csv"
    proc = run_cli("lattice", "--steps", "64", "--potential", "2*cos(z)", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = out.read_text().splitlines()
    assert rows[0] == "z,phi1,phi2" and len(rows) == 257
