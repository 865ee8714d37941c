"""The composite action (action.yml), run as the GitHub runner runs it: inputs, each step's bash
with its env, $GITHUB_OUTPUT / $GITHUB_ENV / $GITHUB_STEP_SUMMARY / $GITHUB_EVENT_PATH as files,
against the loopback Applivery server for uploads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.applivery_server import ApplivServer
from tests.ci_runner import ROOT, github_action
from tests.conftest import FIXTURES

ACTION = ROOT / "action.yml"
APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-action-93be"
GITHUB = {"GITHUB_SHA": "d" * 40, "GITHUB_REF_NAME": "main", "GITHUB_RUN_NUMBER": "55",
          "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app",
          "GITHUB_RUN_ID": "9001", "GITHUB_EVENT_NAME": "push"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    shutil.copy(APK, tmp_path / "out" / "app release.apk")
    return tmp_path


def test_check_mode_passes_with_outputs_and_a_summary(workspace: Path) -> None:
    run = github_action(ACTION, {"file": "out/*.apk",
                                 "args": "--expect-id com.applivery.inspector.fixture"},
                        GITHUB, workspace)
    assert run.code == 0, run
    assert run.ran == ["check", "upload"]
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["version"] == "1.4.2"
    assert run.outputs["build-number"] == "42"
    assert run.outputs["build-id"] == ""  # nothing was uploaded
    summary = (workspace / ".runner" / "step_summary").read_text()
    assert "com.applivery.inspector.fixture" in summary


def test_a_failed_check_annotates_and_stops_before_the_upload(workspace: Path) -> None:
    with ApplivServer(app_token=TOKEN, lifetime=30) as server:
        run = github_action(ACTION, {"file": "out/*.apk", "mode": "upload", "token": TOKEN,
                                     "args": "--expect-id com.acme.other"},
                            {**GITHUB, "APPLIVERY_UPLOAD_URL": server.url,
                             "APPLIVERY_API_URL": server.url, "INSPECTOR_ALLOW_HTTP": "1"},
                            workspace)
        assert server.uploads() == []
    assert run.code == 1
    assert run.ran == ["check"]
    assert run.outputs["verdict"] == "failed"
    assert any(line.startswith("::error ") and "GEN001" in line for line in run.out.splitlines())
    assert TOKEN not in run.out + run.err


def test_upload_mode_uploads_and_exports_the_build(workspace: Path) -> None:
    event = workspace / ".runner" / "event.json"
    event.parent.mkdir()
    event.write_text(json.dumps({"head_commit": {"message": "Release 1.4.2\n\nWith notes"}}))
    with ApplivServer(app_token=TOKEN, lifetime=30) as server:
        run = github_action(ACTION, {"file": "out/*.apk", "mode": "upload", "token": TOKEN,
                                     "wait": "true",
                                     "args": "--expect-id com.applivery.inspector.fixture",
                                     "upload-args": "--no-git --wait-interval 0.1"},
                            {**GITHUB, "APPLIVERY_UPLOAD_URL": server.url,
                             "APPLIVERY_API_URL": server.url, "INSPECTOR_ALLOW_HTTP": "1"},
                            workspace)
        assert run.code == 0, run
        (received,) = server.uploads()
        assert received.files["build"].filename == "app release.apk"
        assert received.field("deployer.name") == "GitHub Actions"
        assert received.field("deployer.info.commit") == "d" * 40
        # The commit message comes from the event file, whole.
        assert received.field("deployer.info.commitMessage") == "Release 1.4.2\n\nWith notes"
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["build-id"].startswith("b")
    assert run.outputs["status"] == "processed"
    assert TOKEN not in run.out + run.err


def test_the_glob_must_match_one_file_and_the_mode_must_be_known(workspace: Path) -> None:
    run = github_action(ACTION, {"file": "none/*.apk"}, GITHUB, workspace)
    assert run.code == 2 and "matches 0 files, not one" in run.out
    run = github_action(ACTION, {"file": "out/*.apk", "mode": "deploy"}, GITHUB, workspace)
    assert run.code == 2 and "mode must be check or upload" in run.out


def test_an_input_is_data_not_code(workspace: Path) -> None:
    marker = workspace / "pwned"
    run = github_action(ACTION, {"file": f"out/*.apk$(touch {marker})",
                                 "args": f"$(touch {marker}) `touch {marker}`"}, GITHUB, workspace)
    assert run.code == 2
    assert not marker.exists()


def test_the_token_input_is_required_to_be_a_secret_not_a_default() -> None:
    import yaml

    spec = yaml.safe_load(ACTION.read_text())
    assert spec["inputs"]["token"]["default"] == ""
    assert spec["runs"]["using"] == "composite"
    # No input is ever interpolated into a script: only into env values.
    for step in spec["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("id")


def test_check_outputs_of_a_hostile_version_add_no_key(tmp_path: Path, monkeypatch) -> None:
    from tests.ci_runner import read_github_file
    from tests.conftest import run_cli
    from tests.test_output_escaping import HOSTILE, hostile_apk

    apk = hostile_apk(tmp_path)
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = run_cli("check", "--format", "github", str(apk))
    values = read_github_file(output)
    assert set(values) == {"verdict", "identifier", "version", "build_number"}
    assert values["version"] == HOSTILE.replace("\r\n", "\n")
    assert values["verdict"] == ("passed" if result.code == 0 else "failed")


def test_several_files_give_one_verdict_and_no_version(tmp_path: Path, monkeypatch) -> None:
    from tests.ci_runner import read_github_file
    from tests.conftest import run_cli

    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = run_cli("check", str(APK), str(tmp_path / "missing.apk"))
    assert result.code == 3
    assert read_github_file(output) == {"verdict": "failed"}
