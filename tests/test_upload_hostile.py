"""A hostile service, on loopback (tests/applivery_server.py, its "hostile answers" block): answers
nested 100,000 deep, never-ending or trickling bodies, a Retry-After that outlasts the wait, junk
Retry-After values, build ids and statuses that would forge output lines, numbers of thousands of
digits. Each ends in one clear line and a documented exit code (7: the service answered
nonsense; 8: the wait ended), never exit 70, and the token never leaves the Authorization header.
"""

from __future__ import annotations

import json

import pytest

from inspector.upload import Secret, Target, UploadFields, prepare
from inspector.upload.errors import NetworkError, WaitTimeoutError
from inspector.upload.response import MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, Build, parse_body, parse_retry_after
from inspector.upload.transport import RetryPolicy, get_build, send, wait_for_build
from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-hostile-7d1e"


@pytest.fixture
def server(monkeypatch):
    with serving(monkeypatch, token=TOKEN) as s:
        yield s
        # The token went nowhere but the Authorization header of each request.
        for received in s.requests:
            assert received.headers.get("authorization") == f"Bearer {TOKEN}"
            others = {k: v for k, v in received.headers.items() if k != "authorization"}
            assert TOKEN not in json.dumps([others, received.path, received.fields])


def cli(*argv: str) -> CliResult:
    """Run the CLI: it must end in at most one error line, never with exit 70 or a traceback, and
    never print the token."""
    result = run_cli(*argv)
    assert result.code != 70 and "Traceback" not in result.err, result
    assert TOKEN not in result.out + result.err
    errors = [line for line in result.err.splitlines() if line.startswith("inspector: error:")]
    assert len(errors) <= 1, result
    return result


def upload(*argv: str) -> CliResult:
    return cli("upload", str(APK), "--no-check", "--no-git", "--no-deployer", "--retries", "0", *argv)


def doc(data: object) -> bytes:
    return json.dumps({"status": True, "data": data}).encode()


# -- bodies: depth, size, numbers --------------------------------------------------------------

def test_an_answer_nested_100000_deep_is_a_service_error(server) -> None:
    server.hostile = ["raw", "raw"]
    server.hostile_body = b'{"status": true, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = upload()
    assert r.code == 7 and f"nests deeper than {MAX_ANSWER_DEPTH} levels" in r.err
    r = cli("status", "b1")
    assert r.code == 7 and "nests deeper" in r.err


def test_depth_just_past_the_limit_is_refused_and_at_the_limit_read() -> None:
    inner: object = "x"
    for _ in range(MAX_ANSWER_DEPTH - 2):
        inner = [inner]
    at_limit = json.dumps({"status": True, "data": {"id": "b1", "deep": inner}}).encode()
    assert Build.from_json(parse_body(200, at_limit)).id == "b1"
    past = json.dumps({"status": True, "data": {"id": "b1", "deep": [inner]}}).encode()
    with pytest.raises(NetworkError, match="nests deeper") as info:
        parse_body(200, past)
    assert not info.value.retryable


def test_a_never_ending_chunked_body_stops_at_the_cap(server) -> None:
    server.hostile = ["endless"]
    r = cli("status", "b1", "--retries", "0")
    assert r.code == 7 and f"larger than {MAX_ANSWER_BYTES >> 20} MiB" in r.err
    server.hostile = ["endless"]
    r = upload()
    assert r.code == 7 and "larger than" in r.err


def test_a_declared_huge_body_is_not_read(server) -> None:
    server.hostile = ["huge-length"]
    r = cli("status", "b1", "--retries", "0")
    assert r.code == 7 and "larger than" in r.err


def test_a_version_code_of_thousands_of_digits(server) -> None:
    # As a JSON number: refused while parsing, whatever field holds it.
    server.listed = [{"id": "old", "status": "processed", "os": "android",
                      "createdAt": "2026-11-01T00:00:00Z", "info": {"android": {"versionCode": 1}}}]
    server.hostile = ["raw"]
    server.hostile_body = (b'{"status": true, "data": {"items": [{"id": "old", "status": "processed", '
                           b'"versionCode": ' + b"9" * 5000 + b"}]}}")
    r = upload("--newer-than-uploaded")
    assert r.code == 7 and "a number of 5000 digits" in r.err
    # As a string: not a build number, so nothing to compare with (never int() of 5000 digits).
    server.listed[0]["info"]["android"]["versionCode"] = "9" * 5000
    r = upload("--newer-than-uploaded")
    assert r.code == 7 and "build number that is not one" in r.err
    r = cli("check", "--newer-than-uploaded", "--retries", "0", str(APK))
    assert r.code == 7 and "build number that is not one" in r.out + r.err
    assert server.uploads() == []


def test_nan_and_infinity_are_not_json() -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(NetworkError, match="which JSON does not allow"):
            parse_body(200, b'{"status": true, "data": {"id": "b1", "size": ' + literal + b"}}")


# -- deadlines ---------------------------------------------------------------------------------

def test_a_trickling_answer_ends_at_the_deadline(server) -> None:
    # A byte every 0.1 s never trips a 0.4 s read timeout; the whole answer's deadline cuts it.
    server.hostile = ["trickle"]
    server.trickle_seconds = 0.1
    r = cli("status", "b1", "--timeout", "0.4", "--retries", "0")
    assert r.code == 7 and "timed out waiting for the answer (not complete within 0.4 s)" in r.err
    server.hostile = ["trickle"]
    r = upload("--timeout", "0.4")
    assert r.code == 7 and "timed out waiting for the answer" in r.err
    assert server.uploads()[-1].files["build"].size == APK.stat().st_size  # the body was all sent first
    # Each answer is about 130 bytes: the client hung up after the first few.
    assert len(server.trickled) == 2 and all(n < 20 for n in server.trickled), server.trickled


