"""The service's answers as data (sans-I/O): status + headers + body bytes -> a Build, or an error.

The retry policy lives here too (which failures are transient, how long to wait), so that the
transport only loops and the rules are tested without a socket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from inspector.upload.errors import ApiError, NetworkError, ProcessingError, TokenRejectedError

if TYPE_CHECKING:
    from inspector.checks.expectations import UploadedBuild

__all__ = [
    "DEFAULT_DASHBOARD_URL",
    "DONE_STATUSES",
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_DEPTH",
    "MAX_NUMBER_DIGITS",
    "RETRY_STATUSES",
    "TERMINAL_STATUSES",
    "TOKEN_CODES",
    "Build",
    "backoff_delay",
    "dashboard_url",
    "parse_body",
    "parse_json",
    "parse_retry_after",
    "processing_error",
    "uploaded_build",
    "uploaded_build_number",
]

#: HTTP statuses worth another try (``curl --retry`` semantics); never any other 4xx.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Error codes that mean the token itself was refused.
TOKEN_CODES = {4002: "app token empty", 4004: "app token invalid", 3002: "token expired"}
#: Processing ended well: the contract says ``success``; builds have been seen as ``processed``.
DONE_STATUSES = ("success", "processed")
TERMINAL_STATUSES = (*DONE_STATUSES, "error")
_PREVIEW = 120

#: Bytes of one answer read before the transport stops reading. A build object is a few KB and
#: a page of 50 of them well under 1 MB; a proxy's error page is KB.
MAX_ANSWER_BYTES = 8 << 20
#: Nesting of a JSON answer: a build object is 5 levels deep.
MAX_ANSWER_DEPTH = 64
#: Digits of a number in an answer (a version code, a size): 64-bit values have 20.
MAX_NUMBER_DIGITS = 40
#: What a value from the service may hold before it reaches our output: ids and statuses go into
#: URLs, ``$GITHUB_OUTPUT`` lines and file names, so they are tokens of safe characters.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}")
_STATUS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
#: Characters kept of a free-text value (a message, a version name, one log line), and log lines kept.
_MAX_TEXT = 2000
_MAX_LOG_LINES = 1000
_SURROGATES = re.compile("[\ud800-\udfff]")
_BUILD_NUMBER = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_NUMBER_DIGITS}}}")


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
    #: The build's page on the dashboard, when the caller knows the app's slug (the service's
    #: answers do not carry it): see ``dashboard_url``.
    url: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Build:
        """The build in ``data``, its values checked: an id or a status that is not a plain token
        (a newline, a surrogate, a space...) is refused as a service error, free text is bounded
        and made valid Unicode, a number has at most :data:`MAX_NUMBER_DIGITS` digits."""
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            raise NetworkError(f"the answer has no build id: {_preview(_dumps(data))}", retryable=False)
        build_id = data["id"]
        if isinstance(build_id, int) and not isinstance(build_id, bool):
            build_id = str(build_id)
        if not isinstance(build_id, str) or not _ID.fullmatch(build_id):
            raise NetworkError("the service answered a build id that is not one: "
                               f"{_preview(_dumps(build_id))}", retryable=False)
        status = data.get("status")
        if status is not None and (not isinstance(status, str) or not _STATUS.fullmatch(status)):
            raise NetworkError(f"build {build_id}: the service answered a status that is not one: "
                               f"{_preview(_dumps(status))}", retryable=False)
        logs = data.get("processLogs") or ()
        if isinstance(logs, str):
            logs = logs.splitlines()
        elif not isinstance(logs, list):
            logs = [logs]
        lines = [_text(line) for line in logs if line is not None][-_MAX_LOG_LINES:]
        return cls(
            id=build_id, status=status, version_name=_text(data.get("versionName")),
            version_code=_text(data.get("versionCode")), os=_text(data.get("os")),
            error=_text(data.get("error")) or None, error_code=_text(data.get("errorCode")) or None,
            process_logs=tuple(line for line in lines if line is not None), raw=data,
        )

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def done(self) -> bool:
        """Processing ended well (``success`` or ``processed``)."""
        return self.status in DONE_STATUSES

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"build_id": self.id, "build_status": self.status}
        for key, value in (("version_name", self.version_name), ("version_code", self.version_code),
                           ("os", self.os), ("error_code", self.error_code), ("error", self.error)):
            if value is not None:
                out[key] = value
        if self.process_logs and self.status == "error":
            out["process_logs"] = list(self.process_logs)
        if self.url is not None:
            out["build_url"] = self.url
        return out


#: The public service's dashboard. Its build pages are ``/apps/apps/<app slug>/builds?id=<build
#: id>``, as the vendor's fastlane plugin documents for its APPLIVERY_BUILD_ID output.
DEFAULT_DASHBOARD_URL = "https://dashboard.applivery.io"
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def dashboard_url(base: str, slug: str, build_id: str) -> str:
    """The dashboard page of build ``build_id`` of the app whose slug is ``slug``. Raises
    ValueError naming the field for a slug that is not one or a base that is not an https URL."""
    if not _SLUG.fullmatch(slug):
        raise ValueError(f"appSlug: not an app slug (letters, digits, '.', '_', '-'): {slug[:40]!r}")
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password \
            or parts.query or parts.fragment:
        raise ValueError(f"dashboardUrl: expected an https:// URL without credentials, query or "
                         f"fragment: {base[:80]!r}")
    return f"{base.rstrip('/')}/apps/apps/{slug}/builds?id={quote(build_id, safe='')}"


def _preview(body: bytes) -> str:
    text = body[:_PREVIEW].decode("utf-8", "replace")
    text = " ".join(text.split())
    return repr(text + ("…" if len(body) > _PREVIEW else ""))


def _dumps(value: Any) -> bytes:
    """``value`` as JSON bytes for a preview (lone surrogates escaped, as the JSON had them)."""
    return json.dumps(value, ensure_ascii=True).encode()


def _text(value: Any) -> str | None:
    """A free-text value from the service as a bounded, valid string (None stays None): a number
    as its digits, a list or object as its JSON, lone surrogates replaced."""
    if value is None or value == "":
        return None if value is None else ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        text = json.dumps(value, ensure_ascii=False)
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + "…"
    return _SURROGATES.sub("\ufffd", text)


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _Refused(f"it holds a number of {digits} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise _Refused(f"it holds {name}, which JSON does not allow")


class _Refused(ValueError):
    """An answer that parses but that we do not take (too deep, a number too long)."""


def _depth(doc: Any) -> int:
    """How deeply ``doc`` nests, walked without recursion, stopping past :data:`MAX_ANSWER_DEPTH`."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(doc, 1)]
    while todo:
        value, level = todo.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_ANSWER_DEPTH:
                break
        if isinstance(value, dict):
            todo += [(v, level + 1) for v in value.values() if isinstance(v, dict | list)]
        elif isinstance(value, list):
            todo += [(v, level + 1) for v in value if isinstance(v, dict | list)]
    return deepest


