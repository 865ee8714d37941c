"""Issue 12: every hostile input ends fast, small and clear, and one bad file never stops a batch.

Every input is generated here or by ``tests/hostile.py``; the times asserted are generous bounds
(the measured ones are in the README's "Resource budget").
"""

from __future__ import annotations

import json
import math
import os
import plistlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

import inspector
from inspector.cli import EXIT_INTERNAL, for_one_file
from inspector.containers.plist import load_plist
from inspector.errors import ArtifactError, InternalError
from inspector.records.base import jsonable
from inspector.report.text import Block, printable
from tests import hostile
from tests.conftest import FIXTURES, ROOT, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"


def _timed_inspect(path: Path, seconds: float = 2.0) -> object:
    start = time.monotonic()
    try:
        result: object = inspector.inspect(path, digest=False)
    except ArtifactError as exc:
        result = exc
    assert time.monotonic() - start < seconds, f"{path.name} took too long"
    return result


# -- a batch always reports every file ----------------------------------------------------------
def test_for_one_file_turns_a_bug_into_that_files_error() -> None:
    def boom() -> None:
        raise UnboundLocalError("cannot access local variable 'x'")

    outcome = for_one_file("a.apk", boom)
    assert isinstance(outcome, InternalError)
    assert outcome.path == "a.apk"
    assert "UnboundLocalError" in str(outcome)
    assert for_one_file("a.apk", lambda: 7) == 7


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bug_in_one_file_never_stops_the_batch(tmp_path: Path, monkeypatch, as_json: bool) -> None:
    import inspector.formats.profile as profile

    def broken(source: object) -> object:
        raise RuntimeError("a parser bug")

    # A bug in the profile parser: the profile's result says so, the APKs around it are reported.
    monkeypatch.setattr(profile, "parse", broken)
    bad = tmp_path / "x.mobileprovision"
    bad.write_bytes(plistlib.dumps({"TeamName": "T", "AppIDName": "A"}))
    argv = ["inspect", "--no-hash", *(["--json"] if as_json else []), str(APK), str(bad), str(APK)]
    result = run_cli(*argv)
    assert result.code == EXIT_INTERNAL
    if as_json:
        results = result.json["results"]
        assert [("error" in r) for r in results] == [False, True, False]
        assert results[1]["error"]["exit_code"] == EXIT_INTERNAL
        assert "RuntimeError: a parser bug" in results[1]["error"]["message"]
    else:
        assert result.out.count("(Android APK)") == 2
        assert result.err.count("\n") == 1
        assert "RuntimeError: a parser bug" in result.err


# -- output that a hostile file controls --------------------------------------------------------
def test_printable_escapes_terminal_controls() -> None:
    assert printable("a\x1b]0;t\x07\x1b[2J\nb\u202e\x9b") == "a\\x1b]0;t\\x07\\x1b[2J\\nb\\u202e\\x9b"
    assert printable("Prüf-Fixture 検査") == "Prüf-Fixture 検査"


def test_a_hostile_label_cannot_forge_report_lines(tmp_path: Path) -> None:
    path = hostile.escape_label_ipa(tmp_path)
    result = run_cli("inspect", "--no-hash", str(path))
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert not any(line.lstrip().startswith("Signed  v1") for line in result.out.splitlines())
    assert "Nice\\x1b]0;pwned\\x07\\x1b[2J\\n  Signed  v1, v2, v3" in result.out
    # JSON keeps the string as it is (JSON escapes it already).
    record = run_cli("inspect", "--no-hash", "--json", str(path)).json["results"][0]
    assert record["app"]["CFBundleDisplayName"].startswith("Nice\x1b]0;")


def test_block_lines_are_values_and_newlines_inside_are_escaped() -> None:
    block = Block("t\x1b").add("Key", ["one", "two\nthree"]).add("K2", "x\ny")
    assert block.render() == ["t\\x1b", "  Key  one", "       two\\nthree", "  K2   x\\ny"]


