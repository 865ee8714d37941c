"""A local Applivery upload/API server for the tests and the benchmark: the contract of
``spec/upload-api.md`` on 127.0.0.1 (an ephemeral port), never any other address.

It checks the bearer token, parses the multipart body as a stream (the build is hashed and counted,
never kept), answers like the service (``pending`` then the configured processing states on polling),
and can misbehave on purpose: 503 + Retry-After, a reset mid-body, a non-JSON 502, a slow answer.
Bounded: daemon threads, socket timeouts, and it shuts itself down after ``lifetime`` seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ApplivServer", "Received", "ReceivedFile", "parse_multipart"]

_CHUNK = 1 << 20
_KEEP_FILE_BYTES = 6 * 1024 * 1024


@dataclass
class ReceivedFile:
    filename: str | None
    content_type: str | None
    size: int = 0
    sha256: str = ""
    data: bytes = field(default=b"", repr=False)  # kept only for small parts (the icon)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, ReceivedFile] = field(default_factory=dict)
    #: Seconds from the request's headers to the end of its body (uploads only).
    body_seconds: float | None = None

    def field_names(self) -> list[str]:
        return [name for name, _ in self.fields] + list(self.files)

    def field(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k == name), None)


def _disposition(headers: dict[str, str]) -> tuple[str, str | None]:
    value = headers.get("content-disposition", "")
    name = re.search(r'\bname="([^"]*)"', value)
    filename = re.search(r'\bfilename="([^"]*)"', value)
    if not value.startswith("form-data") or name is None:
        raise ValueError(f"bad part header: {value!r}")
    return name.group(1), filename.group(1) if filename else None


def parse_multipart(read: Callable[[int], bytes], length: int, boundary: bytes, *,
                    hash_files: bool = True) -> tuple[list[tuple[str, str]], dict[str, ReceivedFile]]:
    """Parse a ``multipart/form-data`` body of ``length`` bytes read in chunks from ``read``.

    Memory stays bounded by the chunk size: file parts are hashed and counted as they stream by.
    Raises ValueError on a malformed body.
    """
    fields: list[tuple[str, str]] = []
    files: dict[str, ReceivedFile] = {}
    remaining = length

    def more() -> bytes:
        nonlocal remaining
        if remaining <= 0:
            return b""
        chunk = read(min(_CHUNK, remaining))
        if not chunk:
            raise ValueError("body shorter than Content-Length")
        remaining -= len(chunk)
        return chunk

    buf = b""
    opening = b"--" + boundary + b"\r\n"
    while len(buf) < len(opening):
        chunk = more()
        if not chunk:
            raise ValueError("empty body")
        buf += chunk
    if not buf.startswith(opening):
        raise ValueError("body does not start with the boundary")
    buf = buf[len(opening):]
    delimiter = b"\r\n--" + boundary
    while True:
        while b"\r\n\r\n" not in buf:
            chunk = more()
            if not chunk:
                raise ValueError("truncated part headers")
            buf += chunk
        raw, _, buf = buf.partition(b"\r\n\r\n")
        headers = {}
        for line in raw.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name, filename = _disposition(headers)
        value_parts: list[bytes] = []
        digest = hashlib.sha256() if hash_files else None
        size = 0
        while True:
            at = buf.find(delimiter)
            if at >= 0:
                piece, buf = buf[:at], buf[at + len(delimiter):]
            else:
                keep = len(delimiter) - 1
                piece, buf = buf[:-keep] if len(buf) > keep else b"", buf[-keep:] if len(buf) > keep else buf
            if piece:
                size += len(piece)
                if digest is not None:
                    digest.update(piece)
                if filename is None or size <= _KEEP_FILE_BYTES:
                    value_parts.append(piece)
            if at >= 0:
                break
            chunk = more()
            if not chunk:
                raise ValueError(f"part {name!r} is not terminated")
            buf += chunk
        if filename is None:
            fields.append((name, b"".join(value_parts).decode("utf-8")))
        else:
            files[name] = ReceivedFile(filename, headers.get("content-type"), size,
                                       digest.hexdigest() if digest else "",
                                       b"".join(value_parts) if size <= _KEEP_FILE_BYTES else b"")
        while len(buf) < 2:
            chunk = more()
            if not chunk:
                raise ValueError("truncated after a part")
            buf += chunk
        if buf.startswith(b"--"):
            while more():
                pass
            return fields, files
        if not buf.startswith(b"\r\n"):
            raise ValueError("garbage after a boundary")
        buf = buf[2:]


@dataclass
class _Build:
    id: str
    doc: dict[str, Any]
    states: list[dict[str, Any]]


class ApplivServer:
    """Start with ``with ApplivServer(...) as server:``; ``server.url`` is the base for both hosts.

    ``plan`` is a list of behaviours for the next upload POSTs, consumed one per request:
    ``"ok"``, ``"503"`` (with ``Retry-After``), ``"502-html"``, ``"reset"`` (RST after part of the
    body), ``"slow"`` (answer after ``slow_seconds``), ``"400"`` (error 5006). When it is empty every
    upload succeeds. ``processing`` is the list of states the build-details endpoint walks through
    after ``pending``; a final ``"error"`` state carries ``errorCode``, ``error`` and ``processLogs``.
    """

    def __init__(self, *, app_token: str = "app-token-1234567890", sa_token: str = "sa-token-0987654321",
                 organization: str = "org1", app: str = "app1", lifetime: float = 60.0,
                 hash_files: bool = True) -> None:
        self.app_token = app_token
        self.sa_token = sa_token
        self.organization = organization
        self.app = app
        self.lifetime = lifetime
        self.hash_files = hash_files
        self.plan: list[str] = []
        self.retry_after = "0"
        self.slow_seconds = 2.0
        self.processing: list[str] = ["in_progress", "processed"]
        self.error_logs = [f"step {i}" for i in range(1, 31)]
        self.requests: list[Received] = []
        self.builds: dict[str, _Build] = {}
        self.listed: list[dict[str, Any]] = []
        # The list's order: "newest" first (createdAt descending) or "oldest" first. The contract
        # documents no order, so a client must read every page whichever the service uses.
        self.list_order = "newest"
        # A service that ignores ``page`` answers page 1 for every page.
        self.ignore_page = False
        # Hostile answers (see the block "hostile answers" below): one mode per request, any method.
        self.hostile: list[str] = []
        self.hostile_body = b""
        self.trickle_seconds = 0.2
        # Per trickled answer, the bytes written before the client hung up (or all of them).
        self.trickled: list[int] = []
        self._lock = threading.Lock()
        self._counter = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> ApplivServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = _handler_for(self)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 16
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._timer is not None and threading.current_thread() is not self._timer:
            self._timer.cancel()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- state ------------------------------------------------------------------------------

    def uploads(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    def next_behaviour(self) -> str:
        with self._lock:
            return self.plan.pop(0) if self.plan else "ok"

    def next_hostile(self) -> str | None:
        with self._lock:
            return self.hostile.pop(0) if self.hostile else None

    def new_build(self, received: Received) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            build_id = f"b{self._counter:06d}"
        doc = {"id": build_id, "status": "pending", "versionName": received.field("versionName"),
               "size": received.files["build"].size if "build" in received.files else 0,
               "createdAt": f"2026-11-28T05:00:{self._counter:02d}.000Z"}
        states = []
        for state in self.processing:
            extra: dict[str, Any] = {"status": state}
            if state == "error":
                extra.update(errorCode=5006, error="Build file invalid", processLogs=self.error_logs)
            states.append(extra)
        self.builds[build_id] = _Build(build_id, doc, states)
        return doc

    def poll(self, build_id: str) -> dict[str, Any] | None:
        with self._lock:
            build = self.builds.get(build_id)
            if build is None:
                return None
            if build.states:
                build.doc = {**build.doc, **build.states.pop(0)}
            return dict(build.doc)

    def auth(self, path: str, authorization: str | None) -> str | None:
        """The route kind (``integrations``/``workspace``) if the token fits it, else None."""
        if path.startswith("/v1/integrations/builds"):
            return "integrations" if authorization == f"Bearer {self.app_token}" else None
        if path.startswith(f"/v1/organizations/{self.organization}/apps/{self.app}/builds"):
            return "workspace" if authorization == f"Bearer {self.sa_token}" else None
        return None


def _handler_for(server: ApplivServer) -> type[BaseHTTPRequestHandler]:
    routes = re.compile(r"^/v1/(integrations|organizations/[^/]+/apps/[^/]+)/builds(?:/([^/]+))?$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, doc: Any, extra: dict[str, str] | None = None) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: int, message: str, extra: dict[str, str] | None = None) -> None:
            self._json(status, {"status": False, "error": {"code": code, "message": message}}, extra)

        def _drain(self) -> None:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                chunk = self.rfile.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)

        def _reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            received = Received("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            server.requests.append(received)
            if self._hostile():
                return
            match = routes.match(url.path)
            if match is None:
                self._error(404, 3001, "Entity not found")
                return
            if server.auth(url.path, self.headers.get("Authorization")) is None:
                self._error(401, 4004, "App token invalid")
                return
            build_id = match.group(2)
            if build_id is not None:
                doc = server.poll(build_id)
                if doc is None:
                    self._error(404, 3001, "Entity not found")
                else:
                    self._json(200, {"status": True, "data": doc})
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            items = server.listed + [b.doc for b in server.builds.values()]
            for key in ("versionName", "status", "os"):
                if key in query:
                    items = [i for i in items if str(i.get(key)) == query[key]]
            items.sort(key=lambda i: str(i.get("createdAt", "")), reverse=server.list_order == "newest")
            total = len(items)
            if "limit" in query:
                limit = int(query["limit"])
                page = 1 if server.ignore_page else int(query.get("page", "1"))
                items = items[(page - 1) * limit: page * limit]
            self._json(200, {"status": True, "data": {"items": items, "totalDocs": total}})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            received = Received("POST", self.path, headers)
            server.requests.append(received)
            if self._hostile(received):
                return
            behaviour = server.next_behaviour()
            if behaviour == "reset":
                self.rfile.read(min(16384, int(headers.get("content-length") or 0)))
                self._reset()
                return
            if routes.match(url.path) is None or match_id(url.path):
                self._drain()
                self._error(404, 3001, "Entity not found")
                return
            if server.auth(url.path, headers.get("authorization")) is None:
                self._drain()
                code = 4002 if not headers.get("authorization", "").removeprefix("Bearer ").strip() else 4004
                self._error(401, code, "App token empty" if code == 4002 else "App token invalid")
                return
            if behaviour == "503":
                self._drain()
                self._error(503, 503, "Service unavailable", {"Retry-After": server.retry_after})
                return
            if behaviour == "502-html":
                self._drain()
                body = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                self.send_response(502)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            ctype = headers.get("content-type", "")
            match = re.match(r'multipart/form-data;\s*boundary="?([^";]+)"?', ctype)
            if match is None:
                self._drain()
                self._error(400, 5006, f"not multipart: {ctype}")
                return
            started = time.perf_counter()
            try:
                received.fields, received.files = parse_multipart(
                    self.rfile.read, int(headers.get("content-length") or 0), match.group(1).encode(),
                    hash_files=server.hash_files)
            except ValueError as exc:
                self._error(400, 5006, f"bad multipart body: {exc}")
                return
            received.body_seconds = time.perf_counter() - started
            if behaviour == "400":
                self._json(400, {"status": False, "error": {"code": 5006, "msg": "Build file invalid",
                                                             "field": "build"}})
                return
            if behaviour == "slow":
                time.sleep(server.slow_seconds)
            if "build" not in received.files:
                self._error(400, 5006, "no build file")
                return
            self._json(200, {"status": True, "data": server.new_build(received)})

        # -- hostile answers (network hardening, issue 21) ------------------------------------
        # ``server.hostile`` holds one mode per request (GET or POST; a POST's body is read whole
        # first, as the service does). Modes:
        #   "raw"          200 with ``server.hostile_body`` as the JSON body, as given (deep nesting,
        #                  a build id with a newline, a number of thousands of digits...)
        #   "endless"      200, chunked, and chunks forever (until the client hangs up)
        #   "trickle"      a valid answer, one byte every ``server.trickle_seconds``, status line included
        #   "trickle-body" the same, but the headers at once
        #   "retry-after"  503 with ``Retry-After: server.retry_after`` (any text)
        #   "huge-length"  200 declaring a 100 GB body, then nothing
        #   "reset-after-body"  a POST's body read whole, then the connection reset, no answer

        def _hostile(self, received: Received | None = None) -> bool:
            mode = server.next_hostile()
            if mode is None:
                return False
            if received is not None:
                self._read_upload(received)
            self.close_connection = True
            try:
                if mode == "raw":
                    self._raw(200, server.hostile_body)
                elif mode == "endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"[" * 65536
                    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline:
                        self.wfile.write(frame)
                elif mode in ("trickle", "trickle-body"):
                    body = json.dumps({"status": True, "data": {"id": "b1", "status": "pending"}}).encode()
                    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                            + str(len(body)).encode() + b"\r\n\r\n")
                    answer = head + body
                    if mode == "trickle-body":
                        self.wfile.write(head)
                        answer = body
                    server.trickled.append(0)
                    for i in range(len(answer)):
                        self.wfile.write(answer[i:i + 1])
                        self.wfile.flush()
                        server.trickled[-1] += 1
                        time.sleep(server.trickle_seconds)
                elif mode == "retry-after":
                    self._error(503, 503, "Service unavailable", {"Retry-After": server.retry_after})
                elif mode == "reset-after-body":
                    self._reset()
                elif mode == "huge-length":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(100 << 30))
                    self.end_headers()
                    self.wfile.flush()
                    time.sleep(2)
                else:
                    raise ValueError(f"unknown hostile mode {mode!r}")
            except OSError:  # the client hung up: that is what these modes wait for
                pass
            return True

        def _read_upload(self, received: Received) -> None:
            ctype = received.headers.get("content-type", "")
            match = re.match(r'multipart/form-data;\s*boundary="?([^";]+)"?', ctype)
            if match is None:
                self._drain()
                return
            received.fields, received.files = parse_multipart(
                self.rfile.read, int(received.headers.get("content-length") or 0), match.group(1).encode(),
                hash_files=server.hash_files)

        def _raw(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # -- end of the hostile answers ----------------------------------------------------------

    def match_id(path: str) -> bool:
        match = routes.match(path)
        return bool(match and match.group(2))

    return Handler


def iter_chunks(size: int, chunk: int = _CHUNK) -> Iterator[bytes]:
    """Deterministic, incompressible-looking bytes for generated test files."""
    block = hashlib.sha256(b"inspector").digest() * (chunk // 32)
    while size > 0:
        yield block[: min(size, len(block))]
        size -= len(block)


#: The machine's variables a test of the command line must not inherit: a real token or service,
#: a CI the deployer would read, a build path, a config file of the checkout.
INHERITED = re.compile(r"^(APPLIVERY_|INSPECTOR_|GITHUB_|GITLAB_|CI_|BITRISE|JENKINS|BUILD_|TF_BUILD|"
                       r"CIRCLE|TRAVIS|BUILDKITE|TEAMCITY|CM_|FCI_|BITBUCKET_|XCS|APPCENTER)")


@contextmanager
def serving(monkeypatch: Any, *, token: str | None = None, api_url: bool = True,
            home: Path | None = None, **server: Any) -> Iterator[ApplivServer]:
    """A loopback server the command line talks to: the inherited variables above unset, the
    upload URL (and, with ``api_url``, the API URL) set to the server, plain http allowed,
    ``APPLIVERY_APP_TOKEN`` set to ``token`` when one is given; with ``home``, the working folder
    moves there and it becomes a repository root, so no config file of the checkout is found.
    ``server`` goes to :class:`ApplivServer` (``app_token``, ``sa_token``...)."""
    for name in [n for n in os.environ if INHERITED.match(n)]:
        monkeypatch.delenv(name, raising=False)
    if home is not None:
        (home / ".git").mkdir(exist_ok=True)
        monkeypatch.chdir(home)
    server.setdefault("lifetime", 30)
    if token is not None:
        server.setdefault("app_token", token)
    with ApplivServer(**server) as s:
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", s.url)
        if api_url:
            monkeypatch.setenv("APPLIVERY_API_URL", s.url)
        monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")  # the loopback server speaks plain http
        if token is not None:
            monkeypatch.setenv("APPLIVERY_APP_TOKEN", token)
        yield s
