"""``check --newer-than-uploaded``: when the service fails (a refused token, an unreachable host),
the run ends as a service failure, one ``inspector: error:`` line with exit 5 or 7, never as
``app.apk: UNREADABLE``: the file is fine. Against the loopback server (tests/applivery_server.py)."""

from __future__ import annotations

import pytest

from tests.applivery_server import ApplivServer
from tests.conftest import FIXTURES, run_cli

APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")
TOKEN = "app-token-gate-service-1"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith(("INSPECTOR_", "APPLIVERY_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    with ApplivServer(app_token=TOKEN) as s:
        monkeypatch.setenv("APPLIVERY_API_URL", s.url)
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", s.url)
        monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")
        yield s


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_refused_token_is_a_service_failure(server, fmt: str) -> None:
    r = run_cli("check", "--format", fmt, "--token", "app-token-wrong-0000", "--newer-than-uploaded",
                "--retries", "0", APK)
    assert r.code == 5, r
    assert r.out == ""  # no verdict at all: the gate could not be evaluated
    errors = [line for line in r.err.splitlines() if line.startswith("inspector: error:")]
    assert len(errors) == 1 and "UNREADABLE" not in r.err
    assert "signed-v1v2v3.apk" not in errors[0]
    assert errors[0].startswith("inspector: error: the service's latest processed build could not "
                                "be read for --newer-than-uploaded: ")


def test_unreachable_service_is_a_service_failure(server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIVERY_API_URL", "http://127.0.0.1:9")
    r = run_cli("check", "--token", TOKEN, "--newer-than-uploaded", "--retries", "0", APK)
    assert r.code == 7 and r.out == ""
    assert r.err.splitlines()[-1].startswith("inspector: error: ") and "cannot connect" in r.err


def test_an_unreadable_file_stays_the_file(server, tmp_path) -> None:
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"PK\x03\x04 not really")
    r = run_cli("check", "--token", TOKEN, "--newer-than-uploaded", str(junk))
    assert r.code == 3 and "junk.apk: UNREADABLE" in r.out