def test_a_newline_in_a_file_name_stays_on_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "bad\nname\x1b[2J.apk"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = run_cli("inspect", str(path))
    assert result.code == 3
    assert result.err.count("\n") == 1
    assert "\x1b" not in result.err
    assert "bad\\nname\\x1b[2J.apk" in result.err


def test_json_never_holds_nan_or_infinity(tmp_path: Path) -> None:
    assert jsonable([math.nan, math.inf, -math.inf, 1.5]) == ["NaN", "Infinity", "-Infinity", 1.5]
    profile = tmp_path / "nan.mobileprovision"
    profile.write_bytes(plistlib.dumps({"AppIDName": "A", "TeamName": "T", "TimeToLive": math.nan,
                                        "Entitlements": {"x": math.inf}}))
    result = run_cli("inspect", "--no-hash", "--json", str(profile))
    assert "NaN" not in result.out.replace('"NaN"', "")
    assert "Infinity" not in result.out.replace('"Infinity"', "")
    json.loads(result.out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))


def test_year_zero_date_is_iso() -> None:
    from datetime import UTC

    from asn1crypto.util import extended_datetime

    assert jsonable(extended_datetime(0, 1, 1, tzinfo=UTC)) == "0000-01-01T00:00:00Z"


def test_now_at_the_end_of_time_is_a_usage_error() -> None:
    result = run_cli("inspect", "--now", "9999-12-31T23:00-14:00", "--json", str(APK))
    assert result.code == 2
    assert "outside the years" in result.err
    assert run_cli("inspect", "--now", "2027-01-01T23:00-14:00", "--json", "--no-hash",
                   str(APK)).json["now"] == "2027-01-02T13:00:00Z"


def test_icon_write_does_not_follow_a_symlink(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (icons / f"{APK.name}.png").symlink_to(victim)
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(icons), str(APK), str(APK))
    assert victim.read_bytes() == b"keep me"
    assert result.code == 74
    assert result.err.count("cannot write the icon") == 2
    assert result.out.count("(Android APK)") == 0


def test_icon_write_error_is_that_files_error(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    (icons / f"{APK.name}.png").mkdir(parents=True)  # a folder where the file should go
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(icons), str(APK))
    assert result.code == 74
    error = result.json["results"][0]["error"]
    assert error["kind"] == "OutputError" and "cannot write the icon" in error["message"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full to fill stdout")
def test_a_full_disk_on_stdout_is_one_clear_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "inspector", "inspect", "--json", "--no-hash",
                               str(APK)], stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                              check=False)
    assert proc.returncode == 74
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "inspector: error: cannot write the report (No space left on device)"]


# -- plists -------------------------------------------------------------------------------------
def test_plist_dag_is_refused_fast(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ArtifactError, match="more than 200000 values"):
        load_plist(hostile.bplist_dag(60), member="Info.plist")
    assert time.monotonic() - start < 1
    # a small DAG is a plist like any other
    assert load_plist(hostile.bplist_dag(4))["Shared"][1][1][0] == ["leaf", "leaf"]


@pytest.mark.parametrize("maker", [hostile.dag_profile, hostile.dag_ipa])
def test_dag_artifacts_end_as_one_error(tmp_path: Path, maker) -> None:
    result = _timed_inspect(maker(tmp_path))
    assert isinstance(result, ArtifactError)
    assert "more than 200000 values" in str(result)


def test_plist_opening_with_its_doctype_is_read() -> None:
    data = (b'<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            b'"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            b'<plist version="1.0"><dict><key>a</key><string>b</string></dict></plist>')
    assert load_plist(data) == {"a": "b"}


def test_unknown_xml_encoding_is_an_artifact_error(tmp_path: Path) -> None:
    result = _timed_inspect(hostile.unknown_encoding_ipa(tmp_path))
    assert isinstance(result, ArtifactError)
    assert "unknown encoding" in str(result) and result.member == "Payload/H.app/Info.plist"
