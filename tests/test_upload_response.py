"""Answers as data: success, both error shapes, token codes, non-JSON bodies, Retry-After, backoff."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from inspector.upload.errors import ApiError, NetworkError, TokenRejectedError
from inspector.upload.response import Build, backoff_delay, parse_body, parse_retry_after, processing_error


def body(doc) -> bytes:
    return json.dumps(doc).encode()


def test_success() -> None:
    data = parse_body(200, body({"status": True, "data": {"id": "b1", "status": "pending"}}))
    build = Build.from_json(data)
    assert (build.id, build.status) == ("b1", "pending")


def test_error_with_message_and_the_older_msg_field_shape() -> None:
    with pytest.raises(ApiError) as info:
        parse_body(400, body({"status": False, "error": {"code": 5006, "message": "Build file invalid"}}))
    assert info.value.code == 5006 and "5006" in str(info.value) and "Build file invalid" in str(info.value)
    with pytest.raises(ApiError) as info:
        parse_body(400, body({"status": False, "error": {"code": 5024, "msg": "Slug used", "field": "slug"}}))
    assert "Slug used" in str(info.value) and "field slug" in str(info.value)


@pytest.mark.parametrize("code", [4002, 4004, 3002])
def test_token_codes(code: int) -> None:
    with pytest.raises(TokenRejectedError, match="token rejected"):
        parse_body(401, body({"status": False, "error": {"code": code, "message": "x"}}))


def test_status_false_with_http_200_is_an_error() -> None:
    with pytest.raises(ApiError):
        parse_body(200, body({"status": False, "error": {"code": 3001, "message": "Entity not found"}}))


def test_non_json_is_reported_with_status_and_first_bytes() -> None:
    with pytest.raises(NetworkError) as info:
        parse_body(502, b"<html><title>502 Bad Gateway</title>" + b"x" * 500)
    assert "HTTP 502" in str(info.value) and "<html><title>502 Bad Gateway" in str(info.value)
    assert info.value.retryable
    with pytest.raises(NetworkError) as info:
        parse_body(404, b"not found")
    assert not info.value.retryable


def test_transient_json_errors_are_retryable_with_retry_after() -> None:
    with pytest.raises(NetworkError) as info:
        parse_body(503, body({"status": False, "error": {"code": 1, "message": "busy"}}), "7")
    assert info.value.retryable and info.value.retry_after == 7.0
    with pytest.raises(ApiError):  # a 4xx other than 408/429 is never retried
        parse_body(409, body({"status": False, "error": {"code": 1, "message": "conflict"}}))


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 28, 5, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Sat, 28 Nov 2026 05:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff() -> None:
    assert [backoff_delay(n, base=1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, base=1.0, cap=60) == 60
    assert backoff_delay(1, retry_after=5.0) == 5.0
    assert backoff_delay(1, retry_after=500.0, cap=60) == 500.0  # the server's word, not our cap
    assert backoff_delay(1, retry_after=86400.0) == 600.0


def test_processing_error_shows_code_message_and_last_log_lines() -> None:
    build = Build.from_json({"id": "b9", "status": "error", "errorCode": 5006, "error": "Build file invalid",
                             "processLogs": [f"line {i}" for i in range(1, 41)]})
    error = processing_error(build, last_lines=5)
    assert str(error) == "build b9 failed processing (errorCode 5006): Build file invalid"
    assert error.logs == ("line 36", "line 37", "line 38", "line 39", "line 40")


def test_a_build_without_an_id_is_an_error() -> None:
    with pytest.raises(NetworkError):
        Build.from_json({"status": "pending"})


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(status: int) -> None:
    with pytest.raises(NetworkError) as info:
        parse_body(status, body({"status": False, "error": {"code": 1, "message": "x"}}))
    assert info.value.retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_other_4xx_are_never_retried(status: int) -> None:
    with pytest.raises(ApiError):
        parse_body(status, body({"status": False, "error": {"code": 1, "message": "x"}}))
