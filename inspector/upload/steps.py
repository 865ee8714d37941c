"""The library's upload steps before the network: inspect, prepare the request (sending it is
:func:`inspector.upload.transport.upload`; see :mod:`inspector.upload`)."""


from __future__ import annotations

import os
from pathlib import Path

# For ``inspector.records.Record`` and ``inspector.Summary`` in the hints: resolved on demand
# (typing.get_type_hints), so this module loads neither the record modules nor the summary.
import inspector
import inspector.records
from inspector.errors import UnknownFormatError
from inspector.format import Format, format_of
from inspector.upload.request import (
    Target,
    UploadFields,
    UploadRequest,
    build_request,
)

__all__ = ["inspect_for_upload", "inspected_icon", "prepare"]


#: Extensions of the builds inspector reads: a file named so must be one.
_READ_EXTENSIONS = tuple(f".{ext}" for f in Format if f.info.build_platform is not None
                         for ext in f.info.extensions)


def inspect_for_upload(path: str | os.PathLike[str], *, verify: bool = True
                       ) -> tuple[inspector.records.Record | None, inspector.Summary | None]:
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


def inspected_icon(path: str | os.PathLike[str], record: inspector.records.Record | None) -> bytes | None:
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
            record: inspector.records.Record | None = None,
            summary: inspector.Summary | None = None) -> UploadRequest:
    """Inspect (unless ``record``/``summary`` are given) and build the upload request of ``path``."""
    if record is None and summary is None:
        record, summary = inspect_for_upload(path)
    elif summary is None and record is not None:
        from inspector.summary import summarize

        summary = summarize(record)
    icon = None
    if fields.package_icon is None and summary is not None and not format_of(summary.format).info.automatic:
        icon = inspected_icon(path, record)
    return build_request(Path(path), fields, target, summary, inspected_icon=icon)
