"""The only module that talks to the network (and imports requests): send, retry, poll, list.

Everything it sends is an :class:`~inspector.upload.request.UploadRequest` or
:class:`~inspector.upload.request.ApiRequest` built elsewhere; every answer is parsed by
:mod:`inspector.upload.response`. The build is streamed from disk by requests-toolbelt's
``MultipartEncoder``; memory use does not grow with the file.

Every answer is bounded: read as a stream up to :data:`~inspector.upload.response.MAX_ANSWER_BYTES`,
and complete within the read timeout counted from the moment the request was sent (a whole-answer
deadline, not a per-read one: a server trickling a byte a second cannot hold a job).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import RemoteDisconnected
from typing import IO, Any

import requests
from requests.adapters import HTTPAdapter
from requests_toolbelt import MultipartEncoder
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError

# The package, for ``inspector.UploadedBuild`` in latest_upload's hint: resolved on demand, so the
# rules are not loaded with the transport.
import inspector
from inspector import __version__
from inspector.errors import ArtifactError
from inspector.report.text import human_size, printable
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
    MAX_ANSWER_BYTES,
    Build,
    backoff_delay,
    parse_body,
    processing_error,
    uploaded_build,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "LIST_PAGE_SIZE",
    "MAX_LIST_PAGES",
    "Progress",
    "ProgressBar",
    "ProgressLines",
    "RetryPolicy",
    "done_builds",
    "get_build",
    "latest_build",
    "latest_upload",
    "list_builds",
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
                 progress: Progress | None, on_sent: Callable[[], None] | None = None) -> None:
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
        self._on_sent = on_sent
        self.total = len(framing) + size
        self.sent = 0
        #: Every byte was handed to the socket (the sender asked for more after the last one).
        self.finished = False

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
            # The sender asks for more only after the tail went out: the request is sent.
            self.finished = True
            if self._on_sent is not None:
                self._on_sent()
                self._on_sent = None
            return b""
        self.sent += len(data)
        if self._progress is not None:
            self._progress(self.sent, self.total)
        return data


@contextlib.contextmanager
def _opened(request: UploadRequest, progress: Progress | None,
            on_sent: Callable[[], None] | None = None) -> Iterator[_Body]:
    """The body of ``request``, its build file open for the duration."""
    build = request.files[-1] if request.files else None
    if build is None or build.path is None or any(p.path is not None for p in request.files[:-1]):
        raise UploadError("an upload request streams exactly one file from disk, as its last part")
    try:
        handle = open(build.path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ArtifactError(f"cannot read ({exc.strerror or exc})", path=build.path) from None
    try:
        yield _Body(request, handle, os.fstat(handle.fileno()).st_size, progress, on_sent)
    finally:
        handle.close()


def _headers(headers: tuple[tuple[str, str | Secret], ...]) -> dict[str, str]:
    return {name: value.reveal() if isinstance(value, Secret) else value for name, value in headers}


_local = threading.local()


class _Watch:
    """The whole-answer deadline of one request: when it passes, the request's socket is shut down,
    which ends a blocked read at once (a per-read timeout never fires against a server that sends
    a byte every few seconds).

    The countdown starts when the request is sent: for an upload when the body's last byte went
    out (:meth:`arm`), for a read once its connection is up (:meth:`arm_when_connected`), so that
    the connect timeout stays the connect timeout. The socket is found through the connection pool
    (:class:`_WatchedAdapter`). A session of the caller's has adapters of its own: there the
    countdown starts when the answer's headers have arrived (its connection is then known), and
    the headers themselves are bounded by the per-read timeout only.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: float | None = None) -> None:
        self._clock = clock
        self._limit = limit  # a clock() value no deadline goes past (the end of a --wait)
        self._lock = threading.Lock()
        self._conn: Any = None
        self._timer: threading.Timer | None = None
        self._pending: float | None = None
        self._closed = False
        self.deadline: float | None = None
        self.seconds = 0.0
        self.fired = False

    def arm(self, seconds: float) -> None:
        """Start the countdown now (once)."""
        with self._lock:
            if self._closed or self.deadline is not None:
                return
            now = self._clock()
            deadline = now + seconds if self._limit is None else min(now + seconds, self._limit)
            self.deadline, self.seconds, self._pending = deadline, max(0.0, deadline - now), None
            self._start(self.seconds)

    def arm_when_connected(self, seconds: float) -> None:
        """Start the countdown once the request's connection is up (now, if it already is)."""
        with self._lock:
            self._pending = seconds
            conn = self._conn
        if getattr(conn, "sock", None) is not None:
            self.arm(seconds)

    def _start(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, conn: Any) -> None:
        """``conn`` carries this request (taken from the pool, or just connected)."""
        if conn is None:
            return
        with self._lock:
            self._conn = conn
            pending = self._pending
        if pending is not None and getattr(conn, "sock", None) is not None:
            self.arm(pending)

    def expired(self) -> bool:
        return self.fired or (self.deadline is not None and self._clock() >= self.deadline)

    def _fire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.fired = True
            sock = getattr(self._conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, under a TLS wrapper too: the blocked read sees the end.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    @contextlib.contextmanager
    def current(self) -> Iterator[_Watch]:
        """Connections lent or opened by a watched pool in this block carry this request."""
        _local.watch = self
        try:
            yield self
        finally:
            _local.watch = None
            with self._lock:
                self._closed = True
                if self._timer is not None:
                    self._timer.cancel()

    def timed_out(self, url: str) -> NetworkError:
        return NetworkError(f"{url}: timed out waiting for the answer (not complete within "
                            f"{self.seconds:g} s)")


def _attach_to_watch(conn: Any) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _attach_to_watch(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _attach_to_watch(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _attach_to_watch(conn)
        return conn


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _attach_to_watch(conn)
        return conn


_WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with watched pools (direct and through an HTTP proxy)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme.get("http") is HTTPConnectionPool:  # not a SOCKS proxy
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def _session() -> requests.Session:
    """A session of ours: watched connections, and ``User-Agent: inspector/<version>`` (a session
    the caller passes keeps its own)."""
    http = requests.Session()
    http.headers["User-Agent"] = f"inspector/{__version__}"
    adapter = _WatchedAdapter()
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def _read_answer(response: requests.Response, watch: _Watch, url: str) -> bytes:
    """The whole body of ``response``, at most :data:`MAX_ANSWER_BYTES`, within the deadline."""
    cap = MAX_ANSWER_BYTES
    declared = response.headers.get("Content-Length", "")
    too_big = NetworkError(f"{url}: HTTP {response.status_code}: the answer is larger than "
                           f"{cap >> 20} MiB; not read", http_status=response.status_code, retryable=False)
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > cap):
        raise too_big
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise too_big
        chunks.append(chunk)
        if watch.expired():
            raise watch.timed_out(url)
    return b"".join(chunks)


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


def _is_closed(exc: BaseException) -> bool:
    """A connection the server reset or closed without an answer."""
    return any(isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError
                          | RemoteDisconnected)
               or (isinstance(e, OSError) and e.errno in (errno.ECONNRESET, errno.EPIPE))
               for e in _causes(exc))


class _ClosedMidBody(NetworkError):
    """The server closed the connection before the body was all sent: retried, and when the tries
    run out, a token problem (that is how some stacks refuse a bad token)."""


#: The server closed the connection once it had the whole body: it may have stored the build.
_MAY_BE_STORED = ("connection closed by server after the whole build was sent: the build may be stored; "
                 "check `inspector builds` before retrying")


def _network_error(exc: requests.RequestException, url: str, body: _Body | None = None,
                   watch: _Watch | None = None) -> UploadError:
    if watch is not None and watch.fired:
        return watch.timed_out(url)
    if isinstance(exc, requests.ConnectTimeout):
        return NetworkError(f"{url}: timed out connecting")
    if isinstance(exc, requests.Timeout) or any(isinstance(e, ReadTimeoutError) for e in _causes(exc)):
        return NetworkError(f"{url}: timed out waiting for the answer")
    if body is not None and body.sent > 0 and _is_closed(exc):
        if body.finished:
            # Retrying could upload it twice: the user looks first.
            return NetworkError(_MAY_BE_STORED, retryable=False)
        return _ClosedMidBody("connection closed by server while the build was being sent "
                              "(is the token valid?)")
    if isinstance(exc, requests.ConnectionError):
        return NetworkError(f"{url}: cannot connect ({type(_causes(exc)[-1]).__name__})")
    return NetworkError(f"{url}: {type(exc).__name__}")


def _retrying(attempt: Callable[[], Build | Any], policy: RetryPolicy,
              on_retry: Callable[[int, float, UploadError], None] | None, *,
              deadline: float | None = None, clock: Callable[[], float] = time.monotonic) -> Any:
    """``attempt()``, retried per ``policy``. With a ``deadline`` (a ``clock()`` value: the end
    of a ``--wait``), no sleep goes past it: when the next try would come after it, the wait ends
    now with :class:`WaitTimeoutError` (a ``Retry-After: 600`` cannot outlast ``--wait-timeout 2``)."""
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
            if deadline is not None:
                now = clock()
                if now >= deadline:
                    raise WaitTimeoutError("the wait's deadline passed during a read") from None
                if now + delay >= deadline:
                    raise WaitTimeoutError(f"the last read failed ({exc}) and the next try, in {delay:g} s, "
                                           "would come after the wait's deadline") from None
            if on_retry is not None:
                on_retry(n, delay, exc)
            policy.sleep(delay)
    raise AssertionError("unreachable")


def send(request: UploadRequest, *, session: requests.Session | None = None,
         progress: Progress | None = None, policy: RetryPolicy | None = None,
         timeout: tuple[float, float] = DEFAULT_TIMEOUT,
         on_retry: Callable[[int, float, UploadError], None] | None = None) -> Build:
    """Send the upload (streamed from disk, retried per ``policy``) and return the new build.

    ``timeout`` is (connect, answer): the whole answer must arrive within the second value after
    the body's last byte was sent. Raises :class:`TokenRejectedError`,
    :class:`~inspector.upload.errors.ApiError` or :class:`NetworkError`; none of their messages
    holds the token.
    """
    policy = policy or RetryPolicy()
    own = session is None
    http = session or _session()

    def attempt() -> Build:
        watch = _Watch()
        with _opened(request, progress, on_sent=lambda: watch.arm(timeout[1])) as body, watch.current():
            headers = _headers(request.headers)
            headers["Content-Type"] = body.content_type
            headers["Content-Length"] = str(body.total)
            try:
                response = http.request(request.method, request.url, data=body, headers=headers,
                                        timeout=timeout, allow_redirects=False, stream=True)
                watch.attach(getattr(response.raw, "connection", None))
                watch.arm(timeout[1])  # the body has gone out (a no-op when on_sent armed it)
                with response:
                    answer = _read_answer(response, watch, request.url)
            except requests.RequestException as exc:
                raise _network_error(exc, request.url, body, watch) from None
        return Build.from_json(parse_body(response.status_code, answer, response.headers.get("Retry-After")))

    try:
        return _retrying(attempt, policy, on_retry)  # type: ignore[no-any-return]
    except _ClosedMidBody as exc:
        raise TokenRejectedError(str(exc)) from None
    finally:
        if own:
            http.close()


def upload(request: UploadRequest, *, session: requests.Session | None = None,
           progress: Callable[[int, int], None] | None = None, policy: RetryPolicy | None = None,
           timeout: tuple[float, float] | None = None) -> Build:
    """Send a prepared request and return the new build: :func:`send` with its default timeout
    when ``timeout`` is None (the library's step 4, see :mod:`inspector.upload`)."""
    return send(request, session=session, progress=progress, policy=policy,
                timeout=DEFAULT_TIMEOUT if timeout is None else timeout)


def _get(request: ApiRequest, session: requests.Session | None, policy: RetryPolicy,
         timeout: tuple[float, float], deadline: float | None = None,
         clock: Callable[[], float] = time.monotonic) -> Any:
    own = session is None
    http = session or _session()

    def attempt() -> Any:
        watch = _Watch(clock, deadline)
        limits = timeout if deadline is None else (min(timeout[0], max(deadline - clock(), 0.001)),
                                                   timeout[1])
        with watch.current():
            watch.arm_when_connected(timeout[1])
            try:
                response = http.request(request.method, request.url, headers=_headers(request.headers),
                                        timeout=limits, allow_redirects=False, stream=True)
                watch.attach(getattr(response.raw, "connection", None))  # a session of the caller's
                watch.arm(timeout[1])  # (there the deadline runs from the headers on)
                with response:
                    answer = _read_answer(response, watch, request.url)
            except requests.RequestException as exc:
                raise _network_error(exc, request.url, watch=watch) from None
        return parse_body(response.status_code, answer, response.headers.get("Retry-After"))

    try:
        return _retrying(attempt, policy, None, deadline=deadline, clock=clock)
    finally:
        if own:
            http.close()


def get_build(target: Target, build_id: str, *, session: requests.Session | None = None,
              policy: RetryPolicy | None = None, timeout: tuple[float, float] = (60.0, 60.0),
              deadline: float | None = None, clock: Callable[[], float] = time.monotonic) -> Build:
    """The build-details endpoint: the build's current status, error and logs.

    With ``deadline`` (a ``clock()`` value), neither the request nor a retry's sleep goes past it
    (:class:`WaitTimeoutError` then)."""
    return Build.from_json(_get(build_details_request(target, build_id), session, policy or RetryPolicy(),
                                timeout, deadline, clock))


def wait_for_build(target: Target, build_id: str, *, interval: float = 10.0, timeout: float = 1800.0,
                   session: requests.Session | None = None, policy: RetryPolicy | None = None,
                   on_status: Callable[[Build], None] | None = None,
                   clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> Build:
    """Poll the build every ``interval`` seconds until ``success`` or ``processed`` (returned) or ``error``
    (:class:`~inspector.upload.errors.ProcessingError` raised); :class:`WaitTimeoutError` after
    ``timeout`` seconds. ``on_status`` sees each answer whose status changed."""
    deadline = clock() + timeout
    build: Build | None = None
    while True:
        last = build
        try:
            build = get_build(target, build_id, session=session, policy=policy, deadline=deadline,
                              clock=clock)
        except WaitTimeoutError as exc:
            state = last.status if last is not None else "unread"
            raise WaitTimeoutError(f"build {build_id} still {state} after {timeout:g} s: {exc} "
                                   f"(inspector status {build_id} --wait picks it up later)", last) from None
        if on_status is not None and (last is None or build.status != last.status):
            on_status(build)
        if build.done:
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


#: Builds asked for per page of the list while looking for the latest one.
LIST_PAGE_SIZE = 50
#: The most pages read (``LIST_PAGE_SIZE`` builds each) before giving up with an error: an answer
#: that never ends is the service's fault, and a latest build that cannot be known never passes.
MAX_LIST_PAGES = 400


def done_builds(target: Target, *, os: str | None = None, session: requests.Session | None = None,
                policy: RetryPolicy | None = None,
                timeout: tuple[float, float] = (60.0, 60.0)) -> list[Build]:
    """Every build of the app whose processing ended well (``success`` or ``processed``), read
    from every page of the list (filtered by ``os`` when given).

    The contract documents no sort order, so no page can be skipped. The list is read unfiltered
    by status: a status filter names one status, and done builds have two. A page is the last when
    it holds fewer builds than asked and ``totalDocs``, when given, is reached. A page that repeats
    only builds already read (a service ignoring ``page``), or more than :data:`MAX_LIST_PAGES`
    pages, raise :class:`NetworkError`: any failure to read the whole list raises.
    """
    policy = policy or RetryPolicy()
    seen: set[str] = set()
    found: list[Build] = []
    for page in range(1, MAX_LIST_PAGES + 1):
        data = _get(list_builds_request(target, os=os, page=page, limit=LIST_PAGE_SIZE), session, policy,
                    timeout)
        items = [Build.from_json(item) for item in _items(data)]
        fresh = [b for b in items if b.id not in seen]
        if items and not fresh:
            raise NetworkError(f"page {page} of the build list repeats builds already read: the service "
                               "does not page the list, so its latest build cannot be known",
                               retryable=False)
        seen.update(b.id for b in fresh)
        found.extend(b for b in fresh if b.done)
        total = data.get("totalDocs") if isinstance(data, dict) else None
        more = isinstance(total, int) and not isinstance(total, bool) and len(seen) < total
        if not items or (len(items) < LIST_PAGE_SIZE and not more):
            return found
    raise NetworkError(f"the build list goes on past {MAX_LIST_PAGES} pages of {LIST_PAGE_SIZE}: "
                       "its latest build cannot be known", retryable=False)


def latest_build(target: Target, session: requests.Session | None = None, *, os: str | None = None,
                 policy: RetryPolicy | None = None,
                 timeout: tuple[float, float] = (60.0, 60.0)) -> Build | None:
    """The app's latest build whose processing ended well (the newest ``createdAt`` over every
    page of the list: :func:`done_builds`), None if there is none.

    Any failure to read the list raises (never a silent "nothing uploaded yet").
    """
    builds = done_builds(target, os=os, session=session, policy=policy, timeout=timeout)
    if not builds:
        return None
    dated = [b for b in builds if isinstance(b.raw.get("createdAt"), str)]
    if dated:
        return max(dated, key=lambda b: b.raw["createdAt"])
    return builds[0]


def latest_upload(target: Target, platform: str | None, *, session: requests.Session | None = None,
                  policy: RetryPolicy | None = None,
                  timeout: tuple[float, float] = (60.0, 60.0)) -> inspector.UploadedBuild | None:
    """The expectation rule UPL002 compares with (``Expectations.uploaded_build``): the app's
    latest processed build for ``platform`` (a :class:`~inspector.summary.Summary`'s platform;
    the list is filtered by ``os`` for android and ios, the values the service uses), with its
    build number (None when the service shows none). None when nothing was processed yet.
    """
    os_filter = platform if platform in ("android", "ios") else None
    latest = latest_build(target, session, os=os_filter, policy=policy, timeout=timeout)
    return None if latest is None else uploaded_build(latest)


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


class ProgressLines:
    """Progress for a log, where a redrawn bar cannot work (standard error not a terminal, as in
    CI): one line at every tenth of the body crossed, and at least every ``every`` seconds while
    the body goes out. A body of one read or less (1 MiB) goes out in one piece: no lines."""

    def __init__(self, stream: IO[str], name: str, *, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._name = printable(name)
        self._every = every
        self._clock = clock
        self._start = self._last = clock()
        self._tenth = 0

    def __call__(self, sent: int, total: int) -> None:
        if total <= _CHUNK:
            return
        now = self._clock()
        tenth = min(10, sent * 10 // total)
        if tenth <= self._tenth and now - self._last < self._every:
            return
        self._tenth = max(tenth, self._tenth)
        self._last = now
        rate = sent / max(now - self._start, 1e-6)
        self._stream.write(f"inspector: uploading {self._name}: {sent * 100 // total}% "
                           f"({human_size(sent)} of {human_size(total)}, {human_size(int(rate))}/s)\n")
        self._stream.flush()
