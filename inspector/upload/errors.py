"""What can go wrong sending a build or reading one back (the command line maps each to its exit
code: ``inspector.cli.exit_code_for``).

All derive from :class:`inspector.errors.InspectorError` (the one root). No message ever holds a
token: they are built from :class:`inspector.upload.request.Secret`-free values only.
"""

from __future__ import annotations

from typing import Any

from inspector.errors import InspectorError

__all__ = [
    "ApiError",
    "NetworkError",
    "ProcessingError",
    "TokenRejectedError",
    "UploadError",
    "WaitTimeoutError",
]


class UploadError(InspectorError):
    """Root of the upload errors."""


class ApiError(UploadError):
    """The service answered ``status: false`` or a 4xx: its code and message, as given."""

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

    def __init__(self, message: str, *, http_status: int | None = None, retryable: bool = True,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retryable = retryable
        self.retry_after = retry_after


class ProcessingError(UploadError):
    """The build ended in ``error`` on the server: ``errorCode`` and ``error`` in the message,
    the last lines of ``processLogs`` in :attr:`logs`."""

    def __init__(self, message: str, build: Any = None, logs: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.build = build
        self.logs = logs


class WaitTimeoutError(UploadError):
    """The build was still ``pending``/``in_progress`` when ``--wait-timeout`` elapsed."""

    def __init__(self, message: str, build: Any = None) -> None:
        super().__init__(message)
        self.build = build
