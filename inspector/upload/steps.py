"""The library's upload steps: inspect, prepare the request, send it (see :mod:`inspector.upload`)."""


from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.errors import UnknownFormatError
from inspector.upload.request import (
    Target,
    UploadFields,
    UploadRequest,
    build_request,
)
from inspector.upload.response import Build

if TYPE_CHECKING:
    import requests

    from inspector.summary import Record, Summary
    from inspector.upload.transport import RetryPolicy

__all__ = ["inspect_for_upload", "inspected_icon", "prepare", "upload"]


#: Extensions of the formats inspector reads: a file named so must be one.
_READ_EXTENSIONS = (".apk", ".aab", ".ipa", ".pkg")


def inspect_for_upload(path: str | os.PathLike[str], *, verify: bool = True
                       ) -> tuple[Record | None, Summary | None]:
    """The build's record and summary, or ``(None, None)`` when it is of a kind inspector does not
    read (a DMG, a console or Windows build: the user gives the package fields).

    A file named ``.apk``, ``.aab``, ``.ipa`` or ``.pkg`` whose content is none of them raises
    :class:`UnknownFormatError`, as does any other read error: the service would accept it and fail
    it later, in processing.
    """
    from inspector.api import inspect

    try:
        record = inspect(path, digest=False, verify=verify)
    except UnknownFormatError:
        if os.fspath(path).lower().endswith(_READ_EXTENSIONS):
            raise
        return None, None
    from inspector.summary import summarize  # only now: it loads the certificate readers

    return record, summarize(record)


def inspected_icon(path: str | os.PathLike[str], record: Record | None) -> bytes | None:
    """The app icon when inspector can extract one as a PNG or JPEG (what ``packageIcon`` takes),
    else None (a WebP icon is not sent: the service takes PNG or JPEG)."""
    if record is None:
        return None
    from inspector.api import extract_icon

    icon = extract_icon(path, record)
    if icon is None or not icon[1].startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return None
    return icon[1]


def prepare(path: str | os.PathLike[str], fields: UploadFields, target: Target, *,
            record: Record | None = None, summary: Summary | None = None) -> UploadRequest:
    """Inspect (unless ``record``/``summary`` are given) and build the upload request of ``path``."""
    if record is None and summary is None:
        record, summary = inspect_for_upload(path)
    elif summary is None and record is not None:
        from inspector.summary import summarize

        summary = summarize(record)
    icon = None
    if fields.package_icon is None and summary is not None and summary.format not in ("apk", "aab", "ipa"):
        icon = inspected_icon(path, record)
    return build_request(Path(path), fields, target, summary, inspected_icon=icon)


def upload(request: UploadRequest, *, session: requests.Session | None = None,
           progress: Callable[[int, int], None] | None = None, policy: RetryPolicy | None = None,
           timeout: tuple[float, float] | None = None) -> Build:
    """Send a prepared request and return the new build (see :func:`inspector.upload.transport.send`)."""
    from inspector.upload import transport

    kwargs: dict[str, Any] = {"session": session, "progress": progress, "policy": policy}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return transport.send(request, **kwargs)
