"""The file formats inspector reads (:class:`Format`) and one descriptor of each (:class:`FormatInfo`):
its name in reports, family, platform, Applivery build platform, file extensions, and the modules
that parse it, hold its record and render it as text.

It imports nothing of inspector's, so that records, detection, the parsers, checks, reports and the
upload request all name a format through it. The parsers themselves are ``inspector.formats``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, TypeAlias

__all__ = [
    "ANDROID_FORMATS",
    "EMBEDDED_PROFILE",
    "FORMAT_INFO",
    "BuildPlatform",
    "EmbeddedProfile",
    "Family",
    "Format",
    "FormatInfo",
    "Platform",
    "ProfileFormat",
    "by_extension",
    "format_of",
]

#: The platforms an artifact is built for.
Platform: TypeAlias = Literal["android", "ios", "tvos", "watchos", "visionos", "macos"]
#: The values of Applivery's ``buildPlatform`` form field that a build inspector reads can map to.
BuildPlatform: TypeAlias = Literal["android", "ios", "macos"]
#: Whose tools make and sign the format.
Family: TypeAlias = Literal["android", "apple"]

#: The ``format`` of a :class:`~inspector.records.apple.ProvisioningProfile` read from inside a
#: bundle (an IPA's ``embedded.mobileprovision``). It is a kind of record, not a file format: no
#: file is one, :func:`inspector.detect.detect` never answers it, and nothing parses, uploads or
#: reloads it on its own; its bytes are in :attr:`Format.PROFILE`'s format (:func:`format_of`).
EMBEDDED_PROFILE: Final = "embedded-profile"
EmbeddedProfile: TypeAlias = Literal["embedded-profile"]


class Format(enum.StrEnum):
    """A file format inspector reads. Its value is the ``format`` that records, summaries and the
    JSON documents name it by (``str(Format.APK) == "apk"``)."""

    APK = "apk"
    AAB = "aab"
    IPA = "ipa"
    PROFILE = "profile"
    PKG = "pkg"

    @property
    def info(self) -> FormatInfo:
        """This format's descriptor."""
        return FORMAT_INFO[self]


#: The ``format`` of a :class:`~inspector.records.apple.ProvisioningProfile` record.
ProfileFormat: TypeAlias = Literal[Format.PROFILE, "embedded-profile"]


class FormatInfo(NamedTuple):
    """What one format is.

    ``human_name`` is how a report's first line names it; ``platform`` the platform its builds are
    for unless the artifact says otherwise (an IPA may be a tvOS app, a profile a macOS one);
    ``build_platform`` the Applivery ``buildPlatform`` it uploads as, None when the service does not
    take it as a build; ``automatic`` whether the service reads the build's metadata itself (else the
    upload sends name, version and icon). ``extensions`` (lower case, no dot) are the file names it
    is known by; ``parser`` the module under ``inspector.formats`` whose ``parse`` reads it,
    ``record`` the dotted name of the record class that parser returns, ``text_report`` the module
    that renders that record for people.
    """

    format: Format
    human_name: str
    family: Family
    platform: Platform
    build_platform: BuildPlatform | None
    automatic: bool
    extensions: tuple[str, ...]
    parser: str
    record: str
    text_report: str


_ANDROID_APP = "inspector.records.android.AndroidApp"

#: Every format's descriptor, in the enum's order (read-only).
FORMAT_INFO: Mapping[Format, FormatInfo] = MappingProxyType({info.format: info for info in (
    FormatInfo(Format.APK, "Android APK", "android", "android", "android", True, ("apk",),
               "inspector.formats.apk", _ANDROID_APP, "inspector.report.android"),
    FormatInfo(Format.AAB, "Android App Bundle", "android", "android", "android", True, ("aab",),
               "inspector.formats.aab", _ANDROID_APP, "inspector.report.android"),
    FormatInfo(Format.IPA, "iOS app archive", "apple", "ios", "ios", True, ("ipa",),
               "inspector.formats.ipa", "inspector.records.apple.IpaApp", "inspector.report.apple"),
    FormatInfo(Format.PROFILE, "provisioning profile", "apple", "ios", None, False,
               ("mobileprovision", "provisionprofile"), "inspector.formats.profile",
               "inspector.records.apple.ProvisioningProfile", "inspector.report.apple"),
    FormatInfo(Format.PKG, "macOS installer package", "apple", "macos", "macos", False, ("pkg",),
               "inspector.formats.pkg", "inspector.records.pkg.Pkg", "inspector.report.pkg"),
)})


#: The formats of the Android family (APK, AAB), from their descriptors.
ANDROID_FORMATS: frozenset[Format] = frozenset(f for f, i in FORMAT_INFO.items() if i.family == "android")


def format_of(kind: Format | EmbeddedProfile) -> Format:
    """The format a record's data is in: its own, or :attr:`Format.PROFILE` for an embedded
    profile."""
    return Format.PROFILE if kind == EMBEDDED_PROFILE else Format(kind)


def by_extension(filename: str) -> Format | None:
    """The format a file name's extension names (case-insensitive), or None."""
    lower = filename.lower()
    for info in FORMAT_INFO.values():
        if any(lower.endswith("." + ext) for ext in info.extensions):
            return info.format
    return None
