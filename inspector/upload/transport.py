"""The only module that talks to the network (and imports requests): send, retry, poll, list.

Everything it sends is an :class:`~inspector.upload.request.UploadRequest` or
:class:`~inspector.upload.request.ApiRequest` built elsewhere; every answer is parsed by
:mod:`inspector.upload.response`. The build is streamed from disk by requests-toolbelt's
``MultipartEncoder``; memory use does not grow with the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import requests
from requests_toolbelt import MultipartEncoder

from inspector.errors import ArtifactError
from inspector.report.text import human_size
from inspector.upload.errors import NetworkError, TokenRejectedError, UploadError, WaitTimeoutError
from inspector.upload.request import (
    ApiRequest,
    Secret,
    Target,
    UploadRequest,
    build_details_request,
    list_builds_request,
)
from inspector.upload.response import (
    Build,
    backoff_delay,
    newer_than_uploaded,
    parse_body,
    processing_error,
)

if TYPE_CHECKING:
    from inspector.summary import Summary

__all__ = [
    "DEFAULT_TIMEOUT",
    "Progress",
    "ProgressBar",
    "RetryPolicy",
    "get_build",
    "latest_build",
    "list_builds",
    "newer_than_uploaded_problem",
    "send",
    "wait_for_build",
]

#: (connect, read) seconds: an upload of tens of MB can take minutes before the answer comes.
DEFAULT_TIMEOUT = (60.0, 600.0)
_CHUNK = 1 << 20

#: ``progress(sent_bytes, total_bytes)``, called as the body is read.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times a transient failure is retried, and how long to wait between tries.

    Only connection errors, timeouts and HTTP 408/429/500/502/503/504 are retried, after
    ``base * 2**(n-1)`` seconds (at most ``cap``), or what ``Retry-After`` says (at most
    ``retry_after_cap``). Retrying a POST may create a duplicate build when the server
    had in fact accepted the first one: ``retries=0`` turns retries off.
    """

    retries: int = 5
    base: float = 1.0
    cap: float = 60.0
    retry_after_cap: float = 600.0
    sleep: Callable[[float], None] = time.sleep

    def attempts(self) -> int:
        return max(0, self.retries) + 1


class _Body:
    """The multipart body as a file-like: requests-toolbelt's encoder writes every byte of the
    framing (boundary, fields, part headers, the icon), and the build's bytes are read from disk
    between its ``head`` and ``tail``, 1 MiB at a time.

    The encoder is given the build part with an empty body: its output is then exactly
    ``head + tail``, and the real body is ``head + file + tail``. Streaming the file around the
    encoder's buffer halves the client's CPU per GB (the encoder copies every chunk twice
    through a BytesIO; see bench/bench_upload.py), and memory stays flat whatever the size.
    """

    def __init__(self, request: UploadRequest, handle: IO[bytes], size: int,
                 progress: Progress | None) -> None:
        build = request.files[-1]
        parts: list[tuple[str, Any]] = list(request.fields)
        parts += [(p.name, (p.filename, p.data or b"", p.content_type)) for p in request.files[:-1]]
        parts.append((build.name, (build.filename, b"", build.content_type)))
        encoder = MultipartEncoder(fields=parts)
        framing: bytes = encoder.to_string()
        tail = b"\r\n--" + encoder.boundary_value.encode() + b"--\r\n"
        if not framing.endswith(tail):
            raise AssertionError("unexpected multipart framing from the encoder")
        self.content_type: str = encoder.content_type
        self._head: bytes | None = framing[: -len(tail)]
        self._tail: bytes | None = tail
        self._handle = handle
        self._remaining = size
        self._progress = progress
        self.total = len(framing) + size
        self.sent = 0

    def __len__(self) -> int:
        return self.total

    def read(self, size: int = -1) -> bytes:
        if self._head is not None:
            data, self._head = self._head, None
        elif self._remaining > 0:
            data = self._handle.read(min(_CHUNK, self._remaining))
            if not data:
                raise ArtifactError("the file shrank while it was being sent", path=str(self._handle.name))
            self._remaining -= len(data)
        elif self._tail is not None:
            data, self._tail = self._tail, None
        else:
            return b""
        self.sent += len(data)
        if self._progress is not None:
            self._progress(self.sent, self.total)
        return data


