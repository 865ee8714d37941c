"""Deployer metadata (``deployer.name``, ``deployer.info.*``) from a CI's environment, git as fallback.

:func:`from_environment` is pure: it takes the environment as a mapping (never ``os.environ``) and
GitHub's event payload as a mapping. :func:`from_git` asks git, in a subprocess with a time limit;
:func:`detect_deployer` reads the event file, merges both with the user's overrides (CI first, git
fills the gaps, overrides win) and stamps the trigger time with the ``now`` it is given.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from inspector.errors import UsageError
from inspector.upload.request import Deployer

__all__ = ["DEFAULT_NAME", "DEPLOYER_KEYS", "detect_deployer", "from_environment", "from_git",
           "parse_overrides", "read_github_event"]

#: ``deployer.name`` outside any known CI: the tool, not the person (no user or host name leaves
#: the machine unasked; ``--deployer-name`` sets another).
DEFAULT_NAME = "inspector"
#: The most of GitHub's event file read: a push of many commits is large, but not this large.
EVENT_MAX_BYTES = 16 * 1024 * 1024

#: The keys a user may override (``name`` and every ``deployer.info`` key).
DEPLOYER_KEYS = tuple(f.name for f in dataclasses.fields(Deployer))

Env = Mapping[str, str]
Event = Mapping[str, Any]


def _get(env: Env, *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def _ref(ref: str | None) -> tuple[str | None, str | None]:
    """``refs/heads/main`` -> (branch, None); ``refs/tags/v1`` -> (None, tag)."""
    if not ref:
        return None, None
    if ref.startswith("refs/tags/"):
        return None, ref.removeprefix("refs/tags/")
    return ref.removeprefix("refs/heads/"), None


def _millis_from_iso(text: str | None) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return str(int(moment.timestamp() * 1000)) if moment.tzinfo else None


def _millis_from_seconds(text: str | None) -> str | None:
    # ASCII digits only, and few of them: a CI variable of "²" or of thousands of digits is no time.
    if not text or not text.isascii() or not text.isdigit() or len(text) > 13:
        return None
    return str(int(text) * 1000)


def _event_text(event: Event | None, *path: str) -> str | None:
    value: Any = event
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _github(env: Env, event: Event | None = None) -> Deployer:
    # The commit built: for pull_request GITHUB_SHA is "the last merge commit of the pull request
    # merge branch" (for pull_request_target, the base branch's last commit); the docs point to
    # github.event.pull_request.head.sha for the head's last commit, what the author pushed.
    # https://docs.github.com/en/actions/reference/events-that-trigger-workflows#pull_request
    # The message is the event's (full) head commit message (push): git's HEAD on a runner is that
    # merge commit, or a shallow clone.
    server = _get(env, "GITHUB_SERVER_URL") or "https://github.com"
    repo = _get(env, "GITHUB_REPOSITORY")
    run = _get(env, "GITHUB_RUN_ID")
    is_tag = _get(env, "GITHUB_REF_TYPE") == "tag"
    branch = _get(env, "GITHUB_HEAD_REF") or (None if is_tag else _get(env, "GITHUB_REF_NAME"))
    commit = _event_text(event, "pull_request", "head", "sha") or _get(env, "GITHUB_SHA")
    return Deployer(
        name="GitHub Actions", commit=commit, branch=branch,
        commitMessage=_event_text(event, "head_commit", "message"),
        tag=_get(env, "GITHUB_REF_NAME") if is_tag else None,
        buildUrl=f"{server}/{repo}/actions/runs/{run}" if repo and run else None,
        ciUrl=server, repositoryUrl=f"{server}/{repo}" if repo else None,
        buildNumber=_get(env, "GITHUB_RUN_NUMBER"),
    )


def _gitlab(env: Env) -> Deployer:
    return Deployer(
        name="GitLab CI", commit=_get(env, "CI_COMMIT_SHA"),
        commitMessage=_get(env, "CI_COMMIT_MESSAGE", "CI_COMMIT_TITLE"),  # the full message first
        branch=_get(env, "CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
        tag=_get(env, "CI_COMMIT_TAG"),
        triggerTimestamp=_millis_from_iso(_get(env, "CI_PIPELINE_CREATED_AT")),
        buildUrl=_get(env, "CI_PIPELINE_URL", "CI_JOB_URL"), ciUrl=_get(env, "CI_SERVER_URL"),
        repositoryUrl=_get(env, "CI_PROJECT_URL"), buildNumber=_get(env, "CI_PIPELINE_IID", "CI_PIPELINE_ID"),
    )


def _bitrise(env: Env) -> Deployer:
    return Deployer(
        name="Bitrise", commit=_get(env, "BITRISE_GIT_COMMIT", "GIT_CLONE_COMMIT_HASH"),
        commitMessage=_get(env, "BITRISE_GIT_MESSAGE") or _joined(
            _get(env, "GIT_CLONE_COMMIT_MESSAGE_SUBJECT"), _get(env, "GIT_CLONE_COMMIT_MESSAGE_BODY")),
        branch=_get(env, "BITRISE_GIT_BRANCH"), tag=_get(env, "BITRISE_GIT_TAG"),
        triggerTimestamp=_millis_from_seconds(_get(env, "BITRISE_BUILD_TRIGGER_TIMESTAMP")),
        buildUrl=_get(env, "BITRISE_BUILD_URL"), ciUrl=_get(env, "BITRISE_APP_URL"),
        repositoryUrl=_get(env, "GIT_REPOSITORY_URL"), buildNumber=_get(env, "BITRISE_BUILD_NUMBER"),
    )


def _joined(subject: str | None, body: str | None) -> str | None:
    return f"{subject}\n\n{body}" if subject and body else subject or body


def _xcode_cloud(env: Env) -> Deployer:
    # https://developer.apple.com/documentation/xcode/environment-variable-reference
    # CI_XCODEBUILD_ACTION is set in every Xcode Cloud build (CI_* alone is too generic a prefix).
    return Deployer(
        name="Xcode Cloud", commit=_get(env, "CI_PULL_REQUEST_SOURCE_COMMIT", "CI_COMMIT"),
        branch=_get(env, "CI_PULL_REQUEST_SOURCE_BRANCH", "CI_BRANCH"), tag=_get(env, "CI_TAG"),
        buildUrl=_get(env, "CI_BUILD_URL"), ciUrl="https://appstoreconnect.apple.com",
        buildNumber=_get(env, "CI_BUILD_NUMBER"),
    )


def _xcode_server(env: Env) -> Deployer:
    # https://developer.apple.com/library/archive/documentation/IDEs/Conceptual/
    # xcode_guide-continuous_integration/EnvironmentVariableReference.html (XCS is always 1)
    return Deployer(
        name="Xcode Server", commit=_get(env, "XCS_PRIMARY_REPO_REVISION"),
        branch=_get(env, "XCS_PRIMARY_REPO_BRANCH"), buildNumber=_get(env, "XCS_INTEGRATION_NUMBER"),
    )


def _app_center(env: Env) -> Deployer:
    # https://learn.microsoft.com/en-au/appcenter/build/custom/variables: the build id and the
    # branch are all it gives; git fills the commit.
    return Deployer(name="App Center", branch=_get(env, "APPCENTER_BRANCH"),
                    buildNumber=_get(env, "APPCENTER_BUILD_ID"))


def _jenkins(env: Env) -> Deployer:
    branch = _get(env, "BRANCH_NAME", "GIT_LOCAL_BRANCH", "GIT_BRANCH")
    return Deployer(
        name="Jenkins", commit=_get(env, "GIT_COMMIT"),
        branch=re.sub(r"^(origin|refs/heads)/", "", branch) if branch else None,
        tag=_get(env, "TAG_NAME"), buildUrl=_get(env, "BUILD_URL"), ciUrl=_get(env, "JENKINS_URL"),
        repositoryUrl=_get(env, "GIT_URL"), buildNumber=_get(env, "BUILD_NUMBER"),
    )


def _azure(env: Env) -> Deployer:
    branch, tag = _ref(_get(env, "BUILD_SOURCEBRANCH"))
    collection, project, build = (_get(env, "SYSTEM_COLLECTIONURI"), _get(env, "SYSTEM_TEAMPROJECT"),
                                  _get(env, "BUILD_BUILDID"))
    url = (f"{collection.rstrip('/')}/{project}/_build/results?buildId={build}"
           if collection and project and build else None)
    return Deployer(
        name="Azure Pipelines", commit=_get(env, "BUILD_SOURCEVERSION"),
        commitMessage=_get(env, "BUILD_SOURCEVERSIONMESSAGE"), branch=branch, tag=tag, buildUrl=url,
        ciUrl=collection, repositoryUrl=_get(env, "BUILD_REPOSITORY_URI"),
        buildNumber=_get(env, "BUILD_BUILDNUMBER"),
    )


def _circle(env: Env) -> Deployer:
    return Deployer(
        name="CircleCI", commit=_get(env, "CIRCLE_SHA1"), branch=_get(env, "CIRCLE_BRANCH"),
        tag=_get(env, "CIRCLE_TAG"), buildUrl=_get(env, "CIRCLE_BUILD_URL"), ciUrl="https://circleci.com",
        repositoryUrl=_get(env, "CIRCLE_REPOSITORY_URL"), buildNumber=_get(env, "CIRCLE_BUILD_NUM"),
    )


def _bitbucket(env: Env) -> Deployer:
    origin, number = _get(env, "BITBUCKET_GIT_HTTP_ORIGIN"), _get(env, "BITBUCKET_BUILD_NUMBER")
    return Deployer(
        name="Bitbucket Pipelines", commit=_get(env, "BITBUCKET_COMMIT"),
        branch=_get(env, "BITBUCKET_BRANCH"), tag=_get(env, "BITBUCKET_TAG"),
        buildUrl=f"{origin}/addon/pipelines/home#!/results/{number}" if origin and number else None,
        ciUrl="https://bitbucket.org", repositoryUrl=origin, buildNumber=number,
    )


def _travis(env: Env) -> Deployer:
    slug = _get(env, "TRAVIS_REPO_SLUG")
    return Deployer(
        name="Travis CI", commit=_get(env, "TRAVIS_COMMIT"),
        commitMessage=_get(env, "TRAVIS_COMMIT_MESSAGE"),
        branch=None if _get(env, "TRAVIS_TAG") else _get(env, "TRAVIS_PULL_REQUEST_BRANCH", "TRAVIS_BRANCH"),
        tag=_get(env, "TRAVIS_TAG"), buildUrl=_get(env, "TRAVIS_BUILD_WEB_URL"),
        ciUrl="https://app.travis-ci.com", repositoryUrl=f"https://github.com/{slug}" if slug else None,
        buildNumber=_get(env, "TRAVIS_BUILD_NUMBER"),
    )


def _buildkite(env: Env) -> Deployer:
    return Deployer(
        name="Buildkite", commit=_get(env, "BUILDKITE_COMMIT"), commitMessage=_get(env, "BUILDKITE_MESSAGE"),
        branch=_get(env, "BUILDKITE_BRANCH"), tag=_get(env, "BUILDKITE_TAG"),
        buildUrl=_get(env, "BUILDKITE_BUILD_URL"), ciUrl="https://buildkite.com",
        repositoryUrl=_get(env, "BUILDKITE_REPO"), buildNumber=_get(env, "BUILDKITE_BUILD_NUMBER"),
    )


def _teamcity(env: Env) -> Deployer:
    return Deployer(name="TeamCity", commit=_get(env, "BUILD_VCS_NUMBER"),
                    buildNumber=_get(env, "BUILD_NUMBER"))


def _codemagic(env: Env) -> Deployer:
    project, build = _get(env, "CM_PROJECT_ID", "FCI_PROJECT_ID"), _get(env, "CM_BUILD_ID", "FCI_BUILD_ID")
    return Deployer(
        name="Codemagic", commit=_get(env, "CM_COMMIT", "FCI_COMMIT"),
        branch=_get(env, "CM_BRANCH", "FCI_BRANCH"), tag=_get(env, "CM_TAG", "FCI_TAG"),
        buildUrl=f"https://codemagic.io/app/{project}/build/{build}" if project and build else None,
        ciUrl="https://codemagic.io", buildNumber=_get(env, "BUILD_NUMBER"),
    )


#: (marker variable, reader) in the order they are tried; the first marker present wins.
_SYSTEMS: tuple[tuple[str, Callable[[Env], Deployer]], ...] = (
    ("GITHUB_ACTIONS", _github),
    ("GITLAB_CI", _gitlab),
    ("BITRISE_IO", _bitrise),
    ("BITRISE_BUILD_NUMBER", _bitrise),
    ("TF_BUILD", _azure),
    ("CIRCLECI", _circle),
    ("BITBUCKET_BUILD_NUMBER", _bitbucket),
    ("TRAVIS", _travis),
    ("BUILDKITE", _buildkite),
    ("TEAMCITY_VERSION", _teamcity),
    ("CM_BUILD_ID", _codemagic),
    ("FCI_BUILD_ID", _codemagic),
    ("CI_XCODEBUILD_ACTION", _xcode_cloud),
    ("XCS", _xcode_server),
    ("APPCENTER_BUILD_ID", _app_center),
    ("JENKINS_URL", _jenkins),
)


def from_environment(env: Env, event: Event | None = None) -> Deployer | None:
    """The deployer fields a CI's environment gives, or None outside a known CI. ``event`` is
    GitHub's event payload (see :func:`read_github_event`), used on GitHub Actions only."""
    for marker, reader in _SYSTEMS:
        if _get(env, marker):
            # Deployer itself strips credentials from every URL and drops local repository paths.
            return _github(env, event) if reader is _github else reader(env)
    return None


