"""The library entry point: a path in, a typed record out (no printing, no network)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

# For ``inspector.records.Record`` in the hints: that union loads every record module, so it is
# resolved when asked for (typing.get_type_hints), not when this module loads.
import inspector.records
from inspector.detect import detect
from inspector.errors import ArtifactError
from inspector.format import Format, format_of
from inspector.formats import Scratch, Source, icon_extractor, icon_searcher, parser_for, verifier_for
from inspector.limits import artifact_budget
from inspector.records.base import FileInfo
from inspector.records.verification import not_checked

__all__ = ["extract_icon", "find_icon", "inspect"]


def inspect(path: str | os.PathLike[str], *, digest: bool = True,
            verify: bool = True) -> inspector.records.Record:
    """Inspect one artifact and return its record: an AndroidApp, IpaApp, ProvisioningProfile or Pkg.

    Reads only the members it needs. With ``digest`` (the default) the file's SHA-256 is computed
    by streaming the whole file once. With ``verify`` (the default) every signature, digest and
    seal the format has is verified and the record's ``verification`` says how that went; a
    signature that does not verify is a fact of the record, not an error. Without it,
    ``verification`` says it was not checked.
    Raises :class:`inspector.errors.ArtifactError` (or a subclass) when the file cannot be read.
    """
    p = Path(path)
    with artifact_budget() as budget:
        record = _parse(p, digest, verify)
    if budget.exceeded is not None:
        raise budget.exceeded.at(p)
    if digest and record.file is not None and record.file.sha256 is None:
        # The verifier of an APK computes the SHA-256 in the same read as its content digests;
        # every other file gets the same mapped read here (the hash reads the page cache without
        # a copy).
        from inspector.verify.content_digest import digest_file

        try:
            sha = digest_file(p, None, (), whole_sha256=True)[1]
        except OSError as exc:
            raise ArtifactError(f"cannot read ({exc.strerror or exc})", path=str(p)) from exc
        record = dataclasses.replace(record, file=dataclasses.replace(record.file, sha256=sha))
    return record


def _parse(p: Path, digest: bool, verify: bool) -> inspector.records.Record:
    """Parse (and verify) one artifact: the work its budget counts."""
    kind, archive = detect(p)
    try:
        source = Source(path=p, file=FileInfo.of(p), archive=archive, digest=digest,
                        scratch=Scratch())
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
    return record  # type: ignore[no-any-return]


def extract_icon(path: str | os.PathLike[str], record: inspector.records.Record) -> tuple[str, bytes] | None:
    """The app icon of an inspected artifact as ``(member it came from, image bytes)``.

    The bytes are a PNG, WebP or JPEG file (:func:`inspector.containers.image.image_format` tells
    which): an Android icon as stored in the archive, an IPA's icon converted from Apple's CgBI
    variant to a standard PNG. None when the format has no icon or the icon exists only in a form
    inspector cannot render (an adaptive icon with no raster fallback, an icon kept only in
    ``Assets.car``); :func:`find_icon` says which.
    """
    found = find_icon(path, record)
    return found if isinstance(found, tuple) else None


def find_icon(path: str | os.PathLike[str], record: inspector.records.Record) -> tuple[str, bytes] | str:
    """:func:`extract_icon`'s ``(member, image bytes)``, or, when there is no icon to give, why
    not: one phrase in the format's words (``the app declares no icon``, ``the icon file the app
    names, ... is not in Payload``)."""
    p = Path(path)
    try:
        with artifact_budget() as budget:
            kind = format_of(record.format)
            search = icon_searcher(kind, p)
            found: tuple[str, bytes] | str | None
            if search is not None:
                found = search(p, record)
            else:
                extractor = icon_extractor(kind, p)
                found = extractor(p, record) if extractor is not None else None
        if budget.exceeded is not None:
            raise budget.exceeded
    except ArtifactError as exc:
        raise exc.at(p) from exc.__cause__
    return found if found is not None else _no_icon_reason(record)


def _no_icon_reason(record: inspector.records.Record) -> str:
    if record.format is Format.APK or record.format is Format.AAB:
        icon = record.icon
        if icon.resource is None:
            return "the app declares no icon"
        if icon.adaptive:
            return f"{icon.resource} is an adaptive icon (XML) with no PNG, WebP or JPEG fallback"
        return f"no PNG, WebP or JPEG file behind {icon.resource}"
    if record.format is Format.IPA:
        if getattr(record.app, "icon_only_in_assets_car", False):
            return "the app icon exists only in Assets.car, which inspector cannot render"
        return "no icon file in the app bundle"
    return "a provisioning profile has no icon"
