"""The GitLab CI/CD component (templates/inspector.yml), run as a GitLab runner would run it: its
inputs rendered, its script in one bash session with GitLab's variables, against the loopback
Applivery server for uploads. What GitLab itself does with the JUnit file is GitLab's."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.applivery_server import ApplivServer
from tests.ci_runner import ROOT, gitlab_job, gitlab_render, gitlab_spec
from tests.conftest import FIXTURES

TEMPLATE = ROOT / "templates" / "inspector.yml"
APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-gitlab-51c0"
GITLAB = {"CI_COMMIT_SHA": "0f3c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", "CI_COMMIT_BRANCH": "main",
          "CI_COMMIT_TITLE": "Release 1.4.2", "CI_PIPELINE_IID": "812",
          "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/9", "CI_SERVER_URL":
          "https://gitlab.example", "CI_PROJECT_URL": "https://gitlab.example/acme/app"}


def job(tmp_path: Path, **inputs: object) -> dict:
    jobs = gitlab_render(TEMPLATE, {"install": "", **inputs})
    assert list(jobs) == ["inspector"]
    return jobs["inspector"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the build where a pipeline would have it."""
    (tmp_path / "build").mkdir()
    shutil.copy(APK, tmp_path / "build" / "app release.apk")
    return tmp_path


def junit(project: Path) -> ET.Element:
    return ET.parse(project / "inspector-junit.xml").getroot()


def test_inputs_are_declared_and_the_token_is_not_one() -> None:
    spec = gitlab_spec(TEMPLATE)
    assert "file" in spec and "default" not in (spec["file"] or {})  # required
    assert spec["mode"]["options"] == ["check", "upload"]
    assert not any("token" in name for name in spec)
    with pytest.raises(ValueError, match="not one of"):
        gitlab_render(TEMPLATE, {"file": "x", "mode": "deploy"})
    with pytest.raises(ValueError, match="required"):
        gitlab_render(TEMPLATE, {})


def test_check_passes_and_leaves_a_junit_report(project: Path) -> None:
    spec = job(project, file="build/*.apk", args="--expect-id com.applivery.inspector.fixture")
    assert spec["artifacts"] == {"when": "always", "reports": {"junit": "inspector-junit.xml"}}
    result = gitlab_job(spec, GITLAB, project)
    assert result.code == 0, result
    assert "PASSED" in result.out
    assert junit(project).get("failures") == "0"


def test_a_failed_check_fails_the_job_and_still_reports(project: Path) -> None:
    spec = job(project, file="build/*.apk", args="--expect-id com.acme.other")
    result = gitlab_job(spec, GITLAB, project)
    assert result.code == 1, result
    assert "GEN001" in result.out
    root = junit(project)
    assert root.get("failures") == "1"
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert len(failed) == 1 and failed[0].startswith("GEN001")


def test_a_glob_must_name_exactly_one_build(project: Path) -> None:
    shutil.copy(APK, project / "build" / "second.apk")
    result = gitlab_job(job(project, file="build/*.apk"), GITLAB, project)
    assert result.code == 2
    assert "matches 2 files, not one" in result.err
    result = gitlab_job(job(project, file="nothing/*.apk"), GITLAB, project)
    assert result.code == 2 and "matches 0 files" in result.err


def test_an_input_is_data_not_code(project: Path) -> None:
    marker = project / "pwned"
    result = gitlab_job(job(project, file="build/*.apk", args=f"$(touch {marker}) ;touch {marker}"),
                        GITLAB, project)
    assert result.code == 2  # inspector refuses the unknown words as options
    assert not marker.exists()


def test_upload_mode_checks_then_uploads_with_gitlab_deployer_fields(project: Path) -> None:
    with ApplivServer(app_token=TOKEN, lifetime=30) as server:
        variables = {**GITLAB, "APPLIVERY_APP_TOKEN": TOKEN, "APPLIVERY_UPLOAD_URL": server.url,
                     "APPLIVERY_API_URL": server.url, "INSPECTOR_ALLOW_HTTP": "1"}
        spec = job(project, file="build/*.apk", mode="upload", wait=True,
                   args="--expect-id com.applivery.inspector.fixture --no-git --wait-interval 0.1")
        result = gitlab_job(spec, variables, project)
        assert result.code == 0, result
        assert TOKEN not in result.out + result.err
        (received,) = server.uploads()
        assert received.field("deployer.name") == "GitLab CI"
        assert received.field("deployer.info.commit") == GITLAB["CI_COMMIT_SHA"]
        assert received.field("deployer.info.buildNumber") == "812"
        assert received.files["build"].filename == "app release.apk"
    assert junit(project).get("failures") == "0"


def test_upload_mode_uploads_nothing_after_a_failed_check(project: Path) -> None:
    with ApplivServer(app_token=TOKEN, lifetime=30) as server:
        variables = {**GITLAB, "APPLIVERY_APP_TOKEN": TOKEN, "APPLIVERY_UPLOAD_URL": server.url,
                     "APPLIVERY_API_URL": server.url, "INSPECTOR_ALLOW_HTTP": "1"}
        spec = job(project, file="build/*.apk", mode="upload", args="--expect-id com.acme.other")
        result = gitlab_job(spec, variables, project)
        assert result.code == 1, result
        assert server.uploads() == []
        assert "nothing was uploaded" in result.err
    assert junit(project).get("failures") == "1"
