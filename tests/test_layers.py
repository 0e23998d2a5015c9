"""Architecture is enforced, not described: the import-linter layers contract in pyproject.toml
holds for exactly the tree that gets installed, and no import hides inside a function."""
import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def installed_tree(dest: Path) -> Path:
    """The package laid out as setuptools installs it (package-dir mapping), Python files only."""
    for package, folder in CONFIG["tool"]["setuptools"]["package-dir"].items():
        target = dest.joinpath(*package.split("."))
        for src in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in src.parts:
                continue
            rel = src.relative_to(ROOT / folder)
            if package == "entwined" and rel.parts[0] in {"derive", "numerics", "report"}:
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
    return dest


def test_layers_contract_is_kept(tmp_path):
    tree = installed_tree(tmp_path / "site")
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache", str(ROOT / "pyproject.toml")], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_the_contract_can_break(tmp_path):
    """A derive module importing numerics must be caught (the lint is not vacuous)."""
    tree = installed_tree(tmp_path / "site")
    bad = tree / "entwined" / "derive" / "model.py"
    bad.write_text(bad.read_text() + "\nfrom entwined.numerics import engines  # noqa\n")
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache", str(ROOT / "pyproject.toml")], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "BROKEN" in proc.stdout


def test_no_imports_inside_functions():
    offenders = []
    for folder in ("entwined", "derive", "numerics", "report"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for fn in ast.walk(tree):
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for node in ast.walk(fn):
                        if isinstance(node, (ast.Import, ast.ImportFrom)):
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
