"""Values the gate cannot act on are usage errors (exit 2) that say what was expected, never a
silent no-op: an unknown rule code for ``--ignore`` (case is ignored and normalised: ``and003``
is AND003), a malformed ``--cert-sha256``, and a SHA-1 fingerprint where a SHA-256 belongs.

The fingerprints come from apksigner's own output for the fixture, recorded in
tests/reference/apk/signed-v1v2v3.certs.txt (tests/reference/apk/make.sh)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspector.checks import RULES, Expectations
from inspector.checks.expectations import InvalidExpectation
from tests.conftest import FIXTURES, ROOT, run_cli, unset_environment

APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")
CERTS = (ROOT / "tests" / "reference" / "apk" / "signed-v1v2v3.certs.txt").read_text()
SHA256 = re.search(r"Signer #1 certificate SHA-256 digest: ([0-9a-f]{64})", CERTS).group(1)
SHA1 = re.search(r"Signer #1 certificate SHA-1 digest: ([0-9a-f]{40})", CERTS).group(1)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_",))
    monkeypatch.chdir(tmp_path)


def check(*args: str):
    return run_cli("check", "--now", "2026-06-01", *args, APK)


def test_library_normalises_and_refuses_rule_codes() -> None:
    assert Expectations(ignore=("and003", " Gen001 ")).ignore == ("AND003", "GEN001")
    with pytest.raises(InvalidExpectation) as caught:
        Expectations(ignore=("AND03",))
    assert caught.value.field == "ignore" and "did you mean AND003?" in caught.value.message
    with pytest.raises(InvalidExpectation) as caught:
        Expectations(ignore=("nothing-like-a-code",))
    # Far from every code: all of them are listed, taken from the registry as loaded.
    assert all(r.code in caught.value.message for r in RULES)


@pytest.mark.parametrize(("code", "hint"), [("AND03", "did you mean AND003?"),
                                            ("and03", "did you mean AND003?"),
                                            ("EXP01", "did you mean EXP001?")])
def test_cli_unknown_rule_code_is_a_usage_error(code: str, hint: str) -> None:
    result = check("--ignore", code)
    assert result.code == 2 and result.out == ""
    assert result.err.strip() == (f"inspector: error: flag --ignore: unknown rule code {code!r} "
                                  f"({hint})")


def test_cli_rule_code_in_another_case_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # fixtures/apk/debuggable.apk warns AND001 and AND002 (how fixtures/apk/make.sh built it)
    debug = str(FIXTURES / "apk" / "debuggable.apk")
    result = run_cli("check", "--format", "json", "--ignore", "and001", debug)
    assert result.code == 0 and "AND001" not in result.json["results"][0]["rules"]
    monkeypatch.setenv("INSPECTOR_IGNORE", "AND07")
    result = run_cli("check", debug)
    assert result.code == 2 and "environment INSPECTOR_IGNORE: unknown rule code 'AND07'" in result.err


def test_library_fingerprints() -> None:
    colons = ":".join(SHA256[i:i + 2] for i in range(0, 64, 2)).upper()
    assert Expectations(cert_sha256=(colons,)).cert_sha256 == (SHA256,)
    for bad in ("zz", SHA256[:-1], SHA256 + "0", "g" * 64):
        with pytest.raises(InvalidExpectation, match="expected 64 hex digits"):
            Expectations(cert_sha256=(bad,))
    with pytest.raises(InvalidExpectation, match="is a SHA-1 fingerprint") as caught:
        Expectations(cert_sha256=(SHA1,))
    assert caught.value.field == "cert_sha256"


def test_cli_fingerprints() -> None:
    assert check("--cert-sha256", SHA256).code == 0
    bad = check("--cert-sha256", "zz")
    assert bad.code == 2 and bad.out == ""
    assert bad.err.strip() == ("inspector: error: flag --cert-sha256: 'zz' is not a SHA-256 "
                               "fingerprint: expected 64 hex digits, colons and spaces allowed")
    sha1 = ":".join(SHA1[i:i + 2] for i in range(0, 40, 2)).upper()  # as keytool prints it
    result = check("--cert-sha256", sha1)
    assert result.code == 2 and result.out == ""
    assert "is a SHA-1 fingerprint" in result.err
    assert "keytool -list -v" in result.err and "apksigner verify --print-certs" in result.err
    assert len(result.err.splitlines()) == 1


def test_config_fingerprint_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "inspector.toml").write_text(f'[check.android]\ncert-sha256 = ["{SHA1}"]\n')
    result = check()
    assert result.code == 2 and "[check.android]" in result.err and "SHA-1" in result.err
