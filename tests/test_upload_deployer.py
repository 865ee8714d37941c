"""Deployer fields from each CI's environment mapping, git as the fallback, overrides winning."""

from __future__ import annotations

import shutil
import subprocess

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
    git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "First commit", "--date", "2026-11-28T05:00:00Z")
    git("tag", "v0.1")
    return tmp_path


def test_git_fallback(repo) -> None:
    d = from_git(repo)
    assert d is not None
    assert d.commitMessage == "First commit" and d.branch == "feature/x" and d.tag == "v0.1"
    assert d.commit and len(d.commit) == 40
    assert d.repositoryUrl == "https://github.com/acme/app.git"  # credentials stripped
    assert d.triggerTimestamp and d.triggerTimestamp.isdigit()


def test_outside_a_repository_git_gives_nothing(tmp_path) -> None:
    assert from_git(tmp_path) is None


def test_ci_values_win_git_fills_gaps_overrides_win_last(repo) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "c0ffee",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
    }
    d = detect_deployer(env, cwd=repo, overrides={"buildNumber": "override", "name": "My CI"})
    assert d is not None
    assert (d.name, d.commit, d.branch, d.commitMessage, d.buildNumber) == (
        "My CI",
        "c0ffee",
        "main",
        "First commit",
        "override",
    )


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
