"""What can go wrong sending a build or reading one back; each carries the CLI's exit code.

All derive from :class:`inspector.errors.InspectorError` (the one root). No message ever holds a
token: they are built from :class:`inspector.upload.request.Secret`-free values only.
"""

from __future__ import annotations

from typing import Any

from inspector.errors import InspectorError

__all__ = [
    "EXIT_NETWORK",
    "EXIT_PROCESSING",
    "EXIT_REJECTED",
    "EXIT_WAIT_TIMEOUT",
    "ApiError",
    "NetworkError",
    "ProcessingError",
    "TokenRejectedError",
    "UploadError",
    "WaitTimeoutError",
]

#: The server refused the request (a 4xx, ``status: false``, a rejected token).
EXIT_REJECTED = 5
#: The build was received but processing ended in ``error``.
EXIT_PROCESSING = 6
#: The service could not be reached or answered nonsense (connection, timeout, 5xx, non-JSON body).
EXIT_NETWORK = 7
#: ``--wait``: the build was still being processed when the wait timed out.
EXIT_WAIT_TIMEOUT = 8


class UploadError(InspectorError):
    """Root of the upload errors."""

    exit_code = EXIT_NETWORK


class ApiError(UploadError):
    """The service answered ``status: false`` or a 4xx: its code and message, as given."""

    exit_code = EXIT_REJECTED

    def __init__(self, message: str, *, http_status: int | None = None, code: int | None = None,
                 detail: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.detail = detail
        self.field = field


class TokenRejectedError(ApiError):
    """The token was refused: empty (4002), invalid (4004), expired (3002), or the socket was closed."""


class NetworkError(UploadError):
    """No usable answer: connection refused or reset, a timeout, a 5xx, a body that is not JSON."""

    exit_code = EXIT_NETWORK

    def __init__(self, message: str, *, http_status: int | None = None, retryable: bool = True,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after


class ProcessingError(UploadError):
    """The build ended in ``error`` on the server: ``errorCode`` and ``error`` in the message,
    the last lines of ``processLogs`` in :attr:`logs`."""

    exit_code = EXIT_PROCESSING

    def __init__(self, message: str, build: Any = None, logs: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.build = build
        self.logs = logs


class WaitTimeoutError(UploadError):
    """The build was still ``pending``/``in_progress`` when ``--wait-timeout`` elapsed."""

    exit_code = EXIT_WAIT_TIMEOUT

    def __init__(self, message: str, build: Any = None) -> None:
        super().__init__(message)
        self.build = build
