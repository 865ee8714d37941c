"""The service's answers as data (sans-I/O): status + headers + body bytes -> a Build, or an error.

The retry policy lives here too (which failures are transient, how long to wait), so that the
transport only loops and the rules are tested without a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from inspector.upload.errors import ApiError, NetworkError, ProcessingError, TokenRejectedError
from inspector.versions import version_tuple

__all__ = [
    "RETRY_STATUSES",
    "TERMINAL_STATUSES",
    "TOKEN_CODES",
    "Build",
    "backoff_delay",
    "newer_than_uploaded",
    "parse_body",
    "parse_retry_after",
    "processing_error",
    "uploaded_build_number",
]

#: HTTP statuses worth another try (``curl --retry`` semantics); never any other 4xx.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Error codes that mean the token itself was refused.
TOKEN_CODES = {4002: "app token empty", 4004: "app token invalid", 3002: "token expired"}
TERMINAL_STATUSES = ("processed", "error")
_PREVIEW = 120


@dataclass(frozen=True, slots=True)
class Build:
    """A build as the service describes it: ``data`` of an upload or build-details answer."""

    id: str
    status: str | None
    version_name: str | None = None
    version_code: str | None = None
    os: str | None = None
    error: str | None = None
    error_code: str | None = None
    process_logs: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Build:
        if not isinstance(data, dict) or not data.get("id"):
            raise NetworkError(f"the answer has no build id: {_preview(json.dumps(data).encode())}",
                               retryable=False)
        logs = data.get("processLogs") or ()
        if isinstance(logs, str):
            logs = logs.splitlines()
        elif isinstance(logs, list):
            logs = [line if isinstance(line, str) else json.dumps(line) for line in logs]
        code = data.get("errorCode")
        version_code = data.get("versionCode")
        return cls(
            id=str(data["id"]), status=data.get("status"), version_name=data.get("versionName"),
            version_code=None if version_code is None else str(version_code), os=data.get("os"),
            error=data.get("error") or None, error_code=None if code in (None, "") else str(code),
            process_logs=tuple(logs), raw=data,
        )

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"build_id": self.id, "build_status": self.status}
        for key, value in (("version_name", self.version_name), ("version_code", self.version_code),
                           ("os", self.os), ("error_code", self.error_code), ("error", self.error)):
            if value is not None:
                out[key] = value
        if self.process_logs and self.status == "error":
            out["process_logs"] = list(self.process_logs)
        return out


def _preview(body: bytes) -> str:
    text = body[:_PREVIEW].decode("utf-8", "replace")
    text = " ".join(text.split())
    return repr(text + ("…" if len(body) > _PREVIEW else ""))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds, or an HTTP date (then relative to ``now``)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0,
                  retry_after: float | None = None, retry_after_cap: float = 600.0) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1): the server's
    ``Retry-After`` when it gave one (up to ``retry_after_cap``, so that a wild value cannot park a
    pipeline for hours), else ``base * 2**(attempt-1)`` up to ``cap``."""
    if retry_after is not None:
        return min(retry_after, retry_after_cap)
    return min(base * 2 ** (attempt - 1), cap)


def parse_body(http_status: int, body: bytes, retry_after: str | None = None) -> Any:
    """The ``data`` of a successful answer, or the matching error raised.

    The JSON is read whatever the HTTP status. ``{"status": false, "error": {...}}`` (``message`` or
    the older ``msg`` + ``field``) becomes :class:`ApiError` (:class:`TokenRejectedError` for a token
    code), or a retryable :class:`NetworkError` when the HTTP status is transient. A body that is not
    JSON is reported with the status and its first bytes.
    """
    delay = parse_retry_after(retry_after)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise NetworkError(f"HTTP {http_status} with a body that is not JSON: {_preview(body)}",
                           http_status=http_status, retryable=http_status in RETRY_STATUSES,
                           retry_after=delay) from None
    if isinstance(doc, dict) and doc.get("status") is True and http_status < 400:
        return doc.get("data")
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    message = error.get("message") or error.get("msg") or (None if error else _preview(body))
    field_name = error.get("field")
    text = f"HTTP {http_status}"
    if code is not None:
        text += f", error {code}"
    text += f": {message}" if message else ""
    if field_name:
        text += f" (field {field_name})"
    if http_status in RETRY_STATUSES:
        raise NetworkError(text, http_status=http_status, retryable=True, retry_after=delay)
    if isinstance(code, int) and code in TOKEN_CODES:
        raise TokenRejectedError(f"token rejected ({TOKEN_CODES[code]}): {text}", http_status=http_status,
                                 code=code, detail=message, field=field_name)
    raise ApiError(f"the service refused the request: {text}", http_status=http_status,
                   code=code if isinstance(code, int) else None, detail=message, field=field_name)


def processing_error(build: Build, last_lines: int = 20) -> ProcessingError:
    """The error of a build that ended in ``error``: its code and message (one line), and the last
    ``last_lines`` lines of its processing log."""
    head = f"build {build.id} failed processing"
    if build.error_code:
        head += f" (errorCode {build.error_code})"
    if build.error:
        head += f": {build.error}"
    return ProcessingError(head, build, tuple(build.process_logs[-last_lines:]))


def uploaded_build_number(build: Build) -> str | None:
    """The build number the service read: versionCode (Android) or CFBundleVersion (iOS, macOS)."""
    info = build.raw.get("info") if isinstance(build.raw.get("info"), dict) else {}
    android = info.get("android") if isinstance(info.get("android"), dict) else {}
    ios = info.get("ios") if isinstance(info.get("ios"), dict) else {}
    plist = ios.get("plist") if isinstance(ios.get("plist"), dict) else {}
    pkg = info.get("pkg") if isinstance(info.get("pkg"), dict) else {}
    for value in (android.get("versionCode"), plist.get("CFBundleVersion"), pkg.get("CFBundleVersion"),
                  build.version_code):
        if value not in (None, ""):
            return str(value)
    return None


def newer_than_uploaded(build_number: str | None, latest: Build | None) -> str | None:
    """None when ``build_number`` is greater than the latest processed build's, else the problem.

    Dotted numbers (``1.2.10``) compare part by part. No processed build yet passes.
    """
    if latest is None:
        return None
    uploaded = uploaded_build_number(latest)
    if build_number is None:
        return "this build has no build number to compare with the uploaded one"
    if uploaded is None:
        return f"the latest processed build ({latest.id}) shows no build number to compare with"
    mine, theirs = version_tuple(build_number), version_tuple(uploaded)
    if mine is None or theirs is None:
        return f"cannot compare build numbers {build_number!r} and {uploaded!r}"
    if mine <= theirs:
        return (f"build number {build_number} is not greater than {uploaded}, the latest processed build "
                f"({latest.id}): devices would not update to it")
    return None
