"""An Android signing certificate's validity dates are information, not a failure: Android does
not check them when it installs or updates an app, and apksigner does not either. The reference
is apksigner's own verdict on the expired fixture, recorded in
tests/reference/apk/expired-cert.certs.txt ("Verifies"); the dates are fixed by
fixtures/apk/make.sh (expired: 2015-01-01..2020-01-01; release: 2025-01-01..2055-01-01).
Profiles and Apple certificates keep EXP001-EXP003."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.checks import Expectations, check
from tests.conftest import FIXTURES, ROOT, run_cli, unset_environment

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EXPIRED = FIXTURES / "apk" / "expired-cert.apk"
RELEASE = FIXTURES / "apk" / "signed-v1v2v3.apk"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_",))
    monkeypatch.chdir(tmp_path)


def test_apksigner_accepts_the_expired_certificate() -> None:
    recorded = (ROOT / "tests" / "reference" / "apk" / "expired-cert.certs.txt").read_text()
    assert recorded.splitlines()[:3] == ["# exit 0",
                                        "# $ apksigner verify -v --print-certs expired-cert.apk",
                                        "Verifies"]


def test_library_expired_android_certificate_is_information() -> None:
    result = check(inspector.inspect(EXPIRED), Expectations(min_days=30, strict=True), NOW)
    assert result.passed
    assert {r.code for r in result.rules} >= {"EXP004"}
    assert not {"EXP001", "EXP002", "EXP003"} & {r.code for r in result.rules}
    (finding,) = result.findings
    assert (finding.code, finding.severity) == ("EXP004", "info")
    assert "expired 2343 days ago (2020-01-01)" in finding.message
    assert "Android does not check it" in finding.message
    assert "not valid past 2033-10-22" in finding.message  # Google Play's rule for new apps


def test_a_key_valid_past_2033_and_far_from_expiry_says_nothing() -> None:
    result = check(inspector.inspect(RELEASE), Expectations(), NOW)
    assert [f for f in result.findings if f.code == "EXP004"] == []


def test_inside_the_warning_window_is_information_too() -> None:
    # 2054-12-20: the release key (until 2055-01-01) has 12 days left.
    result = check(inspector.inspect(RELEASE), Expectations(), datetime(2054, 12, 20, tzinfo=UTC))
    (finding,) = [f for f in result.findings if f.code == "EXP004"]
    assert finding.severity == "info" and "expires in 12 days (2055-01-01)" in finding.message
    assert "2033-10-22" not in finding.message


def test_cli_expired_android_certificate_passes_strict_gate() -> None:
    result = run_cli("check", "--now", "2026-06-01", "--strict", "--min-days", "30", str(EXPIRED))
    assert result.code == 0, result.out
    assert "PASSED with 1 info" in result.out and "EXP004" in result.out


def test_apple_expiry_still_fails() -> None:
    # fixtures/ios/make.sh: the ad-hoc profile expires 2027-01-05 (test_check's rule table).
    result = run_cli("check", "--now", "2027-01-06T12:00:00", str(FIXTURES / "ios" / "adhoc.ipa"))
    assert result.code == 1 and "EXP001" in result.out


CORPUS_APKS = sorted((ROOT.parent / "shared" / "corpus" / "android").glob("*.apk"))


def test_no_corpus_apk_fails_for_its_certificate_dates() -> None:
    if not CORPUS_APKS:
        pytest.skip("shared corpus not present (../shared/corpus/android)")
    result = run_cli("check", "--format", "json", *map(str, CORPUS_APKS))
    checked = [r for r in result.json["results"] if "findings" in r]
    assert len(checked) >= 25  # the readable ones: the corpus has 31 APKs, 3 unreadable
    for r in checked:
        assert all(f["severity"] == "info" for f in r["findings"] if f["code"].startswith("EXP"))
