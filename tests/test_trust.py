"""Trust: a config file may set expectations and metadata, never where the token goes or which files
are read; every URL we send or print is without credentials. Each hostile input is built here, at test
time; each case ends with one line and a documented exit code, the token never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.settings import CHANGELOG_MAX_BYTES, find_config
from inspector.upload.deployer import detect_deployer, from_environment
from inspector.upload.request import Deployer, without_credentials
from tests.applivery_server import ApplivServer
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-trust-51c0ffee"
_ENV = ("APPLIVERY_APP_TOKEN", "APPLIVERY_SERVICE_ACCOUNT_TOKEN", "APPLIVERY_ORGANIZATION_ID",
        "APPLIVERY_APP_ID", "APPLIVERY_UPLOAD_URL", "APPLIVERY_API_URL", "INSPECTOR_ALLOW_HTTP",
        "INSPECTOR_TRUST_CONFIG_DESTINATION", "INSPECTOR_CONFIG", "GITHUB_ACTIONS", "GITHUB_OUTPUT",
        "GITLAB_CI", "JENKINS_URL", "TF_BUILD", "CIRCLECI", "TRAVIS", "BUILDKITE", "BITRISE_IO",
        "BITBUCKET_BUILD_NUMBER", "TEAMCITY_VERSION", "CM_BUILD_ID")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)


@pytest.fixture
def server():
    with ApplivServer(app_token=TOKEN, lifetime=30) as s:
        yield s


def upload(*argv: str) -> CliResult:
    """``inspector upload``; whatever it printed holds no token."""
    r = run_cli("upload", "--no-git", "--no-check", "--retries", "0", *argv)
    assert TOKEN not in r.out + r.err
    assert "Traceback" not in r.err
    return r


def one_line_usage_error(r: CliResult, *words: str) -> None:
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    for word in words:
        assert word in lines[0], lines[0]


def config(folder: Path, body: str) -> Path:
    path = folder / "inspector.toml"
    path.write_text(body, encoding="utf-8")
    return path


# -- files named by a config file ----------------------------------------------------------------

@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero"])
def test_a_system_file_as_the_changelog_of_a_config_is_refused(tmp_path, monkeypatch, target) -> None:
    monkeypatch.setenv("CI_SECRET_SENTINEL", "sentinel-9f8e7d")
    path = config(tmp_path, f'[upload]\nchangelog-file = "{target}"\n')
    r = upload(str(APK), "--config", str(path), "--dry-run")
    one_line_usage_error(r, str(path), "changelog-file")
    assert "sentinel-9f8e7d" not in r.out + r.err and r.out == ""


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero"])
def test_a_system_file_as_the_changelog_flag_is_refused(target) -> None:
    r = upload(str(APK), "--changelog-file", target, "--dry-run")
    one_line_usage_error(r, "--changelog-file", target)


def test_a_config_changelog_outside_its_folder_is_refused(tmp_path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret notes", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.txt").symlink_to(outside)
    for name in ("../outside.txt", str(outside), "link.txt"):
        path = config(repo, f'[upload]\nchangelog-file = "{name}"\n')
        r = upload(str(APK), "--config", str(path), "--dry-run")
        one_line_usage_error(r, "outside the config file's folder")
        assert "secret notes" not in r.out


def test_a_fifo_or_folder_named_by_a_config_is_refused_without_waiting(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    for name in ("pipe", "folder"):
        path = config(tmp_path, f'[upload]\nchangelog-file = "{name}"\n')
        r = upload(str(APK), "--config", str(path), "--dry-run")
        one_line_usage_error(r, "not a regular file")


def test_a_changelog_over_the_cap_is_refused_and_one_inside_the_tree_is_sent(tmp_path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "big.txt").write_text("x" * (CHANGELOG_MAX_BYTES + 1), encoding="utf-8")
    (tmp_path / "notes" / "ok.txt").write_text("Fixed the crash\n", encoding="utf-8")
    path = config(tmp_path, '[upload]\nchangelog-file = "notes/big.txt"\n')
    one_line_usage_error(upload(str(APK), "--config", str(path), "--dry-run"), f"{CHANGELOG_MAX_BYTES}")
    r = upload(str(APK), "--changelog-file", str(tmp_path / "notes" / "big.txt"), "--dry-run")
    one_line_usage_error(r, "--changelog-file", "allowed")
    path = config(tmp_path, '[upload]\nchangelog-file = "notes/ok.txt"\n')
    r = upload(str(APK), "--config", str(path), "--dry-run")
    assert r.code == 0, r.err
    assert ["changelog", "Fixed the crash"] in r.json["fields"]


def test_a_config_file_that_is_a_device_is_refused() -> None:
    r = upload(str(APK), "--config", "/dev/zero", "--dry-run")
    one_line_usage_error(r, "/dev/zero")


# -- where the token goes ------------------------------------------------------------------------

def test_a_destination_from_a_config_is_refused_and_nothing_is_sent(tmp_path, server, monkeypatch) -> None:
    monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")
    path = config(tmp_path, f'[upload]\nupload-url = "{server.url}"\n')
    r = upload(str(APK), "--config", str(path))
    one_line_usage_error(r, str(path), "upload-url", "APPLIVERY_UPLOAD_URL")
    assert server.requests == []
    for key in ("tenant", "api-url"):
        value = "evil.example.com" if key == "tenant" else "https://api.evil.example.com"
        path = config(tmp_path, f'[upload]\n{key} = "{value}"\n')
        one_line_usage_error(upload(str(APK), "--config", str(path)), str(path), key)


@pytest.mark.parametrize("confirm", ["flag", "env", "trust"])
def test_a_config_destination_confirmed_by_flag_or_environment_is_used(tmp_path, server, monkeypatch,
                                                                      confirm) -> None:
    path = config(tmp_path, f'[upload]\nupload-url = "{server.url}"\n')
    extra: list[str] = ["--allow-http"]
    if confirm == "flag":
        extra += ["--upload-url", server.url]
    elif confirm == "env":
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", server.url)
    else:
        monkeypatch.setenv("INSPECTOR_TRUST_CONFIG_DESTINATION", f"acme, {server.url}")
    r = upload(str(APK), "--config", str(path), *extra)
    assert r.code == 0, r.err
    assert len(server.uploads()) == 1
    host = server.url.removeprefix("http://")
    assert f"inspector: the token goes to {host}" in r.err.splitlines()


def test_a_trust_variable_naming_another_value_confirms_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INSPECTOR_TRUST_CONFIG_DESTINATION", "1")
    path = config(tmp_path, '[upload]\ntenant = "evil"\n')
    one_line_usage_error(upload(str(APK), "--config", str(path), "--dry-run"), "tenant")


def test_plain_http_needs_an_opt_in_even_on_loopback(server, monkeypatch) -> None:
    r = upload(str(APK), "--upload-url", server.url)
    one_line_usage_error(r, "--upload-url", "unencrypted", "--allow-http")
    monkeypatch.setenv("APPLIVERY_API_URL", server.url.replace("http://", "HTTP://"))  # any case
    one_line_usage_error(upload(str(APK), "--upload-url", "https://upload.example.com"), "--api-url")
    assert server.requests == []
    monkeypatch.delenv("APPLIVERY_API_URL")
    r = upload(str(APK), "--upload-url", server.url, "--allow-http")
    assert r.code == 0, r.err
    assert len(server.uploads()) == 1


def test_stderr_names_the_host_before_sending_and_never_the_token(server, monkeypatch) -> None:
    monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")
    monkeypatch.setenv("APPLIVERY_UPLOAD_URL", server.url)
    monkeypatch.setenv("APPLIVERY_API_URL", server.url)
    r = upload(str(APK), "--wait", "--wait-interval", "0.05")
    assert r.code == 0, r.err
    host = server.url.removeprefix("http://")
    assert f"inspector: the token goes to {host}" in r.err.splitlines()
    r = run_cli("status", "b1", "--allow-http")
    assert f"inspector: the token goes to {host}" in r.err.splitlines()


@pytest.mark.parametrize("token", ["tökén", "tok en", "tok\x1ben"])
def test_a_token_that_is_not_printable_ascii_is_refused_unechoed(token) -> None:
    r = run_cli("upload", str(APK), "--no-check", "--token", token, "--dry-run")
    one_line_usage_error(r, "token")
    assert token not in r.err and "ök" not in r.err


# -- config discovery ------------------------------------------------------------------------------

def test_a_config_above_the_repository_root_is_not_found(tmp_path) -> None:
    config(tmp_path, "[check]\nmin-days = 3\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "app" / "src").mkdir(parents=True)
    assert find_config(repo / "app" / "src", home=Path("/nonexistent")) is None
    own = config(repo, "[check]\nmin-days = 4\n")
    assert find_config(repo / "app" / "src", home=Path("/nonexistent")) == own


def test_a_worktree_git_file_stops_the_search_too(tmp_path) -> None:
    config(tmp_path, "[check]\nmin-days = 3\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere\n", encoding="utf-8")
    assert find_config(tmp_path / "wt", home=Path("/nonexistent")) is None


def test_the_search_stops_at_home(tmp_path) -> None:
    config(tmp_path, "[check]\nmin-days = 3\n")
    home = tmp_path / "home" / "me"
    (home / "project").mkdir(parents=True)
    assert find_config(home / "project", home=home) is None
    assert find_config(home / "project", home=Path("/nonexistent")) == tmp_path / "inspector.toml"


def test_check_ignores_a_config_above_the_repository(tmp_path, monkeypatch) -> None:
    config(tmp_path, '[check]\nexpect-id = "not.this.app"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    r = run_cli("check", str(APK), "--format", "json", "--now", "2025-01-01")
    assert not any(f["code"] == "EXP001" for f in r.json["results"][0]["findings"]), r.out


# -- credentials in URLs ----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://bot:password@git.example.com/acme/app.git", "HTTPS://git.example.com/acme/app.git"),
    ("https://bot:p@ss@w0rd@git.example.com/acme/app.git", "https://git.example.com/acme/app.git"),
    ("Ssh://git:tok@git.example.com:22/acme/app.git", "Ssh://git.example.com:22/acme/app.git"),
    ("bot:pw@git.example.com:acme/app.git", "git.example.com:acme/app.git"),
    ("https://git.example.com/acme/app@v1", "https://git.example.com/acme/app@v1"),
])
def test_credentials_are_stripped_whatever_the_case(url, expected) -> None:
    assert without_credentials(url) == expected


def test_jenkins_git_url_with_credentials_is_sent_and_printed_without_them(monkeypatch) -> None:
    env = {"JENKINS_URL": "https://ci.example.com/", "GIT_URL": "HTTPS://bot:pass@word@git.example.com/a.git",
           "BUILD_URL": "https://user:pw@ci.example.com/job/1/"}
    deployer = from_environment(env)
    assert deployer is not None
    assert deployer.repositoryUrl == "HTTPS://git.example.com/a.git"
    assert deployer.buildUrl == "https://ci.example.com/job/1/"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for mode in ("json", "curl"):
        r = upload(str(APK), f"--dry-run={mode}")
        assert r.code == 0, r.err
        assert "word@" not in r.out and "pass" not in r.out and "pw@" not in r.out
        assert "git.example.com/a.git" in r.out


def test_local_paths_are_never_sent_as_repository_urls() -> None:
    for path in ("/srv/git/app.git", "../app", "file:///srv/app.git", "C:\\repos\\app", "~/app"):
        assert Deployer(repositoryUrl=path).repositoryUrl is None
    overridden = detect_deployer({}, use_git=False, overrides={"repositoryUrl": "https://u:p@h.example/x",
                                                                "ciUrl": "HTTP://u:p@ci.example/"})
    assert overridden is not None
    assert overridden.repositoryUrl == "https://h.example/x" and overridden.ciUrl == "HTTP://ci.example/"
