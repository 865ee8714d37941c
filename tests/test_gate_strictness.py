"""Strictness is explicit: a stated expectation implies it, ``--no-strict`` (``strict=False``) wins
over that, and the text verdict, the JSON document and ``--explain`` say the same thing and why.

The fixture's two warnings are fixed by how it was built (fixtures/apk/make.sh: debuggable, signed
with the SDK's debug key), so the verdicts below follow from the rule table alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.checks import Expectations, Strictness, check
from tests.conftest import FIXTURES, run_cli, unset_environment

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DEBUG_APK = FIXTURES / "apk" / "debuggable.apk"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_", "GITHUB_"))
    monkeypatch.chdir(tmp_path)


def test_library_strictness_stated_implied_default() -> None:
    record = inspector.inspect(DEBUG_APK)
    lenient = check(record, Expectations(), NOW)
    assert lenient.strictness == Strictness(False, "default") and lenient.passed
    assert lenient.count("warning") == 2
    implied = check(record, Expectations(expect_id="com.applivery.*", min_days=1), NOW)
    assert implied.strictness == Strictness(True, "implied", ("expect_id", "min_days"))
    assert not implied.passed
    overridden = check(record, Expectations(expect_id="com.applivery.*", strict=False), NOW)
    assert overridden.strictness == Strictness(False, "stated") and overridden.passed
    stated = check(record, Expectations(strict=True), NOW)
    assert stated.strictness == Strictness(True, "stated") and not stated.passed


def _run(*args: str):
    return run_cli("check", "--now", "2026-06-01", *args, str(DEBUG_APK))


def test_verdict_line_says_why_warnings_failed() -> None:
    result = _run("--expect-id", "com.applivery.*")
    assert result.code == 1
    assert "FAILED: 2 warnings (strict: implied by --expect-id)" in result.out
    result = _run("--strict")
    assert result.code == 1 and "FAILED: 2 warnings (strict: --strict)" in result.out


def test_no_strict_wins_over_an_implied_strictness() -> None:
    result = _run("--expect-id", "com.applivery.*", "--no-strict")
    assert result.code == 0 and "PASSED with 2 warnings" in result.out


def test_environment_no_strict_wins_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTOR_STRICT", "false")
    assert _run("--expect-id", "com.applivery.*").code == 0


@pytest.mark.parametrize(("args", "strict", "why", "by", "explained"), [
    ((), False, "default", [], "default"),
    (("--expect-id", "com.applivery.*", "--min-version-code", "1"), True, "implied",
     ["expect-id", "min-version-code"], "implied by --expect-id, --min-version-code"),
    (("--expect-id", "com.applivery.*", "--no-strict"), False, "stated", [], "flag --strict"),
    (("--strict",), True, "stated", [], "flag --strict"),
])
def test_text_json_and_explain_agree(args: tuple[str, ...], strict: bool, why: str, by: list[str],
                                     explained: str) -> None:
    result = _run("--format", "json", "--explain", *args)
    doc = result.json["results"][0]
    assert (doc["strict"], doc["strict_why"], doc["strict_implied_by"]) == (strict, why, by)
    assert doc["passed"] is not strict
    assert all(f["fails_gate"] is strict for f in doc["findings"])
    line = next(x for x in result.err.splitlines() if x.strip().startswith("strict "))
    assert line.split()[1] == str(strict) and line.rstrip().endswith(explained), line
    text = _run(*args)
    assert ("FAILED" in text.out) is strict
