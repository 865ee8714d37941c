"""The fastlane plugin's ``APPLIVERY_*`` variables as aliases of our settings, against the loopback
server: what the server receives says which value won (flag > our variable > fastlane's > config)."""

from __future__ import annotations

import pytest

from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-env-7c1d"
FASTLANE = {
    "APPLIVERY_BUILD_NAME": "RC 1.0",
    "APPLIVERY_BUILD_CHANGELOG": "Bug fixing",
    "APPLIVERY_BUILD_TAGS": "RC1, QA",
    "APPLIVERY_NOTIFY_COLLABORATORS": "true",
    "APPLIVERY_NOTIFY_EMPLOYEES": "false",
    "APPLIVERY_NOTIFY_MESSAGE": "Enjoy the new version!",
    "APPLIVERY_FILTER": "qa,ios|beta",
}


@pytest.fixture
def server(monkeypatch, tmp_path):
    with serving(monkeypatch, token=TOKEN, home=tmp_path) as s:
        yield s


def upload(*argv: str) -> CliResult:
    result = run_cli("upload", "--no-git", "--no-deployer", "--no-check", "--retry-delay", "0", *argv)
    assert TOKEN not in result.out + result.err
    return result


def test_the_fastlane_variables_fill_the_form(server, monkeypatch) -> None:
    for name, value in FASTLANE.items():
        monkeypatch.setenv(name, value)
    r = upload(str(APK))
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields == [("versionName", "RC 1.0"), ("tags", "RC1,QA"), ("changelog", "Bug fixing"),
                          ("notifyCollaborators", "true"), ("notifyEmployees", "false"),
                          ("notifyMessage", "Enjoy the new version!"), ("filter[0][0]", "qa"),
                          ("filter[0][1]", "ios"), ("filter[1][0]", "beta")]


def test_precedence_flag_ours_fastlane_config(server, monkeypatch, tmp_path) -> None:
    (tmp_path / "inspector.toml").write_text('[upload]\ntags = "from-config"\nnotify-message = "config"\n'
                                             'changelog = "config"\n')
    monkeypatch.setenv("APPLIVERY_BUILD_TAGS", "fastlane")
    monkeypatch.setenv("INSPECTOR_TAGS", "ours")
    monkeypatch.setenv("APPLIVERY_NOTIFY_MESSAGE", "fastlane")
    monkeypatch.setenv("APPLIVERY_BUILD_CHANGELOG", "fastlane")
    r = upload(str(APK), "--changelog", "flag")
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.field("tags") == "ours"  # ours > fastlane > config
    assert got.field("notifyMessage") == "fastlane"  # fastlane > config
    assert got.field("changelog") == "flag"  # flag > everything
    assert "INSPECTOR_TAGS and APPLIVERY_BUILD_TAGS are both set: INSPECTOR_TAGS is used" in r.err
    assert "CHANGELOG" not in r.err  # the flag won: no note about variables that were not used


def test_same_value_in_both_names_is_no_note(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_BUILD_NAME", "v2")
    monkeypatch.setenv("INSPECTOR_VERSION_NAME", "v2")
    r = upload(str(APK))
    assert r.code == 0 and "both set" not in r.err
    assert server.uploads()[0].field("versionName") == "v2"


@pytest.mark.parametrize(("name", "value"), [("APPLIVERY_NOTIFY_EMPLOYEES", "maybe"),
                                             ("APPLIVERY_TIMEOUT", "ten")])
def test_a_bad_value_names_the_variable(server, monkeypatch, name, value) -> None:
    monkeypatch.setenv(name, value)
    r = upload(str(APK))
    assert r.code == 2 and r.err.count("\n") == 1 and name in r.err
    assert server.uploads() == []


def test_applivery_tenant_is_a_confirmed_destination(server, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("APPLIVERY_UPLOAD_URL")
    monkeypatch.delenv("APPLIVERY_API_URL")
    monkeypatch.setenv("APPLIVERY_TENANT", "acme")
    r = upload(str(APK), "--dry-run")
    assert r.code == 0, r.err
    assert r.json["url"] == "https://upload.acme.applivery.io/v1/integrations/builds"
    assert "the token goes to" not in r.err  # a dry run sends nothing
    # A config file's tenant is used when APPLIVERY_TENANT names the same one, refused otherwise.
    (tmp_path / "inspector.toml").write_text('[upload]\ntenant = "acme"\n')
    assert upload(str(APK), "--dry-run").json["url"].startswith("https://upload.acme.applivery.io/")
    monkeypatch.delenv("APPLIVERY_TENANT")
    r = upload(str(APK), "--dry-run")
    assert r.code == 2 and "APPLIVERY_TENANT" in r.err


def test_the_flag_beats_applivery_tenant(server, monkeypatch) -> None:
    monkeypatch.delenv("APPLIVERY_UPLOAD_URL")
    monkeypatch.setenv("APPLIVERY_TENANT", "acme")
    r = upload(str(APK), "--tenant", "apps.example.com", "--dry-run")
    assert r.json["url"] == "https://upload.apps.example.com/v1/integrations/builds"


def test_applivery_timeout_is_the_read_timeout(server, monkeypatch) -> None:
    server.plan = ["slow"]
    server.slow_seconds = 0.8
    monkeypatch.setenv("APPLIVERY_TIMEOUT", "0.2")
    r = upload(str(APK), "--retries", "0")
    assert r.code == 7, r.err  # the answer came after the timeout: a network error, not a success
    monkeypatch.setenv("INSPECTOR_TIMEOUT", "10")  # ours wins over fastlane's
    server.plan = ["slow"]
    r = upload(str(APK), "--retries", "0")
    assert r.code == 0, r.err
