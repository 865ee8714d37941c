"""Deployer fields from each CI's environment mapping, git as the fallback, overrides winning."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from inspector.errors import UsageError
from inspector.upload.deployer import detect_deployer, from_environment, from_git, parse_overrides
from inspector.upload.request import Deployer

CASES = {
    "github": (
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SHA": "c0ffee",
            "GITHUB_REF_NAME": "main",
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_RUN_ID": "99",
            "GITHUB_RUN_NUMBER": "7",
        },
        Deployer(
            name="GitHub Actions",
            commit="c0ffee",
            branch="main",
            buildUrl="https://github.com/acme/app/actions/runs/99",
            ciUrl="https://github.com",
            repositoryUrl="https://github.com/acme/app",
            buildNumber="7",
        ),
    ),
    "gitlab": (
        {
            "GITLAB_CI": "true",
            "CI_COMMIT_SHA": "c0ffee",
            "CI_COMMIT_TITLE": "Fix",
            "CI_COMMIT_TAG": "v1",
            "CI_PIPELINE_CREATED_AT": "2026-11-28T05:00:00Z",
            "CI_PIPELINE_URL": "https://gl/p/1",
            "CI_SERVER_URL": "https://gl",
            "CI_PROJECT_URL": "https://gl/acme/app",
            "CI_PIPELINE_IID": "12",
        },
        Deployer(
            name="GitLab CI",
            commit="c0ffee",
            commitMessage="Fix",
            tag="v1",
            triggerTimestamp="1795842000000",
            buildUrl="https://gl/p/1",
            ciUrl="https://gl",
            repositoryUrl="https://gl/acme/app",
            buildNumber="12",
        ),
    ),
    "bitrise": (
        {
            "BITRISE_IO": "true",
            "BITRISE_GIT_COMMIT": "c0ffee",
            "BITRISE_GIT_MESSAGE": "Fix",
            "BITRISE_GIT_BRANCH": "dev",
            "BITRISE_BUILD_TRIGGER_TIMESTAMP": "1796360400",
            "BITRISE_BUILD_URL": "https://app.bitrise.io/build/x",
            "BITRISE_APP_URL": "https://app.bitrise.io/app/y",
            "GIT_REPOSITORY_URL": "git@github.com:acme/app.git",
            "BITRISE_BUILD_NUMBER": "3",
        },
        Deployer(
            name="Bitrise",
            commit="c0ffee",
            commitMessage="Fix",
            branch="dev",
            triggerTimestamp="1796360400000",
            buildUrl="https://app.bitrise.io/build/x",
            ciUrl="https://app.bitrise.io/app/y",
            repositoryUrl="git@github.com:acme/app.git",
            buildNumber="3",
        ),
    ),
    "jenkins": (
        {
            "JENKINS_URL": "https://ci/",
            "GIT_COMMIT": "c0ffee",
            "GIT_BRANCH": "origin/main",
            "BUILD_URL": "https://ci/job/1/",
            "GIT_URL": "https://user:pw@git/acme.git",
            "BUILD_NUMBER": "1",
        },
        Deployer(
            name="Jenkins",
            commit="c0ffee",
            branch="main",
            buildUrl="https://ci/job/1/",
            ciUrl="https://ci/",
            repositoryUrl="https://git/acme.git",
            buildNumber="1",
        ),
    ),
    "azure": (
        {
            "TF_BUILD": "True",
            "BUILD_SOURCEVERSION": "c0ffee",
            "BUILD_SOURCEVERSIONMESSAGE": "Fix",
            "BUILD_SOURCEBRANCH": "refs/tags/v2",
            "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
            "SYSTEM_TEAMPROJECT": "app",
            "BUILD_BUILDID": "55",
            "BUILD_REPOSITORY_URI": "https://r",
            "BUILD_BUILDNUMBER": "20261128.1",
        },
        Deployer(
            name="Azure Pipelines",
            commit="c0ffee",
            commitMessage="Fix",
            tag="v2",
            buildUrl="https://dev.azure.com/acme/app/_build/results?buildId=55",
            ciUrl="https://dev.azure.com/acme/",
            repositoryUrl="https://r",
            buildNumber="20261128.1",
        ),
    ),
    "circle": (
        {
            "CIRCLECI": "true",
            "CIRCLE_SHA1": "c0ffee",
            "CIRCLE_BRANCH": "main",
            "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/app/5",
            "CIRCLE_REPOSITORY_URL": "https://r",
            "CIRCLE_BUILD_NUM": "5",
        },
        Deployer(
            name="CircleCI",
            commit="c0ffee",
            branch="main",
            buildUrl="https://circleci.com/gh/acme/app/5",
            ciUrl="https://circleci.com",
            repositoryUrl="https://r",
            buildNumber="5",
        ),
    ),
    "bitbucket": (
        {
            "BITBUCKET_BUILD_NUMBER": "8",
            "BITBUCKET_COMMIT": "c0ffee",
            "BITBUCKET_BRANCH": "main",
            "BITBUCKET_GIT_HTTP_ORIGIN": "https://bitbucket.org/acme/app",
        },
        Deployer(
            name="Bitbucket Pipelines",
            commit="c0ffee",
            branch="main",
            buildUrl="https://bitbucket.org/acme/app/addon/pipelines/home#!/results/8",
            ciUrl="https://bitbucket.org",
            repositoryUrl="https://bitbucket.org/acme/app",
            buildNumber="8",
        ),
    ),
    "travis": (
        {
            "TRAVIS": "true",
            "TRAVIS_COMMIT": "c0ffee",
            "TRAVIS_COMMIT_MESSAGE": "Fix",
            "TRAVIS_BRANCH": "main",
            "TRAVIS_BUILD_WEB_URL": "https://travis/b/1",
            "TRAVIS_REPO_SLUG": "acme/app",
            "TRAVIS_BUILD_NUMBER": "1",
        },
        Deployer(
            name="Travis CI",
            commit="c0ffee",
            commitMessage="Fix",
            branch="main",
            buildUrl="https://travis/b/1",
            ciUrl="https://app.travis-ci.com",
            repositoryUrl="https://github.com/acme/app",
            buildNumber="1",
        ),
    ),
    "buildkite": (
        {
            "BUILDKITE": "true",
            "BUILDKITE_COMMIT": "c0ffee",
            "BUILDKITE_MESSAGE": "Fix",
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_BUILD_URL": "https://bk/b/4",
            "BUILDKITE_REPO": "https://r",
            "BUILDKITE_BUILD_NUMBER": "4",
        },
        Deployer(
            name="Buildkite",
            commit="c0ffee",
            commitMessage="Fix",
            branch="main",
            buildUrl="https://bk/b/4",
            ciUrl="https://buildkite.com",
            repositoryUrl="https://r",
            buildNumber="4",
        ),
    ),
    "teamcity": (
        {"TEAMCITY_VERSION": "2024.1", "BUILD_VCS_NUMBER": "c0ffee", "BUILD_NUMBER": "77"},
        Deployer(name="TeamCity", commit="c0ffee", buildNumber="77"),
    ),
    "codemagic": (
        {
            "CM_BUILD_ID": "bid",
            "CM_PROJECT_ID": "pid",
            "CM_COMMIT": "c0ffee",
            "CM_BRANCH": "main",
            "BUILD_NUMBER": "9",
        },
        Deployer(
            name="Codemagic",
            commit="c0ffee",
            branch="main",
            buildUrl="https://codemagic.io/app/pid/build/bid",
            ciUrl="https://codemagic.io",
            buildNumber="9",
        ),
    ),
    # Names from https://developer.apple.com/documentation/xcode/environment-variable-reference;
    # a pull request build names its source commit and branch beside the target's.
    "xcode-cloud": (
        {
            "CI": "TRUE",
            "CI_XCODEBUILD_ACTION": "archive",
            "CI_WORKFLOW": "Release",
            "CI_COMMIT": "target0",
            "CI_BRANCH": "main",
            "CI_PULL_REQUEST_SOURCE_COMMIT": "c0ffee",
            "CI_PULL_REQUEST_SOURCE_BRANCH": "feature/x",
            "CI_BUILD_NUMBER": "31",
            "CI_BUILD_URL": "https://appstoreconnect.apple.com/teams/t/apps/a/ci/builds/b",
        },
        Deployer(
            name="Xcode Cloud",
            commit="c0ffee",
            branch="feature/x",
            buildUrl="https://appstoreconnect.apple.com/teams/t/apps/a/ci/builds/b",
            ciUrl="https://appstoreconnect.apple.com",
            buildNumber="31",
        ),
    ),
    # Apple's Xcode Server Environment Variable Reference (XCS is always 1).
    "xcode-server": (
        {"XCS": "1", "XCS_BOT_NAME": "App Bot", "XCS_INTEGRATION_NUMBER": "64",
         "XCS_PRIMARY_REPO_BRANCH": "master", "XCS_PRIMARY_REPO_REVISION": "c0ffee"},
        Deployer(name="Xcode Server", commit="c0ffee", branch="master", buildNumber="64"),
    ),
    # https://learn.microsoft.com/en-au/appcenter/build/custom/variables
    "app-center": (
        {"APPCENTER_BUILD_ID": "118", "APPCENTER_BRANCH": "develop", "APPCENTER_TRIGGER": "continuous",
         "APPCENTER_SOURCE_DIRECTORY": "/Users/runner/work/1/s"},
        Deployer(name="App Center", branch="develop", buildNumber="118"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_ci(name: str) -> None:
    env, expected = CASES[name]
    assert from_environment(env) == expected


def test_no_ci_gives_nothing() -> None:
    assert from_environment({"HOME": "/root", "CI": "true"}) is None


def test_github_tag_run_is_a_tag_not_a_branch() -> None:
    d = from_environment({"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "v1.2", "GITHUB_REF_TYPE": "tag"})
    assert d is not None and (d.tag, d.branch) == ("v1.2", None)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "feature/x")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "T")
    git("remote", "add", "origin", "https://bot:ghp_secret@github.com/acme/app.git")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "First commit",
        "-m", "The body, which is sent too.", "--date", "2026-11-28T05:00:00Z")
    git("tag", "v0.1")
    return tmp_path


def test_git_fallback(repo) -> None:
    d = from_git(repo)
    assert d is not None
    assert d.commitMessage == "First commit\n\nThe body, which is sent too." and d.branch == "feature/x"
    assert d.tag == "v0.1"
    assert d.commit and len(d.commit) == 40
    assert d.repositoryUrl == "https://github.com/acme/app.git"  # credentials stripped
    assert d.triggerTimestamp is None  # the commit's date is not when a build was triggered


def test_outside_a_repository_git_gives_nothing(tmp_path) -> None:
    assert from_git(tmp_path) is None


def test_ci_values_win_git_fills_gaps_overrides_win_last(repo) -> None:
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": head,
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
    }
    d = detect_deployer(env, cwd=repo, overrides={"buildNumber": "override", "name": "My CI"})
    assert d is not None
    assert (d.name, d.commit, d.branch, d.commitMessage, d.buildNumber) == (
        "My CI",
        head,
        "main",
        "First commit\n\nThe body, which is sent too.",
        "override",
    )
    # The CI built another commit than git's HEAD: git's message, branch and tag describe HEAD.
    d = detect_deployer({**env, "GITHUB_SHA": "c0ffee", "GITHUB_REF_NAME": ""}, cwd=repo)
    assert (d.commit, d.commitMessage, d.branch, d.tag) == ("c0ffee", None, None, None)
    assert d.repositoryUrl == "https://github.com/acme/app.git"


def test_nothing_known_sends_no_deployer(tmp_path) -> None:
    assert detect_deployer({}, cwd=tmp_path) is None
    assert detect_deployer({}, use_git=False) is None


def test_overrides_are_checked() -> None:
    assert parse_overrides(["commit=abc", "buildUrl=https://x/?a=b"]) == {
        "commit": "abc",
        "buildUrl": "https://x/?a=b",
    }
    with pytest.raises(UsageError):
        parse_overrides(["sha=abc"])
    with pytest.raises(UsageError):
        parse_overrides(["commit"])


NOW = datetime(2026, 12, 1, tzinfo=UTC)
NOW_MS = "1796083200000"


def _event(tmp_path, doc) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_github_push_event_gives_the_full_message_and_now_the_trigger_time(tmp_path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "c0ffee", "GITHUB_REF_NAME": "main",
           "GITHUB_EVENT_NAME": "push",
           "GITHUB_EVENT_PATH": _event(tmp_path, {"head_commit": {
               "id": "c0ffee", "message": "Fix the login\n\nThe token expired too early.",
               "timestamp": "2026-11-01T10:00:00Z"}})}
    d = detect_deployer(env, use_git=False, now=NOW)
    assert (d.commit, d.commitMessage, d.triggerTimestamp) == (
        "c0ffee", "Fix the login\n\nThe token expired too early.", NOW_MS)


def test_github_pull_request_sends_the_head_sha_not_the_merge_sha(tmp_path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "merge0", "GITHUB_HEAD_REF": "feature/x",
           "GITHUB_REF_NAME": "12/merge", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": _event(tmp_path, {"number": 12, "pull_request": {
               "head": {"sha": "head0", "ref": "feature/x"}, "merge_commit_sha": "merge0"}})}
    d = detect_deployer(env, use_git=False, now=NOW)
    assert (d.commit, d.branch, d.commitMessage) == ("head0", "feature/x", None)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", None])
def test_an_unreadable_event_file_is_no_event(tmp_path, content) -> None:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "c0ffee", "GITHUB_EVENT_PATH": str(path)}
    d = detect_deployer(env, use_git=False, now=NOW)
    assert (d.commit, d.commitMessage) == ("c0ffee", None)


def test_gitlab_and_bitrise_send_the_full_message() -> None:
    gitlab = from_environment({"GITLAB_CI": "true", "CI_COMMIT_TITLE": "Fix",
                               "CI_COMMIT_MESSAGE": "Fix\n\nBody"})
    assert gitlab.commitMessage == "Fix\n\nBody"
    bitrise = from_environment({"BITRISE_IO": "true", "GIT_CLONE_COMMIT_MESSAGE_SUBJECT": "Fix",
                                "GIT_CLONE_COMMIT_MESSAGE_BODY": "Body"})
    assert bitrise.commitMessage == "Fix\n\nBody"


def test_outside_ci_the_name_is_inspector(repo, tmp_path_factory) -> None:
    d = detect_deployer({}, cwd=repo, now=NOW)
    assert (d.name, d.triggerTimestamp, d.branch) == ("inspector", NOW_MS, "feature/x")
    outside = tmp_path_factory.mktemp("not-a-repository")
    d = detect_deployer({}, cwd=outside, now=NOW)
    assert d == Deployer(name="inspector", triggerTimestamp=NOW_MS)
    named = detect_deployer({}, use_git=False, overrides={"name": "Release bot"}, now=NOW)
    assert named.name == "Release bot"
    # In a CI the CI's name stays, and its own trigger time beats now.
    d = detect_deployer({"GITLAB_CI": "true", "CI_PIPELINE_CREATED_AT": "2026-11-28T05:00:00Z"},
                        use_git=False, now=NOW)
    assert (d.name, d.triggerTimestamp) == ("GitLab CI", "1795842000000")


def test_a_local_remote_is_not_sent(repo) -> None:
    subprocess.run(["git", "-C", str(repo), "remote", "set-url", "origin", "/srv/git/app.git"], check=True)
    d = detect_deployer({}, cwd=repo, now=NOW)
    assert d.repositoryUrl is None and d.commit
    assert from_environment({"JENKINS_URL": "https://ci/", "GIT_URL": "../app"}).repositoryUrl is None


def test_a_pull_request_run_uploads_the_head_commit_and_its_message(tmp_path, monkeypatch) -> None:
    from tests.applivery_server import ApplivServer
    from tests.conftest import FIXTURES, run_cli

    for name in ("GITLAB_CI", "JENKINS_URL", "BITRISE_IO", "GITHUB_OUTPUT",
                 "APPLIVERY_SERVICE_ACCOUNT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    event = _event(tmp_path, {"pull_request": {"head": {"sha": "head0"}}, "head_commit": None})
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "merge0", "GITHUB_HEAD_REF": "feature/x",
           "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "5", "GITHUB_EVENT_PATH": event,
           "INSPECTOR_ALLOW_HTTP": "1", "APPLIVERY_APP_TOKEN": "tok-deployer-1"}
    with ApplivServer(app_token="tok-deployer-1", lifetime=30) as server:
        for name, value in {**env, "APPLIVERY_UPLOAD_URL": server.url}.items():
            monkeypatch.setenv(name, value)
        r = run_cli("upload", str(FIXTURES / "apk" / "signed-v1v2v3.apk"), "--no-check",
                    "--now", "2026-12-01T00:00:00Z")
        assert r.code == 0, r.err
        [got] = server.uploads()
    fields = dict(got.fields)
    assert fields["deployer.name"] == "GitHub Actions"
    assert fields["deployer.info.commit"] == "head0" and "merge0" not in str(got.fields)
    assert fields["deployer.info.branch"] == "feature/x"
    assert fields["deployer.info.triggerTimestamp"] == NOW_MS
    assert "deployer.info.commitMessage" not in fields  # git's HEAD (this checkout) is another commit


@pytest.mark.parametrize("value", ["²", "1" * 5000, "17e9", "-5"])
def test_a_trigger_time_that_is_no_number_is_not_sent(value: str) -> None:
    # str.isdigit() is true for "²", and int() of thousands of digits raises: neither may crash.
    deployer = from_environment({"BITRISE_IO": "true", "BITRISE_BUILD_TRIGGER_TIMESTAMP": value})
    assert deployer is not None and deployer.name == "Bitrise"
    assert deployer.triggerTimestamp is None
