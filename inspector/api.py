"""The library entry point: a path in, a typed record out (no printing, no network)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.detect import detect
from inspector.errors import ArtifactError
from inspector.formats import Source, icon_extractor, parser_for, verifier_for
from inspector.records.base import FileInfo, file_sha256
from inspector.records.verification import not_checked

if TYPE_CHECKING:
    from inspector.summary import Record

__all__ = ["extract_icon", "inspect"]


def inspect(path: str | os.PathLike[str], *, digest: bool = True, verify: bool = True) -> Record:
    """Inspect one artifact and return its record: an AndroidApp, IpaApp, ProvisioningProfile or Pkg.

    Reads only the members it needs. With ``digest`` (the default) the file's SHA-256 is computed
    by streaming the whole file once. With ``verify`` (the default) every signature, digest and
    seal the format has is verified and the record's ``verification`` says how that went; a
    signature that does not verify is a fact of the record, not an error. Without it,
    ``verification`` says it was not checked.
    Raises :class:`inspector.errors.ArtifactError` (or a subclass) when the file cannot be read.
    """
    p = Path(path)
    kind, archive = detect(p)
    try:
        source = Source(path=p, file=FileInfo.of(p), archive=archive, digest=digest)
        parse = parser_for(kind, p)
        verifier = verifier_for(kind, p) if verify else None
        try:
            record = parse(source)
            if verifier is not None:
                record = verifier(source, record)
        except ArtifactError as exc:
            raise exc.at(p) from exc.__cause__
        if verifier is None:
            reason = ("verification was turned off" if not verify
                      else "inspector does not verify this format's signatures yet")
            record = dataclasses.replace(record, verification=not_checked(reason))
        if archive is not None and hasattr(record, "contents"):
            from inspector.formats._contents import measure

            record = dataclasses.replace(record, contents=measure(archive, record))
        if archive is not None and archive.warnings:
            # What the zip reader met on the way (odd names, a member read as Android reads it)
            # comes first, whichever members the parser read.
            record = dataclasses.replace(record, warnings=(*archive.warnings, *record.warnings))
    finally:
        if archive is not None:
            archive.close()
    if digest and record.file.sha256 is None:
        try:
            sha = file_sha256(p)
        except OSError as exc:
            raise ArtifactError(f"cannot read ({exc.strerror or exc})", path=str(p)) from exc
        record = dataclasses.replace(record, file=dataclasses.replace(record.file, sha256=sha))
    return record  # type: ignore[no-any-return]


def extract_icon(path: str | os.PathLike[str], record: Record) -> tuple[str, bytes] | None:
    """The app icon of an inspected artifact as ``(member it came from, image bytes)``.

    The bytes are a PNG, WebP or JPEG file (:func:`inspector.containers.image.image_format` tells
    which): an Android icon as stored in the archive, an IPA's icon converted from Apple's CgBI
    variant to a standard PNG. None when the format has no icon or the icon exists only in a form
    inspector cannot render (an adaptive icon with no raster fallback, an icon kept only in
    ``Assets.car``).
    """
    p = Path(path)
    extractor = icon_extractor(record.format, p)
    if extractor is None:
        return None
    try:
        return extractor(p, record)
    except ArtifactError as exc:
        raise exc.at(p) from exc.__cause__
