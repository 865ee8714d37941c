"""``inspector upload``, ``status`` and ``builds`` against a real HTTP server on 127.0.0.1 that
implements the contract (tests/applivery_server.py): what the server received, how each failure is
reported, and that no output ever contains the token."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime

import pytest
import requests

from inspector.upload import Secret, Target, UploadFields, prepare
from inspector.upload.errors import NetworkError, TokenRejectedError
from inspector.upload.transport import ProgressBar, RetryPolicy, latest_build, list_builds, send
from tests.applivery_server import iter_chunks, serving
from tests.conftest import FIXTURES, CliResult, run_cli

NOW = datetime(2026, 12, 1, tzinfo=UTC)

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
IPA = FIXTURES / "ios" / "adhoc.ipa"
PKG = FIXTURES / "pkg" / "product.pkg"
PNG = FIXTURES / "macho" / "icon-rgb.png"
APP_TOKEN = "app-TOKEN-5f3c9e1a7b"
SA_TOKEN = "sa-TOKEN-0b8d2c4e6f"
TOKENS = (APP_TOKEN, SA_TOKEN)


@pytest.fixture
def server(monkeypatch):
    with serving(monkeypatch, app_token=APP_TOKEN, sa_token=SA_TOKEN, organization="org1",
                 app="app1") as s:
        yield s


def cli(*argv: str) -> CliResult:
    """Run the CLI; whatever it printed must never hold a token."""
    result = run_cli(*argv)
    for token in TOKENS:
        assert token not in result.out and token not in result.err, (argv, result)
    return result


def upload(*argv: str) -> CliResult:
    return cli("upload", "--no-git", "--retry-delay", "0", *argv)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- what the server receives ------------------------------------------------------------------

def test_apk_to_integrations(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", APP_TOKEN)
    r = upload(str(APK), "--no-check", "--version-name", "v1.4.2", "--tags", "staging,sprint-42",
               "--changelog", "Fixes", "--notify-collaborators", "--no-notify-employees",
               "--notify-message", "hi", "--notify-language", "en", "--filter", "g1,g2|g3",
               "--deployer-name", "Local", "--deployer-info", "commit=abc123",
               "--now", "2026-12-01T00:00:00Z")
    assert r.code == 0, r.err
    assert r.out.strip() == "uploaded build b000001: pending"
    assert "--no-check" in r.err and "ETA" not in r.err  # standard error is not a terminal: no bar
    [got] = server.uploads()
    assert got.path == "/v1/integrations/builds"
    assert got.headers["authorization"] == f"Bearer {APP_TOKEN}"
    assert got.headers["accept"] == "application/json"
    assert got.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert got.field_names() == ["versionName", "tags", "changelog", "notifyCollaborators", "notifyEmployees",
                                 "notifyMessage", "notifyLanguage", "filter[0][0]", "filter[0][1]",
                                 "filter[1][0]", "deployer.name", "deployer.info.commit",
                                 "deployer.info.triggerTimestamp", "build"]
    assert got.field("deployer.info.triggerTimestamp") == "1796083200000"  # --now, in ms
    assert got.fields[:7] == [("versionName", "v1.4.2"), ("tags", "staging,sprint-42"),
                              ("changelog", "Fixes"),
                              ("notifyCollaborators", "true"), ("notifyEmployees", "false"),
                              ("notifyMessage", "hi"), ("notifyLanguage", "en")]
    build = got.files["build"]
    assert (build.filename, build.content_type, build.size, build.sha256) == \
        ("signed-v1v2v3.apk", "application/octet-stream", APK.stat().st_size, sha(APK))


def test_ipa_to_workspace_json(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_SERVICE_ACCOUNT_TOKEN", SA_TOKEN)
    monkeypatch.setenv("APPLIVERY_ORGANIZATION_ID", "org1")
    monkeypatch.setenv("APPLIVERY_APP_ID", "app1")
    r = upload(str(IPA), "--no-check", "--no-deployer", "--json")
    assert r.code == 0, r.err
    assert r.json == {"build_id": "b000001", "build_status": "pending"}
    [got] = server.uploads()
    assert got.path == "/v1/organizations/org1/apps/app1/builds"
    assert got.headers["authorization"] == f"Bearer {SA_TOKEN}"
    assert got.field_names() == ["build"]
    assert got.files["build"].sha256 == sha(IPA)


def test_pkg_as_macos_custom_platform(server) -> None:
    r = upload(str(PKG), "--no-check", "--no-deployer", "--token", APP_TOKEN, "--package-icon", str(PNG))
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields == [("buildPlatform", "macos"), ("packageName", "com.example.fixture"),
                          ("packageVersion", "1.2.3")]
    assert list(got.files) == ["packageIcon", "build"]
    assert got.files["packageIcon"].content_type == "image/png"
    assert got.files["packageIcon"].data == PNG.read_bytes()


def test_console_build(server, tmp_path) -> None:
    nsp = tmp_path / "game.nsp"
    with nsp.open("wb") as f:
        for chunk in iter_chunks(3_000_000):
            f.write(chunk)
    r = upload(str(nsp), "--token", APP_TOKEN, "--no-deployer", "--build-platform", "switch",
               "--package-name", "com.acme.game", "--package-version", "1.0.7", "--package-icon", str(PNG))
    assert r.code == 0, r.err
    assert "nothing to check" in r.err
    [got] = server.uploads()
    assert got.fields == [("buildPlatform", "switch"), ("packageName", "com.acme.game"),
                          ("packageVersion", "1.0.7")]
    assert got.files["build"].size == 3_000_000 and got.files["build"].sha256 == sha(nsp)


def test_console_build_missing_fields_is_refused_before_sending(server, tmp_path) -> None:
    nsp = tmp_path / "game.nsp"
    nsp.write_bytes(b"PFS0" * 100)
    r = upload(str(nsp), "--token", APP_TOKEN, "--build-platform", "ps5")
    assert r.code == 2
    assert "--package-name, --package-version, --package-icon" in r.err
    assert server.requests == []


# -- dry run -----------------------------------------------------------------------------------

def test_dry_run_sends_nothing_and_redacts(server) -> None:
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--dry-run", "--no-deployer", "--tags", "a")
    assert r.code == 0, r.err
    doc = r.json
    assert doc["url"] == f"{server.url}/v1/integrations/builds"
    assert doc["headers"]["Authorization"] == "***"
    assert doc["fields"] == [["tags", "a"]]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--dry-run=curl", "--no-deployer")
    assert r.code == 0 and r.out.startswith("curl ")
    assert "$APPLIVERY_APP_TOKEN" in r.out
    assert server.requests == []


# -- failures ----------------------------------------------------------------------------------

def test_rejected_token(server) -> None:
    r = upload(str(APK), "--no-check", "--token", "wrong-token-123")
    assert r.code == 5
    assert "token rejected" in r.err and "4004" in r.err
    assert len(server.uploads()) == 1  # a 401 is never retried


def test_503_with_retry_after_then_success_honours_the_delay(server) -> None:
    server.plan = ["503", "503"]
    server.retry_after = "3"
    slept: list[float] = []
    request = prepare(APK, UploadFields(), Target(Secret(APP_TOKEN), upload_url=server.url))
    retries: list[int] = []
    build = send(request, policy=RetryPolicy(retries=3, base=0.5, sleep=slept.append),
                 on_retry=lambda n, d, e: retries.append(n))
    assert build.status == "pending"
    assert slept == [3.0, 3.0] and retries == [1, 2]
    assert len(server.uploads()) == 3
    assert server.uploads()[-1].files["build"].sha256 == sha(APK)


def test_503_then_success_from_the_cli(server) -> None:
    server.plan = ["503"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN)
    assert r.code == 0, r.err
    assert "retrying" in r.err and "HTTP 503" in r.err


def test_retries_run_out(server) -> None:
    server.plan = ["502-html"] * 3
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--retries", "2")
    assert r.code == 7
    assert "HTTP 502" in r.err and "<html><head><title>502 Bad Gateway" in r.err and "after 3 tries" in r.err
    assert len(server.uploads()) == 3


def test_non_json_502_is_reported_with_status_and_first_bytes(server) -> None:
    server.plan = ["502-html"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--retries", "0")
    assert r.code == 7
    assert "HTTP 502 with a body that is not JSON" in r.err and "502 Bad Gateway" in r.err


def _big(tmp_path, size: int = 32_000_000):
    big = tmp_path / "big.zip"
    with big.open("wb") as f:
        for chunk in iter_chunks(size):
            f.write(chunk)
    return big


_CUSTOM = ("--build-platform", "ps4", "--package-name", "a", "--package-version", "1",
           "--package-icon", str(PNG))


def test_a_reset_mid_body_is_retried(server, tmp_path) -> None:
    big = _big(tmp_path)
    server.plan = ["reset"]  # the server reads 16 KB of 32 MB, then resets
    r = upload(str(big), "--no-check", "--token", APP_TOKEN, *_CUSTOM)
    assert r.code == 0, r.err
    assert "connection closed by server while the build was being sent" in r.err and "retrying" in r.err
    assert len(server.uploads()) == 2 and server.uploads()[-1].files["build"].size == 32_000_000


def test_resets_mid_body_until_the_tries_run_out_are_a_token_problem(server, tmp_path) -> None:
    big = _big(tmp_path)
    server.plan = ["reset"] * 3
    r = upload(str(big), "--no-check", "--token", APP_TOKEN, "--retries", "2", *_CUSTOM)
    assert r.code == 5
    assert "connection closed by server while the build was being sent (is the token valid?)" in r.err
    assert "after 3 tries" in r.err and len(server.uploads()) == 3


def test_a_reset_after_the_whole_body_may_have_stored_the_build(server) -> None:
    server.hostile = ["reset-after-body"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN)
    assert r.code == 7
    assert ("connection closed by server after the whole build was sent: the build may be stored; "
            "check `inspector builds` before retrying") in r.err
    assert "is the token valid" not in r.err
    [got] = server.uploads()  # never retried: a second try could store it twice
    assert got.files["build"].size == APK.stat().st_size


def test_4xx_with_the_older_error_shape(server) -> None:
    server.plan = ["400"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN)
    assert r.code == 5
    assert "error 5006: Build file invalid (field build)" in r.err
    server.plan = ["400"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--json")
    assert r.code == 5
    assert r.json == {"error": "the service refused the request: HTTP 400, error 5006: Build file invalid "
                               "(field build)", "exit_code": 5, "http_status": 400, "error_code": 5006}
    r = cli("builds", "--token", "wrong-token", "--json")
    assert r.code == 5 and r.json["error_code"] == 4004


def test_read_timeout(server) -> None:
    server.plan = ["slow"]
    server.slow_seconds = 1.5
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--timeout", "0.3", "--retries", "0")
    assert r.code == 7
    assert "timed out waiting for the answer" in r.err


def test_connection_refused(server, monkeypatch) -> None:
    url = server.url
    server.stop()
    monkeypatch.setenv("APPLIVERY_UPLOAD_URL", url)
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--retries", "1")
    assert r.code == 7
    assert "cannot connect" in r.err


# -- waiting, status, list ---------------------------------------------------------------------

def test_wait_until_processed_and_github_output(server, tmp_path, monkeypatch) -> None:
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--wait", "--wait-interval", "0.01", "--json")
    assert r.code == 0, r.err
    assert r.json == {"build_id": "b000001", "build_status": "processed"}
    assert "in_progress" in r.err
    assert out.read_text().endswith("build_id=b000001\nbuild_status=processed\n")
    assert out.read_text().startswith("earlier=1\n")


def test_wait_ends_in_a_processing_error(server) -> None:
    server.processing = ["in_progress", "error"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--wait", "--wait-interval", "0.01")
    assert r.code == 6
    assert "errorCode 5006" in r.err and "Build file invalid" in r.err
    assert "step 30" in r.err and "step 11" in r.err and "step 10\n" not in r.err


def test_wait_times_out(server) -> None:
    server.processing = ["in_progress"] * 1000
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--wait", "--wait-interval", "0.02",
               "--wait-timeout", "0.2")
    assert r.code == 8
    assert "still in_progress" in r.err


def test_status_command(server) -> None:
    server.processing = ["in_progress", "processed"]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--json")
    build_id = r.json["build_id"]
    r = cli("status", build_id, "--token", APP_TOKEN)
    assert r.code == 0 and r.out.strip() == f"build {build_id}: in_progress"
    r = cli("status", build_id, "--token", APP_TOKEN, "--wait", "--wait-interval", "0.01", "--json")
    assert r.code == 0 and r.json["build_status"] == "processed"
    r = cli("status", "nope", "--token", APP_TOKEN)
    assert r.code == 5 and "3001" in r.err


def test_status_of_a_failed_build(server) -> None:
    server.processing = ["error"]
    build_id = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--json").json["build_id"]
    r = cli("status", build_id, "--token", APP_TOKEN)
    assert r.code == 6 and "errorCode 5006" in r.err


def test_builds_command(server) -> None:
    server.listed = [
        {"id": "old1", "status": "processed", "versionName": "1.0", "os": "android", "versionCode": 40,
         "createdAt": "2026-11-01T00:00:00Z"},
        {"id": "old2", "status": "error", "versionName": "1.1", "os": "ios",
         "createdAt": "2026-11-02T00:00:00Z"},
    ]
    r = cli("builds", "--token", APP_TOKEN)
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].split() == ["BUILD_ID", "BUILD_STATUS", "VERSION_NAME", "VERSION_CODE", "OS", "CREATED"]
    assert [line.split()[0] for line in lines[1:]] == ["old2", "old1"]
    r = cli("builds", "--token", APP_TOKEN, "--status", "processed", "--os", "android", "--json")
    assert [b["build_id"] for b in r.json] == ["old1"]
    assert server.requests[-1].path == "/v1/integrations/builds?status=processed&os=android"
    r = cli("builds", "--token", APP_TOKEN, "--version-name", "9.9")
    assert r.out.strip() == "no builds"


def test_newer_than_uploaded(server) -> None:
    server.listed = [{"id": "old", "status": "processed", "os": "android",
                      "info": {"android": {"versionCode": 42}},
                      "createdAt": "2026-11-01T00:00:00Z"},
                     {"id": "ios", "status": "processed", "os": "ios", "createdAt": "2026-11-02T00:00:00Z",
                      "info": {"ios": {"plist": {"CFBundleVersion": "999"}}}}]
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--newer-than-uploaded")
    assert r.code == 1
    # --no-check still runs UPL002, the rule check --newer-than-uploaded runs
    assert "UPL002" in r.err and "versionCode 42 is not greater than 42" in r.err
    assert server.uploads() == []
    server.listed[0]["info"]["android"]["versionCode"] = 41
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--newer-than-uploaded")
    assert r.code == 0, r.err
    assert len(server.uploads()) == 1


def test_newer_than_uploaded_fails_loudly_when_the_list_cannot_be_read(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_API_URL", "http://127.0.0.1:9")
    r = upload(str(APK), "--no-check", "--token", APP_TOKEN, "--newer-than-uploaded", "--retries", "0")
    assert r.code == 7 and "cannot connect" in r.err
    assert server.uploads() == []


def test_check_newer_than_uploaded_is_a_finding(server) -> None:
    server.listed = [{"id": "old", "status": "processed", "os": "android",
                      "info": {"android": {"versionCode": 42}}, "createdAt": "2026-11-01T00:00:00Z"},
                     {"id": "ios", "status": "processed", "os": "ios",
                      "createdAt": "2026-11-02T00:00:00Z",
                      "info": {"ios": {"plist": {"CFBundleVersion": "240"}}}}]
    r = cli("check", "--format", "json", "--token", APP_TOKEN, "--newer-than-uploaded",
            "--retry-delay", "0", str(APK), str(IPA))
    assert r.code == 1, r.err
    apk, ipa = r.json["results"]
    assert [(f["code"], f["expected"], f["actual"]) for f in apk["findings"]] == [
        ("UPL002", "> 42", "42")]
    assert "UPL002" not in [f["code"] for f in ipa["findings"]]  # 241 > 240
    # One list request per platform (one page each here), filtered by os, not by status.
    paths = sorted(req.path for req in server.requests)
    assert paths == ["/v1/integrations/builds?os=android&page=1&limit=50",
                     "/v1/integrations/builds?os=ios&page=1&limit=50"]


def test_check_newer_than_uploaded_fails_loudly(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_API_URL", "http://127.0.0.1:9")
    r = cli("check", "--token", APP_TOKEN, "--newer-than-uploaded", "--retries", "0", str(APK))
    assert r.code == 7 and "cannot connect" in r.out + r.err
    r = cli("check", "--newer-than-uploaded", str(APK))  # no token: a usage error, before any read
    assert r.code == 2 and "no token" in r.err


def test_latest_build_library(server) -> None:
    target = Target(Secret(APP_TOKEN), api_url=server.url)
    assert latest_build(target) is None
    server.listed = [{"id": "a", "status": "processed", "createdAt": "2026-11-01T00:00:00Z"},
                     {"id": "b", "status": "processed", "createdAt": "2026-11-03T00:00:00Z"},
                     {"id": "c", "status": "error", "createdAt": "2026-11-04T00:00:00Z"}]
    latest = latest_build(target)
    assert latest is not None and latest.id == "b"
    with pytest.raises(TokenRejectedError):
        latest_build(Target(Secret("bad-token"), api_url=server.url))


# -- library: progress and an injected session --------------------------------------------------

def test_progress_callback_and_injected_session(server) -> None:
    session = requests.Session()
    session.headers["User-Agent"] = "my-uploader/1.0"
    seen: list[tuple[int, int]] = []
    request = prepare(APK, UploadFields(version_name="x"), Target(Secret(APP_TOKEN), upload_url=server.url))
    build = send(request, session=session, progress=lambda sent, total: seen.append((sent, total)))
    assert build.id == "b000001"
    assert server.uploads()[0].headers["user-agent"] == "my-uploader/1.0"
    assert seen and seen[-1][0] == seen[-1][1] > APK.stat().st_size
    assert int(server.uploads()[0].headers["content-length"]) == seen[-1][1]
    session.close()


def test_transport_errors_never_hold_the_token(server) -> None:
    request = prepare(APK, UploadFields(), Target(Secret("bad-token-xyz"), upload_url=server.url))
    with pytest.raises(TokenRejectedError) as info:
        send(request)
    assert "bad-token-xyz" not in str(info.value) and "bad-token-xyz" not in repr(info.value.args)
    server.plan = ["502-html"]
    with pytest.raises(NetworkError):
        send(prepare(APK, UploadFields(), Target(Secret(APP_TOKEN), upload_url=server.url)),
             policy=RetryPolicy(retries=0))


def test_progress_bar_draws_rate_and_eta() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 1.0, 2.0])
    bar = ProgressBar(stream, clock=lambda: next(ticks))
    bar(50_000_000, 100_000_000)
    bar(100_000_000, 100_000_000)
    text = stream.getvalue()
    assert " 50.0%" in text and "50.0 MB/s" in text and "ETA 0:01" in text
    assert "100.0%" in text and text.endswith("\n")


def test_library_list(server) -> None:
    server.listed = [{"id": "x", "status": "processed", "versionName": "2.0"}]
    builds = list_builds(Target(Secret(APP_TOKEN), api_url=server.url), version_name="2.0")
    assert [b.id for b in builds] == ["x"]


# -- the token never shows, whatever the path ----------------------------------------------------

def test_no_output_ever_contains_the_token(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = tmp_path / "gh"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    runs = [
        ("--dry-run",), ("--dry-run=curl",), ("--json",), (),
        ("--wait", "--wait-interval", "0.01", "--json"),
    ]
    results = [upload(str(APK), "--no-check", "--token", APP_TOKEN, *extra) for extra in runs]
    server.plan = ["502-html", "400", "reset"]
    results += [upload(str(APK), "--no-check", "--token", APP_TOKEN, "--retries", "0") for _ in range(3)]
    results.append(upload(str(APK), "--no-check", "--token", APP_TOKEN + "x"))
    results.append(cli("status", "b000001", "--token", APP_TOKEN, "--json"))
    results.append(cli("builds", "--token", APP_TOKEN, "--json"))
    results.append(upload(str(APK), "--no-check", "--token", "has space"))
    codes = [r.code for r in results]
    # The reset comes after 16 KB of the APK's 21 KB: whether the rest was already handed to the
    # socket (7: "may be stored") or not (5: "is the token valid?") is the kernel's timing.
    assert codes[:7] + codes[8:] == [0, 0, 0, 0, 0, 7, 5, 5, 0, 0, 2] and codes[7] in (5, 7)
    everything = "".join(r.out + r.err for r in results) + out.read_text()
    for token in (*TOKENS, "has space"):
        assert token not in everything
    assert "***" in results[0].out
    assert json.loads(results[0].out)["headers"]["Authorization"] == "***"


# -- the check gate runs first; the [upload] config section --------------------------------------

def test_the_check_runs_first_and_a_failure_uploads_nothing(server) -> None:
    r = upload(str(APK), "--token", APP_TOKEN, "--expect-id", "com.other.app")
    assert r.code == 1
    assert "com.other.app" in r.err and "nothing was uploaded" in r.err
    assert server.requests == []
    # the unsigned-PKG warning fails when strict
    r = upload(str(PKG), "--token", APP_TOKEN, "--strict", "--package-icon", str(PNG))
    assert r.code == 1 and "PKG001" in r.err
    assert server.requests == []


def test_a_passing_check_then_the_upload(server) -> None:
    r = upload(str(APK), "--token", APP_TOKEN, "--expect-id", "com.applivery.inspector.fixture",
               "--expect-version-code", "42")
    assert r.code == 0, r.err
    assert "PASSED" in r.err and "--no-check" not in r.err
    assert len(server.uploads()) == 1


def test_upload_section_of_the_config_file(server, tmp_path) -> None:
    config = tmp_path / "inspector.toml"
    config.write_text('[check]\nexpect-id = "com.applivery.*"\n\n'
                      '[upload]\ntags = ["qa", "nightly"]\nnotify-language = "es"\n'
                      'filter = [["g1", "g2"], ["g3"]]\n'
                      'notify-collaborators = false\n')
    r = upload(str(APK), "--token", APP_TOKEN, "--config", str(config), "--no-deployer",
               "--tags", "flag-wins")
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields == [("tags", "flag-wins"), ("notifyCollaborators", "false"), ("notifyLanguage", "es"),
                          ("filter[0][0]", "g1"), ("filter[0][1]", "g2"), ("filter[1][0]", "g3")]


@pytest.mark.parametrize("text", ['[upload]\ntoken = "abc-secret-value"\n',
                                  '[upload]\nservice_account_token = "abc-secret-value"\n',
                                  '[upload]\nunknown-key = 1\n'])
def test_a_token_or_unknown_key_in_the_config_is_refused(server, tmp_path, text: str) -> None:
    config = tmp_path / "inspector.toml"
    config.write_text(text)
    r = upload(str(APK), "--token", APP_TOKEN, "--config", str(config), "--no-check")
    assert r.code == 2
    assert "abc-secret-value" not in r.err
    assert server.requests == []


def test_latest_upload_library_for_an_ipa(server) -> None:
    import inspector
    from inspector.checks import Expectations, check
    from inspector.upload.transport import latest_upload

    record = inspector.inspect(IPA, digest=False)  # CFBundleVersion 241
    target = Target(Secret(APP_TOKEN), api_url=server.url)
    server.listed = [{"id": "a1", "status": "processed", "os": "android", "createdAt": "2026-11-05T00:00:00Z",
                      "info": {"android": {"versionCode": 900}}}]
    assert latest_upload(target, "ios") is None  # only iOS builds count
    server.listed.append({"id": "i1", "status": "success", "os": "ios", "createdAt": "2026-11-04T00:00:00Z",
                          "info": {"ios": {"plist": {"CFBundleVersion": "241"}}}})
    uploaded = latest_upload(target, "ios")
    assert uploaded is not None and (uploaded.build_id, uploaded.build_number) == ("i1", "241")
    result = check(record, Expectations(uploaded_build=uploaded), NOW)
    [finding] = [f for f in result.findings if f.code == "UPL002"]
    assert "241 is not greater than 241" in finding.message and "(i1)" in finding.message
    assert not result.passed
    assert server.requests[-1].path == "/v1/integrations/builds?os=ios&page=1&limit=50"


def test_deployer_from_the_ci_environment_and_a_changelog_file(server, tmp_path, monkeypatch) -> None:
    for name, value in {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "c0ffee", "GITHUB_REF_NAME": "main",
                        "GITHUB_REF_TYPE": "branch", "GITHUB_SERVER_URL": "https://github.com",
                        "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "99",
                        "GITHUB_RUN_NUMBER": "7"}.items():
        monkeypatch.setenv(name, value)
    notes = tmp_path / "CHANGES.txt"
    notes.write_text("Line one\nLine two\n", encoding="utf-8")
    r = upload(str(IPA), "--no-check", "--token", APP_TOKEN, "--changelog-file", str(notes),
               "--deployer-info", "buildNumber=7b", "--now", "2026-12-01T00:00:00Z")
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields == [
        ("changelog", "Line one\nLine two"),
        ("deployer.name", "GitHub Actions"),
        ("deployer.info.commit", "c0ffee"),
        ("deployer.info.branch", "main"),
        ("deployer.info.triggerTimestamp", "1796083200000"),
        ("deployer.info.buildUrl", "https://github.com/acme/app/actions/runs/99"),
        ("deployer.info.ciUrl", "https://github.com"),
        ("deployer.info.repositoryUrl", "https://github.com/acme/app"),
        ("deployer.info.buildNumber", "7b"),
    ]


def test_status_and_builds_on_the_workspace_api(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_SERVICE_ACCOUNT_TOKEN", SA_TOKEN)
    ids = ("--organization", "org1", "--app", "app1")
    build_id = upload(str(APK), "--no-check", *ids, "--json").json["build_id"]
    r = cli("status", build_id, *ids, "--json")
    assert r.code == 0 and r.json["build_status"] == "in_progress"
    assert server.requests[-1].path == f"/v1/organizations/org1/apps/app1/builds/{build_id}"
    assert server.requests[-1].headers["authorization"] == f"Bearer {SA_TOKEN}"
    r = cli("builds", *ids, "--limit", "5", "--json")
    assert [b["build_id"] for b in r.json] == [build_id]
    assert server.requests[-1].path == "/v1/organizations/org1/apps/app1/builds?limit=5"
    r = cli("status", build_id, "--organization", "org1", "--app", "other")
    assert r.code == 5 and "4004" in r.err


def _stderr_on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    import os
    import pty
    import subprocess
    import sys

    main_fd, child_fd = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "inspector", *argv], stdout=subprocess.DEVNULL,
                              stderr=child_fd, env=env, timeout=60, check=False)
        os.close(child_fd)
        chunks = []
        while True:
            try:
                data = os.read(main_fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main_fd)
    assert done.returncode == 0
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_only_on_a_terminal(server, tmp_path) -> None:
    import os

    big = tmp_path / "big.zip"
    with big.open("wb") as f:
        for chunk in iter_chunks(3_000_000):
            f.write(chunk)
    env = {**os.environ, "APPLIVERY_APP_TOKEN": APP_TOKEN, "APPLIVERY_UPLOAD_URL": server.url,
           "INSPECTOR_ALLOW_HTTP": "1"}
    argv = ["upload", str(big), "--no-check", "--no-git", "--build-platform", "ps5", "--package-name", "a",
            "--package-version", "1", "--package-icon", str(PNG)]
    shown = _stderr_on_a_terminal(argv, env)
    assert "100.0%" in shown and "/s" in shown and "ETA" in shown
    assert APP_TOKEN not in shown
    hidden = _stderr_on_a_terminal([*argv, "--no-progress"], env)
    assert "ETA" not in hidden and "--no-check" in hidden


@pytest.mark.parametrize("name", ["random.apk", "random.ipa", "random.pkg"])
def test_a_file_named_like_a_build_it_is_not_is_refused(server, tmp_path, name: str) -> None:
    fake = tmp_path / name
    fake.write_bytes(bytes(range(256)) * 16)
    r = upload(str(fake), "--token", APP_TOKEN, "--no-check", "--build-platform", "ps5",
               "--package-name", "a", "--package-version", "1")
    assert r.code == 4 and name in r.err
    assert server.requests == []


def test_a_truncated_build_is_refused(server, tmp_path) -> None:
    truncated = tmp_path / "app.apk"
    truncated.write_bytes(APK.read_bytes()[:5000])
    r = upload(str(truncated), "--token", APP_TOKEN)
    assert r.code == 3 and "truncated" in r.err and len(r.err.strip().splitlines()) == 1
    assert server.requests == []


def test_library_steps_in_order(server) -> None:
    import inspector
    from inspector.upload import inspect_for_upload, upload
    from inspector.upload.deployer import detect_deployer
    from inspector.upload.transport import get_build, wait_for_build

    record, summary = inspect_for_upload(IPA)
    assert record is not None and summary is not None and summary.identifier == "com.fixture.app"
    deployer = detect_deployer({"CIRCLECI": "true", "CIRCLE_SHA1": "c0ffee"}, use_git=False)
    target = Target(Secret(SA_TOKEN), organization="org1", app="app1", upload_url=server.url,
                    api_url=server.url)
    request = prepare(IPA, UploadFields(tags=("qa",), deployer=deployer), target, record=record)
    build = upload(request, policy=RetryPolicy(retries=0), timeout=(5.0, 30.0))
    assert build.status == "pending"
    assert server.uploads()[0].fields == [("tags", "qa"), ("deployer.name", "CircleCI"),
                                          ("deployer.info.commit", "c0ffee"),
                                          ("deployer.info.ciUrl", "https://circleci.com")]
    polls: list[str | None] = []
    done = wait_for_build(target, build.id, interval=0.01, timeout=5,
                          on_status=lambda b: polls.append(b.status))
    assert done.status == "processed" and polls == ["in_progress", "processed"]
    assert get_build(target, build.id).status == "processed"
    assert inspector.inspect(IPA, digest=False).file.size == server.uploads()[0].files["build"].size


def test_the_dry_run_curl_command_sends_the_same_request(server, monkeypatch) -> None:
    import os
    import shutil
    import subprocess

    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("curl and bash are needed")
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", APP_TOKEN)
    argv = [str(PKG), "--no-check", "--no-deployer", "--tags", "a, b", "--changelog", "@not-a-file <x",
            "--filter", "g1,g2|g3", "--package-icon", str(PNG), "--notify-employees"]
    command = upload(*argv, "--dry-run=curl").out
    assert upload(*argv).code == 0
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "APPLIVERY_APP_TOKEN": APP_TOKEN})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] is True
    ours, theirs = server.uploads()
    assert ours.fields == theirs.fields
    assert ours.files.keys() == theirs.files.keys()
    for name in ours.files:
        a, b = ours.files[name], theirs.files[name]
        assert (a.filename, a.content_type, a.size, a.sha256) == \
            (b.filename, b.content_type, b.size, b.sha256)


def test_dry_run_before_the_file(server) -> None:
    r = upload("--dry-run", str(APK), "--token", APP_TOKEN)
    assert r.code == 0, r.err
    assert r.json["method"] == "POST" and server.uploads() == []
    r = upload(str(APK), "--dry-run=xml", "--token", APP_TOKEN)
    assert r.code == 2 and "not json or curl" in r.err
    r = upload("--dry-run", "--token", APP_TOKEN)
    assert r.code == 2 and "no FILE given and no build found" in r.err
