"""Which format a file is, by its content: magic bytes first, then the archive's members."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from inspector.containers.zip import ZipArchive, is_zip
from inspector.errors import ArtifactError, UnknownFormatError
from inspector.format import Format

__all__ = ["detect", "detect_zip"]

_IPA_APP = re.compile(r"^(?:[^/]+/)?Payload/")
_PROFILE_KEYS = (b"ProvisionedDevices", b"TeamIdentifier", b"ExpirationDate",
                 b"DeveloperCertificates", b"ProvisionsAllDevices", b"AppIDName")
_KINDS = {stat.S_IFIFO: "named pipe", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
          stat.S_IFSOCK: "socket"}


def detect_zip(archive: ZipArchive) -> Format | None:
    """The format of an open zip archive, from its members, or None."""
    if "base/manifest/AndroidManifest.xml" in archive and "BundleConfig.pb" in archive:
        return Format.AAB
    if "AndroidManifest.xml" in archive:
        return Format.APK
    if any(_IPA_APP.match(name) for name in archive.names):
        return Format.IPA
    return None


def _looks_like_cms(head: bytes) -> bool:
    # A DER/BER SEQUENCE whose first element is the signedData OID 1.2.840.113549.1.7.2.
    return len(head) > 2 and head[0] == 0x30 and b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in head[:24]


def detect(path: str | Path) -> tuple[Format, ZipArchive | None]:
    """Return ``(format, open archive or None)``; the caller closes the archive.

    Raises ArtifactError for files that cannot be opened or are empty, and UnknownFormatError
    for files that are none of the formats inspector knows.
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
        if stat.S_ISDIR(mode):
            raise ArtifactError("is a directory, not a file", path=str(p))
        if not stat.S_ISREG(mode):
            # Opening a named pipe blocks until a writer comes, and a device never ends: only a
            # regular file (or a link to one) has a size and offsets to read at.
            raise ArtifactError(f"is a {_KINDS.get(stat.S_IFMT(mode), 'special file')}, "
                                "not a regular file", path=str(p))
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except IsADirectoryError:
        raise ArtifactError("is a directory, not a file", path=str(p)) from None
    except OSError as exc:
        raise ArtifactError(f"cannot open ({exc.strerror or exc})", path=str(p)) from exc
    if not head:
        raise ArtifactError("file is empty", path=str(p))
    if head[:4] == b"xar!":
        return Format.PKG, None
    if _looks_like_cms(head):
        return Format.PROFILE, None
    if is_zip(head):
        archive = ZipArchive(p)
        kind = detect_zip(archive)
        if kind is None:
            archive.close()
            raise UnknownFormatError(
                "zip archive is not an APK (no AndroidManifest.xml), an AAB (no base/manifest/"
                "AndroidManifest.xml + BundleConfig.pb) or an IPA (no Payload/ folder)",
                path=str(p),
            )
        return kind, archive
    if head[:4] == b"\x03\x00\x08\x00":
        raise UnknownFormatError(
            "Android binary XML on its own is not a build: inspect the APK or AAB it belongs to",
            path=str(p),
        )
    named_profile = p.suffix.lower()[1:] in Format.PROFILE.info.extensions
    stripped = head.lstrip()
    if stripped.startswith((b"bplist00", b"<?xml", b"<plist", b"<!DOCTYPE plist")) and (
        named_profile or any(k in head for k in _PROFILE_KEYS)
    ):
        return Format.PROFILE, None
    if named_profile:
        return Format.PROFILE, None
    raise UnknownFormatError(
        "unknown format: not a zip (APK, AAB, IPA), a xar (PKG) or a provisioning profile",
        path=str(p),
    )
