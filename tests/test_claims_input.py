"""Bad claims files: one-line error naming the claim and the text, exit 2, no traceback."""
import pytest

from entwined.core.claims import load_claims
from entwined.core.errors import ClaimError
from tests.conftest import BUNDLED, mutated, run_cli


def test_bundled_claims_cover_every_numbered_equation():
    ids = {c.id for c in load_claims().claims}
    numbered = {i.split(".")[0] for i in ids}
    for n in range(1, 28):
        assert any(str(n) in part.split("-") for part in numbered), n


@pytest.mark.parametrize("old,new,needle", [
    ('"delta**2/(2*epsilon) = D"', '"delta**2/(2*epsilon = D"', "claim 3"),
    ('"delta**2/(2*epsilon) = D"', '"delta**2/(2*gamma) = D"', "unknown symbol 'gamma'"),
    ('"delta**2/(2*epsilon) = D"', '"delta.real = D"', "claim 3"),
    ('"delta**2/(2*epsilon) = D"', '"__import__(1) = D"', "unknown symbol '__import__'"),
    ('"delta**2/(2*epsilon) = D"', '"delta**2/(2*epsilon)"', "one 'left = right'"),
    ('id = "26"', 'id = "25"', "duplicate id"),
    ('title = "Kac scaling"\n', '', "missing field 'title'"),
    ('provenance = "reconstructed"\nuses = ["18"]\nequations = ["Derivative(phip1(z, t), t) = -a*phip2(z, t)"',
     'provenance = "blurry"\nuses = ["18"]\nequations = ["Derivative(phip1(z, t), t) = -a*phip2(z, t)"', "provenance"),
])
def test_malformed_entry_is_named(tmp_path, old, new, needle):
    path = mutated(tmp_path, old, new)
    with pytest.raises(ClaimError) as err:
        load_claims(path)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_toml_syntax_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BUNDLED + "\n[[claim]\n", encoding="utf-8")
    with pytest.raises(ClaimError, match="not valid TOML"):
        load_claims(path)


def test_cli_bad_claims_exit_2_one_line(tmp_path):
    path = mutated(tmp_path, '"delta**2/(2*epsilon) = D"', '"delta**2/(2*gamma) = D"')
    out_json = tmp_path / "result.json"
    proc = run_cli("verify", "--claims", str(path), "--json", str(out_json))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "gamma" in proc.stderr
    assert not out_json.exists()


def test_cli_missing_claims_file(tmp_path):
    proc = run_cli("verify", "--claims", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
