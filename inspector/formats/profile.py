"""Provisioning profiles: unwrap the CMS SignedData, read the plist inside, name the signing type.

Used for standalone ``.mobileprovision`` / ``.provisionprofile`` files (:func:`parse`) and for the
``embedded.mobileprovision`` of every bundle in an IPA (:func:`embedded_profile`).
"""

from __future__ import annotations

import binascii
import dataclasses
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from inspector import certs as x509
from inspector.app_id import covers
from inspector.certs import Certificate
from inspector.containers import cms
from inspector.containers.plist import load_plist_dict
from inspector.errors import ArtifactError
from inspector.format import EMBEDDED_PROFILE, Format, ProfileFormat
from inspector.formats import Source
from inspector.limits import MAX_KEPT_STRING, MAX_PROFILE_BYTES, BudgetExceeded
from inspector.records.apple import ProvisioningProfile, SigningType, is_macos_platform

__all__ = [
    "MAX_PROFILE_BYTES",
    "PlistFields",
    "bundle_id_matches",
    "covers",
    "embedded_profile",
    "parse",
    "profile_from_bytes",
    "signing_type",
    "verify",
]


_DATA_ELEMENT = re.compile(rb"<data>([^<]*)</data>")
_BASE64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")


def parse(source: Source) -> ProvisioningProfile:
    """Read a standalone profile file (a few KB: it is read whole, with a size cap)."""
    try:
        with open(source.path, "rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ArtifactError(f"cannot read ({exc.strerror or exc})") from exc
    if len(data) > MAX_PROFILE_BYTES:
        raise ArtifactError(f"over {MAX_PROFILE_BYTES} bytes: too large to be a provisioning profile")
    return profile_from_bytes(data, kind=Format.PROFILE, file=source.file)


def verify(source: Source, record: ProvisioningProfile) -> ProvisioningProfile:
    """The record with its CMS signature over the plist verified (inspector/verify/profile.py)."""
    from inspector.verify.profile import verify_profile_bytes

    try:
        with open(source.path, "rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ArtifactError(f"cannot read ({exc.strerror or exc})") from exc
    return dataclasses.replace(record, verification=verify_profile_bytes(data))


def embedded_profile(data: bytes, member: str) -> ProvisioningProfile:
    """Read the ``embedded.mobileprovision`` bytes of a bundle; errors name ``member``."""
    try:
        return profile_from_bytes(data, kind=EMBEDDED_PROFILE, member=member)
    except ArtifactError as exc:
        raise exc.in_member(member) from exc.__cause__


def signing_type(
    entitlements: Mapping[str, Any],
    devices: tuple[str, ...],
    all_devices: bool,
    platforms: tuple[str, ...] = (),
) -> tuple[SigningType, str]:
    """The signing type and the branch of the rule that chose it.

    iOS, tvOS, watchOS and visionOS profiles follow :data:`SIGNING_TYPE_RULE`; a macOS profile
    (``Platform`` OSX) follows :data:`SIGNING_TYPE_RULE_MACOS`, since the Mac has no ad-hoc or
    enterprise distribution and a Mac development profile need not carry ``get-task-allow``.
    """
    count = f"{len(devices)} device{'s' if len(devices) != 1 else ''}"
    if is_macos_platform(platforms):
        if devices:
            return "development", f"macOS profile; ProvisionedDevices lists {count} -> development"
        if all_devices:
            return "developer-id", (
                "macOS profile; no ProvisionedDevices; ProvisionsAllDevices is true -> developer-id"
            )
        return "app-store", (
            "macOS profile; no ProvisionedDevices; ProvisionsAllDevices is not true -> app-store"
        )
    if entitlements.get("get-task-allow") is True:
        return "development", "get-task-allow is true -> development"
    if devices:
        return "ad-hoc", f"get-task-allow is not true; ProvisionedDevices lists {count} -> ad-hoc"
    if all_devices:
        return "enterprise", (
            "get-task-allow is not true; no ProvisionedDevices; ProvisionsAllDevices is true "
            "-> enterprise"
        )
    return "app-store", (
        "get-task-allow is not true; no ProvisionedDevices; ProvisionsAllDevices is not true "
        "-> app-store"
    )


def _gist(problem: str) -> str:
    # A reader's message can quote a lot of the bad input: keep the gist.
    return problem if len(problem) <= 120 else problem[:117] + "..."


def _unwrap(data: bytes) -> tuple[bytes, bool]:
    """The plist bytes and whether they were bare (no CMS around them)."""
    head = data.lstrip()[:16]
    if not data:
        raise ArtifactError("profile is empty")
    if data[0] == 0x30:
        # Only the encapsulated plist is used: a profile's facts are all in it.
        signed = cms.signed_data(data)
        if signed.content_type_name != "data":
            raise ArtifactError(f"CMS encapsulates {signed.content_type_name}, not a plist (data)")
        if signed.content is None:
            raise ArtifactError("CMS signature is detached: the profile's plist is not inside it")
        return signed.content, False
    if head.startswith((b"bplist00", b"<?xml", b"<plist", b"<!DOCTYPE")):
        return data, True
    raise ArtifactError("neither a CMS-signed profile nor a plist")


def _lenient_base64(data: bytes) -> tuple[bytes, int]:
    """Rewrite every ``<data>`` body as well-formed base64, decoding as libplist does.

    libplist (``plistutil``) ignores characters outside the base64 alphabet and a dangling final
    character that cannot make a byte; plistlib refuses both. Returns the new XML and how many
    elements changed.
    """
    changed = 0

    def fix(match: re.Match[bytes]) -> bytes:
        nonlocal changed
        body = _BASE64_ALPHABET.sub(b"", match.group(1))
        extra = len(body) % 4
        if extra == 1:  # six stray bits: no byte can come of them
            body = body[:-1]
        elif extra:
            body += b"=" * (4 - extra)
        if body != match.group(1).strip():
            changed += 1
        return b"<data>" + body + b"</data>"

    return _DATA_ELEMENT.sub(fix, data), changed


def _load(plist_bytes: bytes, warnings: list[str]) -> dict[str, Any]:
    try:
        return load_plist_dict(plist_bytes)
    except ArtifactError as exc:
        if not isinstance(exc.__cause__, binascii.Error) or plist_bytes.startswith(b"bplist"):
            raise
        fixed, changed = _lenient_base64(plist_bytes)
        if not changed:
            raise
        value = load_plist_dict(fixed)
        warnings.append(
            f"{changed} <data> element{'s' if changed != 1 else ''} held malformed base64 "
            f"({exc.__cause__}); decoded leniently as libplist's plistutil does (stray "
            "characters dropped)"
        )
        return value


class PlistFields:
    """Typed reads of plist keys; a value of the wrong type becomes a warning, not a crash."""

    def __init__(self, plist: Mapping[str, Any], warnings: list[str]) -> None:
        self.plist = plist
        self.warnings = warnings

    def _wrong(self, key: str, expected: str) -> None:
        value = self.plist[key]
        self.warnings.append(f"{key} is a {type(value).__name__}, expected {expected}: ignored")

    def _kept(self, key: str, value: str) -> str:
        # A record keeps facts, not payloads: a 16 MB "name" is cut, and said to be.
        if len(value) <= MAX_KEPT_STRING:
            return value
        self.warnings.append(f"{key} is {len(value)} characters long: cut to {MAX_KEPT_STRING}")
        return value[:MAX_KEPT_STRING]

    def text(self, key: str) -> str | None:
        value = self.plist.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return self._kept(key, value)
        self._wrong(key, "a string")
        return None

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.plist.get(key)
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(self._kept(key, v) for v in value)
        self._wrong(key, "an array of strings")
        return ()

    def flag(self, key: str) -> bool | None:
        value = self.plist.get(key)
        if value is None or isinstance(value, bool):
            return value
        self._wrong(key, "a boolean")
        return None

    def integer(self, key: str) -> int | None:
        value = self.plist.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self._wrong(key, "an integer")
        return None

    def moment(self, key: str) -> datetime | None:
        value = self.plist.get(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            # plistlib returns naive datetimes that are UTC by definition of the format.
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        self._wrong(key, "a date")
        return None

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.plist.get(key)
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self._wrong(key, "a dictionary")
        return {}


def _certificates(plist: Mapping[str, Any], warnings: list[str]) -> tuple[Certificate, ...]:
    value = plist.get("DeveloperCertificates")
    if value is None:
        return ()
    if not isinstance(value, list):
        warnings.append(f"DeveloperCertificates is a {type(value).__name__}, expected an array")
        return ()
    certs = []
    for i, der in enumerate(value):
        if not isinstance(der, bytes):
            warnings.append(f"DeveloperCertificates[{i}] is a {type(der).__name__}, not data")
            continue
        try:
            certs.append(x509.certificate_from_der(der))
        except BudgetExceeded:
            raise
        except ArtifactError as exc:
            warnings.append(f"DeveloperCertificates[{i}] skipped: {_gist(exc.problem)}")
    return tuple(certs)


def profile_from_bytes(
    data: bytes,
    *,
    kind: ProfileFormat = Format.PROFILE,
    file: Any = None,
    member: str | None = None,
) -> ProvisioningProfile:
    """Build the record from a profile's bytes (CMS DER/BER, or a bare XML/binary plist)."""
    warnings: list[str] = []
    plist_bytes, bare = _unwrap(data)
    if bare:
        warnings.append(
            "profile is a bare plist without Apple's CMS signature: it was edited or extracted, "
            "and devices will not accept it"
        )
    plist = _load(plist_bytes, warnings)
    if not any(k in plist for k in ("ExpirationDate", "Entitlements", "TeamIdentifier", "UUID")):
        raise ArtifactError(
            "plist has none of ExpirationDate, Entitlements, TeamIdentifier, UUID: "
            "not a provisioning profile"
        )
    f = PlistFields(plist, warnings)
    entitlements = f.mapping("Entitlements")
    app_id = entitlements.get("application-identifier",
                              entitlements.get("com.apple.application-identifier"))
    if app_id is not None and not isinstance(app_id, str):
        warnings.append("application-identifier entitlement is not a string: ignored")
        app_id = None
    devices = f.texts("ProvisionedDevices")
    all_devices = f.flag("ProvisionsAllDevices") is True
    platforms = f.texts("Platform")
    kind_name, rule = signing_type(entitlements, devices, all_devices, platforms)
    return ProvisioningProfile(
        format=kind,
        file=file,
        member=member,
        Name=f.text("Name"),
        UUID=f.text("UUID"),
        AppIDName=f.text("AppIDName"),
        application_identifier=app_id,
        application_identifier_wildcard=bool(app_id and app_id.endswith("*")),
        TeamIdentifier=f.texts("TeamIdentifier"),
        TeamName=f.text("TeamName"),
        ApplicationIdentifierPrefix=f.texts("ApplicationIdentifierPrefix"),
        Platform=platforms,
        CreationDate=f.moment("CreationDate"),
        ExpirationDate=f.moment("ExpirationDate"),
        TimeToLive=f.integer("TimeToLive"),
        Version=f.integer("Version"),
        ProvisionsAllDevices=all_devices,
        ProvisionedDevices=devices,
        IsXcodeManaged=f.flag("IsXcodeManaged"),
        Entitlements=entitlements,
        DeveloperCertificates=_certificates(plist, warnings),
        signingType=kind_name,
        signing_rule=rule,
        bare_plist=bare,
        warnings=tuple(warnings),
    )


def bundle_id_matches(application_identifier: str, bundle_id: str) -> bool:
    """Whether ``bundle_id`` is covered by ``TEAMID.<pattern>`` (``*`` only as the last character,
    as the Developer portal allows: ``TEAMID.*``, ``TEAMID.com.acme.*``)."""
    _, _, pattern = application_identifier.partition(".")
    return covers(pattern, bundle_id)