def test_a_trickling_body_through_a_session_of_the_callers(server) -> None:
    import requests

    server.hostile = ["trickle-body"]
    server.trickle_seconds = 0.1
    with requests.Session() as session, pytest.raises(NetworkError, match="timed out waiting"):
        get_build(Target(Secret(TOKEN), api_url=server.url), "b1", session=session,
                  policy=RetryPolicy(retries=0), timeout=(5.0, 0.3))
    # The caller's adapter is not watched: the countdown starts at the headers, and cuts the
    # body's 49 bytes (0.1 s each) after the first few.
    assert len(server.trickled) == 1 and server.trickled[0] < 20, server.trickled


def test_status_wait_does_not_sleep_through_a_long_retry_after(server) -> None:
    server.hostile = ["retry-after"] * 10
    server.retry_after = "600"
    r = cli("status", "b1", "--wait", "--wait-timeout", "0.5", "--wait-interval", "0.1")
    assert r.code == 8
    assert "still unread after 0.5 s" in r.err and "HTTP 503" in r.err and "600 s" in r.err
    assert len(server.requests) == 1


def test_wait_keeps_the_last_status_when_its_deadline_cuts_a_retry(server) -> None:
    build_id = upload("--json").json["build_id"]
    server.processing = ["in_progress"] * 100
    target = Target(Secret(TOKEN), api_url=server.url)
    slept: list[float] = []
    now = [0.0]  # a clock that moves only when the wait sleeps

    def poll_then_busy(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        server.hostile = ["retry-after"]

    server.retry_after = "30"
    with pytest.raises(WaitTimeoutError) as info:
        wait_for_build(target, build_id, interval=0.5, timeout=10, clock=lambda: now[0],
                       sleep=poll_then_busy, policy=RetryPolicy(retries=3, sleep=slept.append))
    assert slept == [0.5]  # one poll interval; the 30 s Retry-After is never slept
    assert f"build {build_id} still in_progress after 10 s" in str(info.value)
    assert isinstance(info.value.build, Build) and info.value.build.status == "in_progress"


@pytest.mark.parametrize("value", ["²", "٣", "-5", "1e999", "NaN", "9" * 400, "Sat, 99 Nov 2026 99:99:99 GMT",
                                   "Mon, 01 Jan 99999 00:00:00 GMT", "\x00", ""])
def test_junk_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after(value) is None


def test_a_unicode_digit_retry_after_then_the_next_try(server) -> None:
    server.hostile = ["retry-after"]
    server.retry_after = "²"  # latin-1 on the wire, as the service would send it
    r = cli("status", "b1", "--retry-delay", "0")
    assert r.code == 5 and "3001" in r.err  # the retry happened (our backoff), then the real answer
    assert len(server.requests) == 2


# -- values from the service ---------------------------------------------------------------------

@pytest.mark.parametrize("build_id", ["b1\nbuild_status=processed\nreleased=true", "b1\ud800", "::error::x",
                                      "b 1", "", "x" * 200, "../b1", True, 1.5, ["b1"]])
def test_a_build_id_that_is_not_one_is_a_service_error(server, tmp_path, monkeypatch, build_id) -> None:
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    server.hostile = ["raw"]
    server.hostile_body = doc({"id": build_id, "status": "pending"})
    r = upload()
    assert r.code == 7 and ("build id" in r.err)
    assert r.out == "" and not out.exists()
    assert all(not line.startswith(("::", "build_status", "released")) for line in r.err.splitlines())


@pytest.mark.parametrize("status", ["processed\nreleased=true", "pro\u202ecessed", "", 7, {"a": 1}])
def test_a_status_that_is_not_one_is_a_service_error(status: object) -> None:
    with pytest.raises(NetworkError, match="status that is not one") as info:
        Build.from_json({"id": "b1", "status": status})
    assert not info.value.retryable


def test_free_text_is_bounded_and_valid_unicode() -> None:
    build = Build.from_json({"id": "b1", "status": "error", "error": "bad\ud800" + "x" * 5000,
                             "errorCode": 10 ** 30, "versionName": ["a", {"b": 1}],
                             "processLogs": [f"line {i}" for i in range(5000)] + [{"step": 1}, None]})
    assert build.error is not None and len(build.error) < 2100 and "\ud800" not in build.error
    assert build.error.startswith("bad\ufffd")
    assert build.error_code == str(10 ** 30) and build.version_name == '["a", {"b": 1}]'
    assert len(build.process_logs) == 1000
    assert build.process_logs[-2:] == ("line 4999", '{"step": 1}')
    json.dumps(build.to_json()).encode("utf-8")


def test_a_non_ascii_token_is_a_usage_error_before_anything_is_sent(server) -> None:
    r = upload("--token", "tökén-ünicode")
    assert r.code == 2 and "non-ASCII" in r.err and "tökén" not in r.err
    r = cli("status", "b1", "--token", "tökén-ünicode")
    assert r.code == 2
    assert server.requests == []


def test_send_library_refuses_a_forged_id(server) -> None:
    server.hostile = ["raw"]
    server.hostile_body = doc({"id": "b1\r\n::error::forged", "status": "pending"})
    request = prepare(APK, UploadFields(), Target(Secret(TOKEN), upload_url=server.url))
    with pytest.raises(NetworkError, match="build id that is not one") as info:
        send(request, policy=RetryPolicy(retries=0))
    assert "\n" not in str(info.value) and "\r" not in str(info.value)