@contextlib.contextmanager
def _opened(request: UploadRequest, progress: Progress | None) -> Iterator[_Body]:
    """The body of ``request``, its build file open for the duration."""
    build = request.files[-1] if request.files else None
    if build is None or build.path is None or any(p.path is not None for p in request.files[:-1]):
        raise UploadError("an upload request streams exactly one file from disk, as its last part")
    try:
        handle = open(build.path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ArtifactError(f"cannot read ({exc.strerror or exc})", path=build.path) from None
    try:
        yield _Body(request, handle, os.fstat(handle.fileno()).st_size, progress)
    finally:
        handle.close()


def _headers(headers: tuple[tuple[str, str | Secret], ...]) -> dict[str, str]:
    return {name: value.reveal() if isinstance(value, Secret) else value for name, value in headers}


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``__cause__``, ``__context__``, an exception in ``args``, as
    urllib3 nests them), outermost first, each once."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__, *current.args)
                 if isinstance(e, BaseException)]
    return seen


def _is_reset(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError)
               or (isinstance(e, OSError) and e.errno in (errno.ECONNRESET, errno.EPIPE))
               for e in _causes(exc))


def _network_error(exc: requests.RequestException, url: str, sent: int = 0) -> UploadError:
    if isinstance(exc, requests.ConnectTimeout):
        return NetworkError(f"{url}: timed out connecting")
    if isinstance(exc, requests.Timeout):
        return NetworkError(f"{url}: timed out waiting for the answer")
    if sent > 0 and _is_reset(exc):
        return TokenRejectedError("connection closed by server while the build was being sent "
                                  "(is the token valid?)")
    if isinstance(exc, requests.ConnectionError):
        return NetworkError(f"{url}: cannot connect ({type(_causes(exc)[-1]).__name__})")
    return NetworkError(f"{url}: {type(exc).__name__}")


def _retrying(attempt: Callable[[], Build | Any], policy: RetryPolicy,
              on_retry: Callable[[int, float, UploadError], None] | None) -> Any:
    tries = policy.attempts()
    for n in range(1, tries + 1):
        try:
            return attempt()
        except NetworkError as exc:
            if not exc.retryable or n == tries:
                if n > 1:
                    raise type(exc)(f"{exc} (after {n} tries)", http_status=exc.http_status,
                                    retryable=False) from None
                raise
            delay = backoff_delay(n, base=policy.base, cap=policy.cap, retry_after=exc.retry_after,
                                  retry_after_cap=policy.retry_after_cap)
            if on_retry is not None:
                on_retry(n, delay, exc)
            policy.sleep(delay)
    raise AssertionError("unreachable")


def send(request: UploadRequest, *, session: requests.Session | None = None,
         progress: Progress | None = None, policy: RetryPolicy | None = None,
         timeout: tuple[float, float] = DEFAULT_TIMEOUT,
         on_retry: Callable[[int, float, UploadError], None] | None = None) -> Build:
    """Send the upload (streamed from disk, retried per ``policy``) and return the new build.

    Raises :class:`TokenRejectedError`, :class:`~inspector.upload.errors.ApiError` or
    :class:`NetworkError`; none of their messages holds the token.
    """
    policy = policy or RetryPolicy()
    own = session is None
    http = session or requests.Session()

    def attempt() -> Build:
        with _opened(request, progress) as body:
            headers = _headers(request.headers)
            headers["Content-Type"] = body.content_type
            headers["Content-Length"] = str(body.total)
            try:
                response = http.request(request.method, request.url, data=body, headers=headers,
                                        timeout=timeout, allow_redirects=False)
            except requests.RequestException as exc:
                raise _network_error(exc, request.url, body.sent) from None
        with response:
            return Build.from_json(parse_body(response.status_code, response.content,
                                              response.headers.get("Retry-After")))

    try:
        return _retrying(attempt, policy, on_retry)  # type: ignore[no-any-return]
    finally:
        if own:
            http.close()


