"""The build's dashboard page: with the app's slug known, printed after an upload, exported as
build_url (``$GITHUB_OUTPUT``, JSON), for ``status`` too; the page's form is the one the vendor's
fastlane plugin documents (``/apps/apps/<slug>/builds?id=<build id>``)."""

from __future__ import annotations

import json

import pytest

from inspector.upload.response import DEFAULT_DASHBOARD_URL, dashboard_url
from tests.applivery_server import serving
from tests.ci_runner import read_github_file
from tests.conftest import FIXTURES, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-link-11aa"
DASH = "https://dashboard.example.test"


def test_the_page_of_a_build() -> None:
    assert dashboard_url(DEFAULT_DASHBOARD_URL, "acme-app", "b0001") == (
        "https://dashboard.applivery.io/apps/apps/acme-app/builds?id=b0001")
    assert dashboard_url(DASH + "/", "x", "a/b?c") == f"{DASH}/apps/apps/x/builds?id=a%2Fb%3Fc"
    for slug in ("", "a b", "../x", "a/b", "x\n::error::y"):
        with pytest.raises(ValueError, match="appSlug"):
            dashboard_url(DASH, slug, "b1")
    for base in ("http://dash.example", "https://user:pw@dash.example", "javascript:alert(1)",
                 "https://dash.example/?q=1", "dash.example"):
        with pytest.raises(ValueError, match="dashboardUrl"):
            dashboard_url(base, "x", "b1")


@pytest.fixture
def server(monkeypatch):
    with serving(monkeypatch, token=TOKEN) as s:
        yield s


def upload(*argv: str):
    return run_cli("upload", "--no-git", "--retry-delay", "0", str(APK), *argv)


def test_upload_prints_and_exports_the_page(server, tmp_path, monkeypatch) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    r = upload("--app-slug", "acme-app", "--dashboard-url", DASH)
    assert r.code == 0, r.err
    build_id = read_github_file(output)["build_id"]
    page = f"{DASH}/apps/apps/acme-app/builds?id={build_id}"
    assert read_github_file(output)["build_url"] == page
    assert f"  {page}" in r.out.splitlines()
    r = upload("--app-slug", "acme-app", "--dashboard-url", DASH, "--json")
    assert json.loads(r.out)["build_url"].startswith(f"{DASH}/apps/apps/acme-app/builds?id=")


def test_no_slug_no_link(server) -> None:
    r = upload()
    assert r.code == 0 and "/apps/apps/" not in r.out


def test_the_slug_from_the_environment_and_status_too(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_APP_SLUG", "env-app")
    monkeypatch.setenv("APPLIVERY_DASHBOARD_URL", DASH)
    r = upload("--json")
    doc = json.loads(r.out)
    assert doc["build_url"] == f"{DASH}/apps/apps/env-app/builds?id={doc['build_id']}"
    r = run_cli("status", doc["build_id"], "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["build_url"] == doc["build_url"]


def test_a_private_dashboard_must_be_named_and_bad_values_are_refused_up_front(server) -> None:
    # The loopback server stands where the public upload host would: its dashboard is not known.
    r = upload("--app-slug", "acme-app")
    assert r.code == 2 and "give --dashboard-url" in r.err
    r = upload("--app-slug", "a b", "--dashboard-url", DASH)
    assert r.code == 2 and "--app-slug: not an app slug" in r.err
    r = upload("--app-slug", "x", "--dashboard-url", "http://dash.example")
    assert r.code == 2 and "--dashboard-url: expected an https:// URL" in r.err
    assert server.uploads() == []
