"""``check --junit-xml PATH``: the JUnit report written beside whatever --format prints, and a bad
PATH refused before any build is read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import FIXTURES, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"


def test_junit_file_beside_the_text_report(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = run_cli("check", "--junit-xml", str(report), "--expect-id", "com.other", str(APK))
    assert result.code == 1
    assert "GEN001" in result.out  # the text report still goes to stdout
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "1"
    (suite,) = root.iter("testsuite")
    assert suite.get("name") == str(APK)


def test_a_bad_junit_path_is_a_usage_error_before_reading(tmp_path: Path) -> None:
    missing_build = tmp_path / "missing.apk"  # would be exit 3 if it were read first
    for bad, message in ((tmp_path / "no" / "j.xml", "is not a directory"),
                         (tmp_path, "is a directory")):
        result = run_cli("check", "--junit-xml", str(bad), str(missing_build))
        assert result.code == 2, result
        assert "--junit-xml: " in result.err and message in result.err