def _get(request: ApiRequest, session: requests.Session | None, policy: RetryPolicy,
         timeout: tuple[float, float]) -> Any:
    own = session is None
    http = session or requests.Session()

    def attempt() -> Any:
        try:
            response = http.request(request.method, request.url, headers=_headers(request.headers),
                                    timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise _network_error(exc, request.url) from None
        with response:
            return parse_body(response.status_code, response.content, response.headers.get("Retry-After"))

    try:
        return _retrying(attempt, policy, None)
    finally:
        if own:
            http.close()


def get_build(target: Target, build_id: str, *, session: requests.Session | None = None,
              policy: RetryPolicy | None = None, timeout: tuple[float, float] = (60.0, 60.0)) -> Build:
    """The build-details endpoint: the build's current status, error and logs."""
    return Build.from_json(_get(build_details_request(target, build_id), session, policy or RetryPolicy(),
                                timeout))


def wait_for_build(target: Target, build_id: str, *, interval: float = 10.0, timeout: float = 1800.0,
                   session: requests.Session | None = None, policy: RetryPolicy | None = None,
                   on_status: Callable[[Build], None] | None = None,
                   clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> Build:
    """Poll the build every ``interval`` seconds until ``processed`` (returned) or ``error``
    (:class:`~inspector.upload.errors.ProcessingError` raised); :class:`WaitTimeoutError` after
    ``timeout`` seconds. ``on_status`` sees each answer whose status changed."""
    deadline = clock() + timeout
    last: str | None = None
    while True:
        build = get_build(target, build_id, session=session, policy=policy)
        if build.status != last and on_status is not None:
            on_status(build)
        last = build.status
        if build.status == "processed":
            return build
        if build.status == "error":
            raise processing_error(build)
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeoutError(f"build {build.id} still {build.status} after {timeout:g} s "
                                   f"(inspector status {build.id} --wait picks it up later)", build)
        sleep(min(interval, remaining))


def _items(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("items", "docs", "builds", "data"):
            if isinstance(data.get(key), list):
                return data[key]  # type: ignore[no-any-return]
    raise NetworkError("the build list answer holds no list of builds", retryable=False)


def list_builds(target: Target, *, version_name: str | None = None, status: str | None = None,
                os: str | None = None, page: int | None = None, limit: int | None = None,
                session: requests.Session | None = None, policy: RetryPolicy | None = None,
                timeout: tuple[float, float] = (60.0, 60.0)) -> list[Build]:
    """The documented list endpoint, filtered as asked, as :class:`Build` values."""
    request = list_builds_request(target, version_name=version_name, status=status, os=os, page=page,
                                  limit=limit)
    return [Build.from_json(item) for item in _items(_get(request, session, policy or RetryPolicy(),
                                                          timeout))]


def latest_build(target: Target, session: requests.Session | None = None, *, os: str | None = None,
                 policy: RetryPolicy | None = None,
                 timeout: tuple[float, float] = (60.0, 60.0)) -> Build | None:
    """The app's latest ``processed`` build (the newest ``createdAt`` in the list), None if none.

    Any failure to read the list raises (never a silent "nothing uploaded yet").
    """
    builds = list_builds(target, status="processed", os=os, limit=50, session=session, policy=policy,
                         timeout=timeout)
    builds = [b for b in builds if b.status in (None, "processed")]
    if not builds:
        return None
    dated = [b for b in builds if isinstance(b.raw.get("createdAt"), str)]
    if dated:
        return max(dated, key=lambda b: b.raw["createdAt"])
    return builds[0]


def newer_than_uploaded_problem(summary: Summary, target: Target, session: requests.Session | None = None,
                                *, policy: RetryPolicy | None = None,
                                timeout: tuple[float, float] = (60.0, 60.0)) -> str | None:
    """``--newer-than-uploaded``: None when the build number of ``summary`` (versionCode,
    CFBundleVersion) is greater than the app's latest processed build's, else the problem.

    The list is filtered by ``os`` for Android and iOS builds only (the values the service uses);
    a failure to read it raises (:class:`NetworkError`, :class:`TokenRejectedError`...), never passes.
    """
    os_filter = summary.platform if summary.platform in ("android", "ios") else None
    latest = latest_build(target, session, os=os_filter, policy=policy, timeout=timeout)
    return newer_than_uploaded(summary.build, latest)


class ProgressBar:
    """A one-line progress bar with rate and ETA, redrawn at most every ``every`` seconds."""

    def __init__(self, stream: IO[str], *, every: float = 0.2, width: int = 24,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._every = every
        self._width = width
        self._clock = clock
        self._start = clock()
        self._drawn = 0.0
        self._done = False

    def __call__(self, sent: int, total: int) -> None:
        now = self._clock()
        finished = sent >= total
        if not finished and now - self._drawn < self._every:
            return
        self._drawn = now
        elapsed = max(now - self._start, 1e-6)
        rate = sent / elapsed
        fraction = sent / total if total else 1.0
        filled = int(self._width * fraction)
        eta = (total - sent) / rate if rate > 0 else 0.0
        line = (f"\r  [{'#' * filled}{'.' * (self._width - filled)}] {fraction * 100:5.1f}% "
                f"{human_size(sent)} / {human_size(total)}  {human_size(int(rate))}/s  "
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d} ")
        self._stream.write(line)
        if finished and not self._done:
            self._done = True
            self._stream.write("\n")
        self._stream.flush()
