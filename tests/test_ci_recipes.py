"""The CI recipes of docs/ci.md, run as far as this machine allows: each recipe's shell lines in
a shell with that CI's variables set (secrets included, as each CI hands them over), against the
loopback Applivery server. The setup lines are skipped (the install from the package index, and
making a virtual environment for it), because this environment has inspector installed already;
everything else runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.applivery_server import ApplivServer
from tests.ci_runner import ROOT, base_env, run_bash
from tests.conftest import FIXTURES

DOC = ROOT / "docs" / "ci.md"
APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-recipes-7d21"
_INSTALL = re.compile(r"^\s*python3? -m pip install --quiet applivery-inspector\s*$", re.M)


def recipe(name: str) -> str:
    """The fenced block that follows ``<!-- recipe: NAME -->`` in docs/ci.md."""
    match = re.search(rf"<!-- recipe: {name} -->\n```\w+\n(.*?)\n```", DOC.read_text(), re.S)
    assert match, f"docs/ci.md has no recipe {name}"
    return match.group(1)


def without_install(script: str) -> str:
    script, count = _INSTALL.subn("true  # installed already", script)
    assert count == 1, "each recipe installs inspector exactly once"
    return script


@pytest.fixture
def server():
    with ApplivServer(app_token=TOKEN, lifetime=30) as s:
        yield s


def loopback(server: ApplivServer) -> dict[str, str]:
    return {"APPLIVERY_UPLOAD_URL": server.url, "APPLIVERY_API_URL": server.url,
            "INSPECTOR_ALLOW_HTTP": "1"}


def uploaded(server: ApplivServer, out: str, err: str) -> dict[str, str | None]:
    assert TOKEN not in out + err
    (received,) = server.uploads()
    return {name: received.field(name) for name in
            ("deployer.name", "deployer.info.commit", "deployer.info.buildNumber")}


def test_bitrise(server: ApplivServer, tmp_path: Path) -> None:
    (step,) = yaml.safe_load(recipe("bitrise"))
    script = step["script@1"]["inputs"][0]["content"]
    (tmp_path / "results").mkdir()
    apk = tmp_path / "deploy" / "app-release.apk"
    apk.parent.mkdir()
    shutil.copy(APK, apk)
    env = base_env({"CI": "true", "BITRISE_IO": "true", "BITRISE_BUILD_NUMBER": "77",
                    "BITRISE_GIT_COMMIT": "a" * 40, "BITRISE_APK_PATH": str(apk),
                    "BITRISE_TEST_RESULT_DIR": str(tmp_path / "results"),
                    "APPLIVERY_APP_TOKEN": TOKEN, **loopback(server)})
    script = script.replace("--expect-id com.acme.app", "--expect-id com.applivery.inspector.fixture")
    job = run_bash(without_install(script), env, tmp_path)
    assert job.code == 0, job
    fields = uploaded(server, job.out, job.err)
    assert fields["deployer.name"] == "Bitrise"
    assert fields["deployer.info.buildNumber"] == "77"
    assert ET.parse(tmp_path / "results" / "inspector-junit.xml").getroot().get("failures") == "0"


def test_bitrise_gate_failure_uploads_nothing(server: ApplivServer, tmp_path: Path) -> None:
    (step,) = yaml.safe_load(recipe("bitrise"))
    script = step["script@1"]["inputs"][0]["content"]  # expects com.acme.app: not this build
    (tmp_path / "results").mkdir()
    env = base_env({"CI": "true", "BITRISE_IO": "true", "BITRISE_APK_PATH": str(APK),
                    "BITRISE_TEST_RESULT_DIR": str(tmp_path / "results"),
                    "APPLIVERY_APP_TOKEN": TOKEN, **loopback(server)})
    job = run_bash(without_install(script), env, tmp_path)
    assert job.code == 1 and "nothing was uploaded" in job.err, job
    assert server.uploads() == []
    assert ET.parse(tmp_path / "results" / "inspector-junit.xml").getroot().get("failures") == "1"


def test_jenkins(server: ApplivServer, tmp_path: Path) -> None:
    text = recipe("jenkins")
    assert "credentials('applivery-app-token')" in text  # the token comes from a credential
    script = re.search(r"sh '''\n(.*?)'''", text, re.S).group(1)
    apk = tmp_path / "app/build/outputs/apk/release/app-release.apk"
    apk.parent.mkdir(parents=True)
    shutil.copy(APK, apk)
    script = script.replace("--expect-id com.acme.app", "--expect-id com.applivery.inspector.fixture")
    env = base_env({"JENKINS_URL": "https://jenkins.example/", "BUILD_NUMBER": "31",
                    "GIT_COMMIT": "b" * 40, "APPLIVERY_APP_TOKEN": TOKEN, **loopback(server)})
    # Making a virtual environment is setup too (half a minute on a loaded machine): here the
    # environment already has inspector, so the recipe activates an empty one in its place.
    script, count = re.subn(r"python3 -m venv \.inspector && ", "", script)
    assert count == 1
    (tmp_path / ".inspector" / "bin").mkdir(parents=True)
    (tmp_path / ".inspector" / "bin" / "activate").write_text("")
    # Jenkins runs an sh step as `sh -xe` with the script in a file.
    (tmp_path / "step.sh").write_text(without_install(script))
    done = subprocess.run(["sh", "-xe", "step.sh"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (done.stdout, done.stderr)
    fields = uploaded(server, done.stdout, done.stderr)
    assert fields["deployer.name"] == "Jenkins"
    assert fields["deployer.info.commit"] == "b" * 40
    assert ET.parse(tmp_path / "inspector-junit.xml").getroot().get("failures") == "0"


def _azure_macros(text: str, variables: dict[str, str]) -> str:
    # Azure replaces $(Name) macros before the script runs; an unknown one stays as it is.
    return re.sub(r"\$\(([A-Za-z_.]+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)


def test_azure_pipelines(server: ApplivServer, tmp_path: Path) -> None:
    steps = yaml.safe_load(recipe("azure"))
    script_step, publish = steps
    assert publish["task"] == "PublishTestResults@2" and publish["condition"] == "always()"
    staging, temp = tmp_path / "staging", tmp_path / "temp"
    staging.mkdir()
    temp.mkdir()
    shutil.copy(APK, staging / "app-release.apk")
    variables = {"Build.ArtifactStagingDirectory": str(staging), "Agent.TempDirectory": str(temp),
                 "APPLIVERY_APP_TOKEN": TOKEN}
    script = _azure_macros(script_step["script"], variables)
    script = script.replace("--expect-id com.acme.app", "--expect-id com.applivery.inspector.fixture")
    step_env = {k: _azure_macros(v, variables) for k, v in script_step["env"].items()}
    env = base_env({"TF_BUILD": "True", "BUILD_BUILDID": "4051", "BUILD_SOURCEVERSION": "c" * 40,
                    **step_env, **loopback(server)})
    job = run_bash("set -e\n" + without_install(script), env, tmp_path)
    assert job.code == 0, job
    fields = uploaded(server, job.out, job.err)
    assert fields["deployer.name"] == "Azure Pipelines"
    report = _azure_macros(publish["inputs"]["testResultsFiles"], variables)
    assert ET.parse(report).getroot().get("failures") == "0"


def test_fastlane(server: ApplivServer, tmp_path: Path) -> None:
    text = recipe("fastlane")
    call = re.search(r"sh\((.*?)\)\nend", text, re.S).group(1)
    apk = tmp_path / "app-release.apk"
    shutil.copy(APK, apk)
    # fastlane's sh with several arguments runs them as one argv, no shell: the lane context's
    # path is a Ruby expression, here the path gradle would have left.
    argv = [str(apk) if part.startswith("lane_context[") else yaml.safe_load(part)
            for part in re.split(r",\s*", call.strip())]
    argv = ["com.applivery.inspector.fixture" if a == "com.acme.app" else a for a in argv]
    assert argv[:2] == ["inspector", "upload"]
    env = base_env({"FASTLANE_LANE_NAME": "beta", "APPLIVERY_APP_TOKEN": TOKEN,
                    **loopback(server)})
    done = subprocess.run([shutil.which("inspector", path=env["PATH"]), *argv[1:], "--no-git"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (done.stdout, done.stderr)
    uploaded(server, done.stdout, done.stderr)
    assert ET.parse(tmp_path / "inspector-junit.xml").getroot().get("failures") == "0"
