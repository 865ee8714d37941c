"""Uploading a build to Applivery: the library's steps, in order.

1. :func:`inspect_for_upload` reads the build (None for one inspector cannot read, e.g. a console build);
2. :func:`inspector.upload.deployer.detect_deployer` fills the deployer fields from a CI environment;
3. :func:`prepare` builds the :class:`UploadRequest` (pure data, see :mod:`inspector.upload.request`);
4. :func:`upload` sends it (``inspector.upload.transport``: the only module that imports requests,
   loaded on first use so that ``import inspector.upload`` stays light).

The names below load their module on first use: the command line imports this package for every
command, and ``inspector inspect`` must not pay for the request and response code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from inspector.upload.steps import inspect_for_upload, inspected_icon, prepare, upload

__all__ = [
    "ApiError",
    "Build",
    "Deployer",
    "NetworkError",
    "ProcessingError",
    "Secret",
    "Target",
    "TokenRejectedError",
    "UploadError",
    "UploadFields",
    "UploadRequest",
    "WaitTimeoutError",
    "base_urls",
    "build_request",
    "inspect_for_upload",
    "inspected_icon",
    "prepare",
    "upload",
]

_LAZY = {
    'ApiError': 'errors',
    'NetworkError': 'errors',
    'ProcessingError': 'errors',
    'TokenRejectedError': 'errors',
    'UploadError': 'errors',
    'WaitTimeoutError': 'errors',
    'Deployer': 'request',
    'Secret': 'request',
    'Target': 'request',
    'UploadFields': 'request',
    'UploadRequest': 'request',
    'base_urls': 'request',
    'build_request': 'request',
    'Build': 'response',
    'inspect_for_upload': 'steps',
    'inspected_icon': 'steps',
    'prepare': 'steps',
    'upload': 'steps',
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'inspector.upload' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"inspector.upload.{module}"), name)
    globals()[name] = value
    return value
