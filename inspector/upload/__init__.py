"""Uploading a build to Applivery: the library's steps, in order.

1. :func:`inspect_for_upload` reads the build (None for one inspector cannot read, e.g. a console build);
2. :func:`inspector.upload.deployer.detect_deployer` fills the deployer fields from a CI environment;
3. :func:`prepare` builds the :class:`UploadRequest` (pure data, see :mod:`inspector.upload.request`);
4. :func:`upload` sends it (``inspector.upload.transport``: the only module that imports requests,
   loaded on first use so that ``import inspector.upload`` stays light);
5. :func:`wait_for_build` polls it until processed; :func:`latest_upload` reads the app's latest
   processed build, the expectation rule UPL002 compares with (``--newer-than-uploaded``).

The names below load their module on first use: the command line imports this package for every
command, and ``inspector inspect`` must not pay for the request and response code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector._lazy import lazy_getattr

if TYPE_CHECKING:
    from inspector.upload.errors import (
        ApiError,
        NetworkError,
        ProcessingError,
        TokenRejectedError,
        UploadError,
        WaitTimeoutError,
    )
    from inspector.upload.request import (
        Deployer,
        Secret,
        Target,
        UploadFields,
        UploadRequest,
        base_urls,
        build_request,
    )
    from inspector.upload.response import Build
    from inspector.upload.steps import inspect_for_upload, inspected_icon, prepare
    from inspector.upload.transport import (
        RetryPolicy,
        get_build,
        latest_build,
        latest_upload,
        upload,
        wait_for_build,
    )

__all__ = [
    "ApiError",
    "Build",
    "Deployer",
    "NetworkError",
    "ProcessingError",
    "RetryPolicy",
    "Secret",
    "Target",
    "TokenRejectedError",
    "UploadError",
    "UploadFields",
    "UploadRequest",
    "WaitTimeoutError",
    "base_urls",
    "build_request",
    "get_build",
    "inspect_for_upload",
    "inspected_icon",
    "latest_build",
    "latest_upload",
    "prepare",
    "upload",
    "wait_for_build",
]

_LAZY = {
    "ApiError": "inspector.upload.errors",
    "NetworkError": "inspector.upload.errors",
    "ProcessingError": "inspector.upload.errors",
    "TokenRejectedError": "inspector.upload.errors",
    "UploadError": "inspector.upload.errors",
    "WaitTimeoutError": "inspector.upload.errors",
    "Deployer": "inspector.upload.request",
    "Secret": "inspector.upload.request",
    "Target": "inspector.upload.request",
    "UploadFields": "inspector.upload.request",
    "UploadRequest": "inspector.upload.request",
    "base_urls": "inspector.upload.request",
    "build_request": "inspector.upload.request",
    "Build": "inspector.upload.response",
    "inspect_for_upload": "inspector.upload.steps",
    "inspected_icon": "inspector.upload.steps",
    "prepare": "inspector.upload.steps",
    "upload": "inspector.upload.transport",
    "get_build": "inspector.upload.transport",
    "latest_build": "inspector.upload.transport",
    "latest_upload": "inspector.upload.transport",
    "wait_for_build": "inspector.upload.transport",
    "RetryPolicy": "inspector.upload.transport",
}

__getattr__ = lazy_getattr("inspector.upload", _LAZY, globals())
