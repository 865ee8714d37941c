"""The build taken when FILE is omitted: APPLIVERY_BUILD_PATH, the Bitrise variables (``|`` lists
included), then Gradle's and fastlane gym's output folders; several is refused, listing them. The
upload is checked by what the loopback server received."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from inspector.discover import BITRISE_VARIABLES, candidates
from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
AAB = FIXTURES / "aab" / "bundle-signed.aab"
IPA = FIXTURES / "ios" / "adhoc.ipa"
TOKEN = "app-TOKEN-discover-31f"
CLEARED = ("APPLIVERY_BUILD_PATH", *BITRISE_VARIABLES, "INSPECTOR_CONFIG", "GITHUB_ACTIONS", "GITLAB_CI",
           "BITRISE_IO", "JENKINS_URL")


def put(root: Path, relative: str, source: Path) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


@pytest.fixture
def here(monkeypatch, tmp_path) -> Path:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".git").mkdir()  # config discovery stops here
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def server(here, monkeypatch):
    with serving(monkeypatch, token=TOKEN, home=here) as s:
        yield s


def upload(*argv: str) -> CliResult:
    return run_cli("upload", "--no-git", "--no-deployer", "--retry-delay", "0", *argv)


def one_line_refusal(r: CliResult, *words: str) -> None:
    assert r.code == 2, r
    assert r.err.count("\n") == 1 and r.err.startswith("inspector: error: "), r.err
    for word in words:
        assert word in r.err, (word, r.err)


def test_gradle_output_is_uploaded_and_named(server, here) -> None:
    put(here, "app/build/outputs/apk/release/app-release.apk", APK)
    r = upload("--no-check")
    assert r.code == 0, r.err
    assert ("inspector: no FILE given: using app/build/outputs/apk/release/app-release.apk "
            "(from Gradle's output folder)") in r.err
    [got] = server.uploads()
    build = got.files["build"]
    assert build.filename == "app-release.apk"
    assert build.sha256 == hashlib.sha256(APK.read_bytes()).hexdigest()


def test_an_apk_and_an_aab_from_gradle_are_refused(server, here) -> None:
    put(here, "app/build/outputs/apk/release/app-release.apk", APK)
    put(here, "app/build/outputs/bundle/release/app-release.aab", AAB)
    r = upload("--no-check")
    one_line_refusal(r, "2 builds found", "app/build/outputs/apk/release/app-release.apk",
                     "app/build/outputs/bundle/release/app-release.aab", "name the one to use")
    assert server.requests == []


def test_applivery_build_path_wins_over_the_folders(server, here, monkeypatch) -> None:
    put(here, "app/build/outputs/apk/release/app-release.apk", APK)
    put(here, "out/App.ipa", IPA)
    monkeypatch.setenv("APPLIVERY_BUILD_PATH", "out/App.ipa")
    r = upload("--no-check")
    assert r.code == 0, r.err
    assert "using out/App.ipa (from APPLIVERY_BUILD_PATH)" in r.err
    assert server.uploads()[0].files["build"].filename == "App.ipa"


def test_a_bitrise_list_with_one_file_and_one_with_two(server, here, monkeypatch) -> None:
    apk = put(here, "deploy/app-release.apk", APK)
    # Bitrise separates several outputs with |; the same file twice is one build.
    monkeypatch.setenv("BITRISE_APK_PATH", f"{apk}|{apk}")
    r = upload("--no-check")
    assert r.code == 0, r.err
    assert f"using {apk} (from BITRISE_APK_PATH)" in r.err
    aab = put(here, "deploy/app-release.aab", AAB)
    monkeypatch.setenv("BITRISE_AAB_PATH", str(aab))
    r = upload("--no-check")
    one_line_refusal(r, "2 builds found", f"{aab} (BITRISE_AAB_PATH)", f"{apk} (BITRISE_APK_PATH)")
    assert len(server.uploads()) == 1


def test_a_variable_naming_no_file_is_refused(here, monkeypatch) -> None:
    put(here, "app/build/outputs/apk/release/app-release.apk", APK)
    monkeypatch.setenv("BITRISE_IPA_PATH", "/nonexistent/App.ipa")
    one_line_refusal(run_cli("check"), "BITRISE_IPA_PATH names /nonexistent/App.ipa, which is not a file")


def test_nothing_found(here) -> None:
    one_line_refusal(run_cli("check"), "check: no FILE given and no build found")


def test_gym_output_for_check_and_inspect(here) -> None:
    put(here, "App.ipa", IPA)
    r = run_cli("inspect", "--json")
    assert r.code == 0, r.err
    assert "using App.ipa (from fastlane gym's output (the working folder))" in r.err
    assert r.json["results"][0]["format"] == "ipa"
    r = run_cli("check", "--format", "json", "--signing-type", "ad-hoc")
    assert "no FILE given: using App.ipa" in r.err
    assert r.json["results"][0]["file"]["name"] == "App.ipa"


def test_candidates_order_and_sources(tmp_path) -> None:
    put(tmp_path, "fastlane/Beta.ipa", IPA)
    put(tmp_path, "app/build/outputs/apk/debug/app-debug.apk", APK)
    found = candidates({}, tmp_path)
    assert [(str(c.path), c.source) for c in found] == [
        ("app/build/outputs/apk/debug/app-debug.apk", "Gradle's output folder"),
        ("fastlane/Beta.ipa", "fastlane gym's output (fastlane/)")]
    assert [str(c.path) for c in candidates({"BITRISE_IPA_PATH": " | "}, tmp_path)] == \
        [str(c.path) for c in found]  # an empty list is no list
