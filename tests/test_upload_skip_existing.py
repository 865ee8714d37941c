"""``upload --skip-existing`` against the loopback server: a build whose number is already the app's
latest processed build is not sent again (exit 0, said on standard error); any other is uploaded."""

from __future__ import annotations

import pytest

from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"  # versionCode 42
IPA = FIXTURES / "ios" / "adhoc.ipa"  # CFBundleVersion 241
TOKEN = "app-TOKEN-skip-77e"


def listed(build_id: str, os: str, number: str, when: str = "2026-11-30T00:00:00.000Z") -> dict:
    info = {"android": {"versionCode": int(number)}} if os == "android" else {
        "ios": {"plist": {"CFBundleVersion": number}}}
    return {"id": build_id, "status": "processed", "os": os, "createdAt": when, "info": info}


@pytest.fixture
def server(monkeypatch, tmp_path):
    with serving(monkeypatch, token=TOKEN, home=tmp_path) as s:
        yield s


def upload(*argv: str) -> CliResult:
    result = run_cli("upload", "--no-git", "--no-deployer", "--retry-delay", "0", "--now",
                     "2026-12-01T00:00:00Z", "--skip-existing", *argv)
    assert TOKEN not in result.out + result.err
    return result


def test_the_latest_build_number_is_skipped(server, tmp_path, monkeypatch) -> None:
    server.listed = [listed("old7", "android", "41", "2026-11-01T00:00:00.000Z"),
                     listed("old8", "android", "42")]
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    r = upload(str(APK))
    assert r.code == 0, r.err
    assert server.uploads() == []
    assert ("inspector: signed-v1v2v3.apk: build number 42 is already the app's latest processed build "
            "(old8): skipped (--skip-existing)") in r.err
    assert r.out == ""
    [listing] = [q for q in server.requests if q.method == "GET"]
    # Every page, unfiltered by status: done builds are "success" or "processed".
    assert listing.path == "/v1/integrations/builds?os=android&page=1&limit=50"
    assert "build_id=old8" in output.read_text()  # the build the service already has


def test_json_says_skipped(server) -> None:
    server.listed = [listed("old8", "android", "42")]
    r = upload(str(APK), "--json")
    assert r.code == 0, r.err
    assert r.json["build_id"] == "old8" and "skipped (--skip-existing)" in r.json["skipped"]


@pytest.mark.parametrize("uploaded", [None, "41", "43"])
def test_another_build_number_is_uploaded(server, uploaded) -> None:
    server.listed = [listed("old", "android", uploaded)] if uploaded else []
    r = upload(str(APK))
    assert r.code == 0, r.err
    assert len(server.uploads()) == 1 and "skip" not in r.err


def test_a_rerun_with_newer_than_uploaded_is_a_skip_not_a_failure(server) -> None:
    server.listed = [listed("old8", "android", "42")]
    r = upload(str(APK), "--newer-than-uploaded")
    assert r.code == 0 and "skipped (--skip-existing)" in r.err and server.uploads() == []
    r = run_cli("upload", "--no-git", "--no-deployer", "--newer-than-uploaded", str(APK))
    assert r.code == 1 and "not greater" in r.err  # without --skip-existing the same build fails the gate


def test_several_builds_skip_one_upload_the_other(server) -> None:
    server.listed = [listed("old8", "android", "42"), listed("ios5", "ios", "240")]
    r = upload(str(APK), str(IPA))
    assert r.code == 0, r.err
    assert [u.files["build"].filename for u in server.uploads()] == ["adhoc.ipa"]
    summary = [line for line in r.err.splitlines() if line.startswith("inspector: summary: ")]
    assert summary[0].endswith("skipped (--skip-existing)") and summary[1].endswith("(pending)")
