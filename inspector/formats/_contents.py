"""Measure an open zip artifact for :class:`~inspector.records.contents.Contents`: categories from
the central directory, and the SHA-256 of the icon member (the one member read)."""

from __future__ import annotations

import hashlib
import heapq
import re
from typing import Any

from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.format import ANDROID_FORMATS, Format
from inspector.limits import MAX_ICON_BYTES
from inspector.records.contents import CONTENTS_LARGEST, Contents, Sizes

__all__ = ["category", "measure"]

_DEX = re.compile(r"classes\d*\.dex")
#: Category order in a record (native/<abi> entries sort in after ``code``).
_ORDER = ("code", "native", "resources", "assets", "frameworks", "other")


#: What a top folder (an APK's, or an App Bundle module's) and a file at the top hold.
_ANDROID_FOLDERS = {"assets": "assets", "res": "resources"}
_ANDROID_TOP_FILES = {"resources.arsc": "resources", "AndroidManifest.xml": "resources"}


def _android(name: str, aab: bool) -> str:
    path = name
    if aab:
        # An App Bundle's module folders hold what an APK holds at its root, under other names.
        module, _, path = name.partition("/")
        if not path or module in ("BUNDLE-METADATA", "META-INF"):
            return "other"
        if path.startswith("dex/"):
            return "code"
        if path.startswith("manifest/") or path == "resources.pb":
            return "resources"
    top, slash, rest = path.partition("/")
    if not slash:
        if not aab and _DEX.fullmatch(path):
            return "code"
        return _ANDROID_TOP_FILES.get(path, "other")
    if top == "lib":
        abi, slash, _ = rest.partition("/")
        return f"native/{abi}" if slash and abi else "other"
    return _ANDROID_FOLDERS.get(top, "other")


def _apple(name: str, executables: frozenset[str]) -> str:
    if not name.startswith("Payload/"):
        return "other"  # SwiftSupport/, Symbols/, iTunesMetadata.plist...
    if name in executables:
        return "code"
    if "/Frameworks/" in name:
        return "frameworks"
    if name.endswith("/Assets.car"):
        return "assets"
    return "resources"


def category(name: str, fmt: Format, executables: frozenset[str] = frozenset()) -> str:
    """The size category of member ``name`` of an artifact of format ``fmt`` (apk, aab, ipa);
    ``executables`` are the members that are bundle executables (IPA)."""
    if fmt in ANDROID_FORMATS:
        return _android(name, fmt == Format.AAB)
    return _apple(name, executables)


def _sort_key(name: str) -> tuple[int, str]:
    return (_ORDER.index(name.split("/")[0]), name)


def measure(archive: ZipArchive, record: Any) -> Contents:
    """The contents of ``record``'s archive; the icon member is the one whose bytes are read."""
    fmt = record.format
    executables: frozenset[str] = frozenset()
    if fmt == Format.IPA:
        executables = frozenset(b.path + b.CFBundleExecutable for b in record.bundles
                                if b.CFBundleExecutable)
    totals: dict[str, list[int]] = {}
    files: list[tuple[int, str, int]] = []
    classify = _android if fmt in ANDROID_FORMATS else None
    aab = fmt == Format.AAB
    for info in archive.infos():
        name = info.filename
        kind = classify(name, aab) if classify is not None else _apple(name, executables)
        slot = totals.get(kind)
        if slot is None:
            slot = totals[kind] = [0, 0, 0]
        slot[0] += 1
        slot[1] += info.compress_size
        slot[2] += info.file_size
        if not name.endswith("/"):
            # The size negated: plain tuple order is then largest first, then by name (unique in
            # an archive), a stable order whatever the central directory's.
            files.append((-info.file_size, name, info.compress_size))
    top = heapq.nsmallest(CONTENTS_LARGEST, files)
    icon_member = _icon_member(record)
    return Contents(
        members=sum(t[0] for t in totals.values()),
        compressed=sum(t[1] for t in totals.values()),
        uncompressed=sum(t[2] for t in totals.values()),
        categories=tuple(Sizes(name, *totals[name]) for name in sorted(totals, key=_sort_key)),
        largest=tuple(Sizes(name, 1, packed, -size) for size, name, packed in top),
        truncated=len(files) > CONTENTS_LARGEST,
        icon_member=icon_member,
        icon_sha256=_digest(archive, icon_member),
    )


def _icon_member(record: Any) -> str | None:
    if record.format == Format.IPA:
        return record.app.icon  # type: ignore[no-any-return]
    best = record.icon.best
    if best is None:
        return None
    return ("base/" if record.format == Format.AAB else "") + best.path  # type: ignore[no-any-return]


def _digest(archive: ZipArchive, member: str | None) -> str | None:
    if member is None or member not in archive:
        return None
    try:
        return hashlib.sha256(archive.read(member, limit=MAX_ICON_BYTES)).hexdigest()
    except ArtifactError:
        return None  # the icon's own reader already warned about this member