def read_github_event(env: Env) -> Event | None:
    """The JSON object at ``GITHUB_EVENT_PATH`` on GitHub Actions, or None (not there, not a
    regular file, too large, not JSON): deployer metadata is never worth failing an upload."""
    path = _get(env, "GITHUB_EVENT_PATH") if _get(env, "GITHUB_ACTIONS") else None
    if path is None:
        return None
    from inspector.errors import InspectorError
    from inspector.settings import read_named_file

    try:
        doc = json.loads(read_named_file(path, cap=EVENT_MAX_BYTES, what="GITHUB_EVENT_PATH"))
    except (InspectorError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _git(args: list[str], cwd: Path | None, timeout: float) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def from_git(cwd: str | Path | None = None, timeout: float = 2.0) -> Deployer | None:
    """Commit, full message, branch, tag and remote of the git checkout at ``cwd`` (None outside one).

    No trigger time: a commit's date is not when the build was triggered. Each git call is limited
    to ``timeout`` seconds; a slow or absent git gives nothing, not an error.
    """
    where = Path(cwd) if cwd is not None else None
    head = _git(["log", "-1", "--format=%H%x00%B"], where, timeout)
    if head is None:
        return None
    commit, message = ([*head.split("\x00", 1), ""])[:2]
    message = message.strip()
    branch = _git(["symbolic-ref", "--short", "-q", "HEAD"], where, timeout)
    tag = _git(["describe", "--tags", "--exact-match", "HEAD"], where, timeout)
    remote = _git(["config", "--get", "remote.origin.url"], where, timeout)
    return Deployer(commit=commit or None, commitMessage=message or None, branch=branch, tag=tag,
                    repositoryUrl=remote)


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``["commit=abc", "buildUrl=https://..."]`` -> a mapping, keys checked against the spec's."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or key not in DEPLOYER_KEYS:
            raise UsageError(f"--deployer-info: expected KEY=VALUE, KEY one of {', '.join(DEPLOYER_KEYS)}: "
                             f"{item!r}")
        out[key] = value
    return out


def detect_deployer(env: Env, *, cwd: str | Path | None = None, use_git: bool = True,
                    overrides: Mapping[str, str | None] | None = None,
                    git_timeout: float = 2.0, now: datetime | None = None) -> Deployer | None:
    """The deployer to send: the CI's values, gaps filled from git, then ``overrides`` (which win).

    Git describes its HEAD: when the CI names another commit (a pull request's head beside the
    merge commit checked out), git's message, branch and tag are not used. ``now`` (the moment the
    upload was triggered) is the trigger time unless the CI gives its own. Outside a known CI the
    name is :data:`DEFAULT_NAME`. None when nothing at all is known (no CI, no git, no override,
    no ``now``): then no deployer field is sent.
    """
    ci = from_environment(env, read_github_event(env))
    git = from_git(cwd, git_timeout) if use_git else None
    if git is not None and ci is not None and ci.commit and git.commit and ci.commit != git.commit:
        git = Deployer(repositoryUrl=git.repositoryUrl)
    values: dict[str, str | None] = dict.fromkeys(DEPLOYER_KEYS)
    for source in (git, ci):
        if source is not None:
            values.update({k: v for k, v in dataclasses.asdict(source).items() if v})
    if now is not None and not values["triggerTimestamp"]:
        values["triggerTimestamp"] = str(int(now.timestamp() * 1000))
    if ci is None and any(values.values()):
        values["name"] = DEFAULT_NAME
    for key, value in (overrides or {}).items():
        if key not in DEPLOYER_KEYS:
            raise UsageError(f"unknown deployer field {key!r}")
        values[key] = value
    if not any(values.values()):
        return None
    return Deployer(**values)
