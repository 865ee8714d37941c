"""``inspector upload A B...`` against the loopback server: every build is checked before any is
sent, a failed check uploads none, an upload failure does not stop the others, one summary line per
build, and the exit code is the worst."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
DEBUG_APK = FIXTURES / "apk" / "debuggable.apk"  # AND001/AND002 warnings: fails under --strict
IPA = FIXTURES / "ios" / "adhoc.ipa"
TOKEN = "app-TOKEN-many-5b0"
NOW = ("--now", "2026-12-01T00:00:00Z")  # the IPA's profiles are then 35 days from expiry


@pytest.fixture
def server(monkeypatch, tmp_path):
    with serving(monkeypatch, token=TOKEN, home=tmp_path) as s:
        yield s


def upload(*argv: str) -> CliResult:
    result = run_cli("upload", "--no-git", "--no-deployer", "--retry-delay", "0", "--retries", "0", *NOW,
                     *argv)
    assert TOKEN not in result.out + result.err
    return result


def summary_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("inspector: summary: ")]


def test_two_builds_are_uploaded_with_one_summary_line_each(server) -> None:
    r = upload(str(APK), str(IPA))
    assert r.code == 0, r.err
    assert r.out.splitlines() == ["uploaded build b000001: pending", "uploaded build b000002: pending"]
    assert summary_lines(r.err) == [f"inspector: summary: {APK}: uploaded build b000001 (pending)",
                                    f"inspector: summary: {IPA}: uploaded build b000002 (pending)"]
    assert [u.files["build"].filename for u in server.uploads()] == ["signed-v1v2v3.apk", "adhoc.ipa"]
    assert r.err.count("the token goes to") == 1


def test_one_failed_check_uploads_none(server) -> None:
    r = upload(str(APK), str(DEBUG_APK), "--strict")
    assert r.code == 1, r.err
    assert server.requests == []
    assert "a build did not pass: nothing was uploaded" in r.err
    assert summary_lines(r.err) == [f"inspector: summary: {APK}: checked, not uploaded",
                                    f"inspector: summary: {DEBUG_APK}: the check failed"]
    r = upload(str(APK), str(DEBUG_APK), "--strict", "--json")
    assert r.json == {"builds": [{"file": str(APK)},
                                 {"file": str(DEBUG_APK), "error": "the check failed", "exit_code": 1}]}


def test_an_unreadable_build_uploads_none(server, tmp_path) -> None:
    fake = tmp_path / "random.apk"
    fake.write_bytes(bytes(range(256)) * 8)
    r = upload(str(APK), str(fake), str(IPA))
    assert r.code == 4, r.err  # unknown format: the worst code of the three
    assert server.requests == []
    lines = summary_lines(r.err)
    assert len(lines) == 3 and lines[1].startswith(f"inspector: summary: {fake}: error: ")
    assert r.err.count("inspector: error: ") == 1  # the one error line, when it happened


def test_an_upload_failure_does_not_stop_the_others_and_sets_the_exit_code(server) -> None:
    server.plan = ["400"]  # the first upload is refused with 5006
    r = upload(str(APK), str(IPA), "--json")
    assert r.code == 5, r.err
    assert len(server.uploads()) == 2
    doc = r.json
    assert [b["file"] for b in doc["builds"]] == [str(APK), str(IPA)]
    assert doc["builds"][0]["exit_code"] == 5 and "5006" in doc["builds"][0]["error"]
    assert doc["builds"][1]["build_id"] == "b000001"
    lines = summary_lines(r.err)
    assert "error:" in lines[0] and lines[1].endswith("uploaded build b000001 (pending)")


def test_the_same_build_twice_is_refused(server) -> None:
    r = upload(str(APK), str(APK))
    assert r.code == 2 and "given twice" in r.err and server.requests == []


def test_dry_runs_of_several_builds(server) -> None:
    r = upload(str(APK), str(IPA), "--dry-run")
    assert r.code == 0, r.err
    assert [doc["files"][-1]["filename"] for doc in r.json] == ["signed-v1v2v3.apk", "adhoc.ipa"]
    r = upload(str(APK), str(IPA), "--dry-run=curl")
    assert r.code == 0 and server.requests == []
    if shutil.which("curl") is None:
        pytest.skip("curl is needed to run the commands")
    done = subprocess.run(["bash", "-c", r.out], env={**os.environ, "APPLIVERY_APP_TOKEN": TOKEN},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert [u.files["build"].filename for u in server.uploads()] == ["signed-v1v2v3.apk", "adhoc.ipa"]


def test_wait_for_each_build(server) -> None:
    server.processing = ["error"]
    r = upload(str(APK), str(IPA), "--wait", "--wait-interval", "0.05", "--json")
    assert r.code == 6, r.err  # processing ended in error, for both
    builds = r.json["builds"]
    assert [(b["build_id"], b["build_status"], b["exit_code"]) for b in builds] == [
        ("b000001", "error", 6), ("b000002", "error", 6)]
    lines = summary_lines(r.err)
    assert len(lines) == 2
    for line, path, build_id in zip(lines, (APK, IPA), ("b000001", "b000002"), strict=True):
        # the processing error as the service gave it, one line per build
        assert line.startswith(f"inspector: summary: {path}: build {build_id} ") and "5006" in line


def test_one_junit_report_holds_every_build(server, tmp_path) -> None:
    import xml.etree.ElementTree as ET

    fake = tmp_path / "random.apk"
    fake.write_bytes(bytes(range(256)) * 8)
    report = tmp_path / "report.xml"
    r = upload(str(APK), str(DEBUG_APK), str(fake), "--strict", "--junit-xml", str(report))
    assert r.code == 4 and server.requests == []
    suites = {suite.get("name"): suite for suite in ET.parse(report).getroot().iter("testsuite")}
    assert list(suites) == [str(APK), str(DEBUG_APK), str(fake)]  # not only the last build's verdict
    counts = {name: (suite.get("failures"), suite.get("errors")) for name, suite in suites.items()}
    assert counts == {str(APK): ("0", "0"), str(DEBUG_APK): ("2", "0"), str(fake): ("0", "1")}
