"""A rule with nothing to check is skipped, not passed: each rule declares the expectations it
needs (``needs``); when none is stated it does not run, JSON lists it under ``skipped`` and JUnit
marks its testcase ``<skipped/>`` (parsed back with ElementTree)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import inspector
from inspector.checks import RULES, Expectations, check
from tests.conftest import FIXTURES, run_cli, unset_environment

NOW = datetime(2026, 6, 1, tzinfo=UTC)
APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
BUILDS = sorted(p for d in ("apk", "aab", "ios", "pkg") for p in (FIXTURES / d).glob("*.*")
                if p.suffix in (".apk", ".aab", ".ipa", ".pkg", ".mobileprovision"))


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_",))
    monkeypatch.chdir(tmp_path)


def test_library_skips_rules_with_nothing_to_check() -> None:
    record = inspector.inspect(APK)
    result = check(record, Expectations(), NOW)
    skipped = {r.code for r in result.skipped}
    assert {"GEN001", "GEN006", "AND005", "AND009", "UPL002"} <= skipped
    assert not {"AND001", "AND003", "AND008"} & skipped  # the default policy always checks
    stated = check(record, Expectations(expect_id="com.*", require_abi=("x86",)), NOW)
    assert not {"GEN001", "AND009"} & {r.code for r in stated.skipped}


def test_a_skipped_rule_would_have_found_nothing() -> None:
    """Skipping changes no verdict: run each idle rule anyway on every fixture, and it is silent."""
    empty = Expectations()
    compared = 0
    for path in BUILDS:
        try:
            record = inspector.inspect(path)
        except inspector.InspectorError:
            continue
        summary = check(record, empty, NOW).summary
        for rule in RULES:
            if rule.applies_to(summary) and rule.idle(empty):
                assert list(rule.check(summary, record, empty, NOW)) == [], (path, rule.code)
                compared += 1
    assert compared >= 200, compared


def test_needs_name_real_fields() -> None:
    for rule in RULES:
        assert all(n in Expectations.__dataclass_fields__ for n in rule.needs), rule.code


def test_json_lists_skipped_rules() -> None:
    doc = run_cli("check", "--format", "json", "--expect-id", "com.*", str(APK)).json["results"][0]
    assert "GEN001" in doc["rules"] and "GEN001" not in doc["skipped"]
    assert "GEN006" in doc["skipped"] and set(doc["skipped"]) <= set(doc["rules"])


def test_junit_marks_skipped_rules() -> None:
    result = run_cli("check", "--format", "junit", "--expect-id", "com.*", str(APK))
    assert result.code == 0
    root = ET.fromstring(result.out)
    (suite,) = root.findall("testsuite")
    cases = {c.get("name").split()[0]: c for c in suite.findall("testcase")}
    assert cases["GEN001"].find("skipped") is None  # an id was expected: it checked and passed
    skipped = cases["GEN006"].find("skipped")
    assert skipped is not None and skipped.get("message") == "nothing to check: cert-sha256 not set"
    assert cases["AND003"].find("skipped") is None
    count = sum(1 for c in cases.values() if c.find("skipped") is not None)
    assert suite.get("skipped") == root.get("skipped") == str(count) and count >= 8
    assert suite.get("tests") == str(len(cases))