def parse_json(http_status: int, body: bytes, retry_after: float | None = None) -> Any:
    """The JSON document of an answer, or a :class:`NetworkError` (exit 7) saying why not: not
    JSON (with the status and the first bytes), nested deeper than :data:`MAX_ANSWER_DEPTH`, a
    number longer than :data:`MAX_NUMBER_DIGITS` digits, ``NaN`` or ``Infinity``."""
    retryable = http_status in RETRY_STATUSES
    try:
        doc = json.loads(body, parse_int=_bounded_int, parse_constant=_constant)
    except RecursionError:
        raise NetworkError(f"HTTP {http_status}: the answer nests deeper than {MAX_ANSWER_DEPTH} levels; "
                           "not read", http_status=http_status, retryable=False) from None
    except _Refused as exc:
        raise NetworkError(f"HTTP {http_status}: the answer is refused: {exc}", http_status=http_status,
                           retryable=False) from None
    except (ValueError, UnicodeDecodeError):
        raise NetworkError(f"HTTP {http_status} with a body that is not JSON: {_preview(body)}",
                           http_status=http_status, retryable=retryable, retry_after=retry_after) from None
    if _depth(doc) > MAX_ANSWER_DEPTH:
        raise NetworkError(f"HTTP {http_status}: the answer nests deeper than {MAX_ANSWER_DEPTH} levels; "
                           "not read", http_status=http_status, retryable=False)
    return doc


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: ASCII digits, or an HTTP date (then relative to ``now``).

    Anything else (``²``, ``-5``, ``1e999``, a date that is not one) is None: our own backoff applies.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,12}", value, re.ASCII):
        return float(value)
    if len(value) > 64 or not value.isascii():
        return None
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0,
                  retry_after: float | None = None, retry_after_cap: float = 600.0) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1): the server's
    ``Retry-After`` when it gave one (up to ``retry_after_cap``, so that a wild value cannot park a
    pipeline for hours), else ``base * 2**(attempt-1)`` up to ``cap``."""
    if retry_after is not None:
        return min(retry_after, retry_after_cap)
    return min(base * 2.0 ** (attempt - 1), cap)


def parse_body(http_status: int, body: bytes, retry_after: str | None = None) -> Any:
    """The ``data`` of a successful answer, or the matching error raised.

    The JSON is read whatever the HTTP status. ``{"status": false, "error": {...}}`` (``message`` or
    the older ``msg`` + ``field``) becomes :class:`ApiError` (:class:`TokenRejectedError` for a token
    code), or a retryable :class:`NetworkError` when the HTTP status is transient. A body that is not
    JSON is reported with the status and its first bytes.
    """
    delay = parse_retry_after(retry_after)
    doc = parse_json(http_status, body, delay)
    if isinstance(doc, dict) and doc.get("status") is True and http_status < 400:
        return doc.get("data")
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    if isinstance(code, bool) or not isinstance(code, int | str):
        code = None
    elif isinstance(code, str):
        code = _text(code)
    message = _text(error.get("message") or error.get("msg")) or (None if error else _preview(body))
    field_name = _text(error.get("field"))
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


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def uploaded_build_number(build: Build) -> str | None:
    """The build number the service read: versionCode (Android) or CFBundleVersion (iOS, macOS).

    A value that is no build number (longer than :data:`MAX_NUMBER_DIGITS`, or holding anything but
    letters, digits and ``._-``) raises :class:`NetworkError`: it is compared number by number.
    """
    info = _object(build.raw.get("info"))
    android = _object(info.get("android"))
    ios = _object(info.get("ios"))
    plist = _object(ios.get("plist"))
    pkg = _object(info.get("pkg"))
    for value in (android.get("versionCode"), plist.get("CFBundleVersion"), pkg.get("CFBundleVersion"),
                  build.version_code):
        if value in (None, ""):
            continue
        text = _text(value) or ""
        if not _BUILD_NUMBER.fullmatch(text):
            raise NetworkError(f"build {build.id}: the service shows a build number that is not one: "
                               f"{_preview(text.encode())}", retryable=False)
        return text
    return None


def uploaded_build(build: Build) -> UploadedBuild:
    """``build`` (the app's latest processed one) as the expectation rule UPL002 compares with:
    its id and build number (:func:`uploaded_build_number`)."""
    from inspector.checks.expectations import UploadedBuild  # the rules load only when used

    return UploadedBuild(build.id, uploaded_build_number(build))
