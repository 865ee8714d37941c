"""The records of Apple builds: provisioning profiles, app bundles, and the IPA that holds them.

Field names are Apple's own keys (``CFBundleIdentifier``, ``ExpirationDate``, ``TeamIdentifier``,
``ProvisionedDevices``, ``signingType``...) so that the JSON reads like what Xcode, the profile
plist and Applivery show, and a user can compare them key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from inspector.certs import Certificate
from inspector.format import Format, ProfileFormat
from inspector.records.base import FileInfo, days_left, expired
from inspector.records.contents import Contents
from inspector.records.frozen import FrozenMap, freeze
from inspector.records.verification import Verification

__all__ = [
    "SIGNING_TYPE_RULE",
    "SIGNING_TYPE_RULE_MACOS",
    "AppBundle",
    "CodeSignature",
    "EmbeddedCode",
    "IconImage",
    "IpaApp",
    "ProvisioningProfile",
    "SigningType",
    "is_macos_platform",
]

#: The rule that names an iOS-family profile's signing type, printed beside every result.
SIGNING_TYPE_RULE = (
    "get-task-allow true -> development; else ProvisionedDevices non-empty -> ad-hoc; "
    "else ProvisionsAllDevices true -> enterprise; else app-store"
)
#: The rule for a macOS profile (``Platform`` OSX): Mac profiles have no ad-hoc or enterprise kind;
#: a profile listing devices is for development, one for all devices is Developer ID.
SIGNING_TYPE_RULE_MACOS = (
    "ProvisionedDevices non-empty -> development; else ProvisionsAllDevices true -> developer-id; "
    "else app-store"
)

SigningType = Literal["development", "ad-hoc", "enterprise", "app-store", "developer-id"]
BundleKind = Literal["app", "extension", "watch-app", "nested-app"]


def is_macos_platform(platforms: tuple[str, ...]) -> bool:
    """Whether a profile's ``Platform`` list is the Mac's (``OSX``) and names no iOS platform."""
    names = {p.lower() for p in platforms}
    return "osx" in names and not names & {"ios", "tvos", "watchos", "xros", "visionos"}


@dataclass(frozen=True, slots=True)
class ProvisioningProfile:
    """A provisioning profile, standalone (``format`` :attr:`Format.PROFILE`) or embedded in a bundle
    (``format`` :data:`~inspector.format.EMBEDDED_PROFILE`, ``file`` None and ``member`` its path
    in the archive).

    ``application_identifier`` is the ``application-identifier`` entitlement (``TEAMID.bundle.id``,
    or a wildcard such as ``TEAMID.*``); ``signingType`` follows :data:`SIGNING_TYPE_RULE` and
    ``signing_rule`` says which branch of it applied (:data:`SIGNING_TYPE_RULE_MACOS` for a macOS
    profile). ``bare_plist`` is True when the profile had
    no CMS signature around it (Apple always signs profiles: such a file was edited or extracted).
    Dates are timezone-aware UTC.
    """

    format: ProfileFormat
    file: FileInfo | None
    member: str | None
    Name: str | None
    UUID: str | None
    AppIDName: str | None
    application_identifier: str | None
    application_identifier_wildcard: bool
    TeamIdentifier: tuple[str, ...]
    TeamName: str | None
    ApplicationIdentifierPrefix: tuple[str, ...]
    Platform: tuple[str, ...]
    CreationDate: datetime | None
    ExpirationDate: datetime | None
    TimeToLive: int | None
    Version: int | None
    ProvisionsAllDevices: bool
    ProvisionedDevices: tuple[str, ...]
    IsXcodeManaged: bool | None
    Entitlements: Mapping[str, Any]
    DeveloperCertificates: tuple[Certificate, ...]
    signingType: SigningType
    signing_rule: str
    bare_plist: bool = False
    warnings: tuple[str, ...] = ()
    #: Whether the signatures verified (None: not checked, and why). See records/verification.py.
    verification: Verification | None = None

    def __post_init__(self) -> None:
        # Read-only all the way down, so the record is immutable and hashable (records/frozen.py).
        object.__setattr__(self, "Entitlements", freeze(self.Entitlements))

    @property
    def team_id(self) -> str | None:
        """The team: first of ``TeamIdentifier``, else of ``ApplicationIdentifierPrefix``."""
        ids = self.TeamIdentifier or self.ApplicationIdentifierPrefix
        return ids[0] if ids else None

    @property
    def is_macos(self) -> bool:
        """A Mac profile: ``Platform`` names OSX and no iOS-family platform."""
        return is_macos_platform(self.Platform)

    @property
    def signing_type_rule(self) -> str:
        return SIGNING_TYPE_RULE_MACOS if self.is_macos else SIGNING_TYPE_RULE

    @property
    def device_count(self) -> int:
        return len(self.ProvisionedDevices)

    def days_left(self, now: datetime) -> int | None:
        """Whole days from ``now`` until ``ExpirationDate`` (negative once expired)."""
        if self.ExpirationDate is None:
            return None
        return days_left(self.ExpirationDate, now)

    def is_expired(self, now: datetime) -> bool | None:
        if self.ExpirationDate is None:
            return None
        return expired(self.ExpirationDate, now)

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        extras: dict[str, object] = {
            "team_id": self.team_id,
            "device_count": self.device_count,
            "signing_type_rule": self.signing_type_rule,
        }
        if now is not None:
            extras["days_left"] = self.days_left(now)
            extras["expired"] = self.is_expired(now)
        return extras


@dataclass(frozen=True, slots=True)
class CodeSignature:
    """What the executable's Mach-O code signature says, over every architecture slice.

    ``certificate`` is the certificate that signed the CMS blob (None for ad-hoc signatures);
    ``entitlements`` the signed entitlements plist. When slices disagree the first one is
    reported and the record's warnings say so.
    """

    member: str
    archs: tuple[str, ...]
    identifier: str | None
    team_id: str | None
    cd_hash_type: str | None
    adhoc: bool
    certificate: Certificate | None
    entitlements: Mapping[str, Any] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        # Read-only all the way down, so the record is immutable and hashable (records/frozen.py).
        object.__setattr__(self, "entitlements", freeze(self.entitlements))


@dataclass(frozen=True, slots=True)
class EmbeddedCode:
    """A framework (``Frameworks/X.framework``) or dylib (``Frameworks/libX.dylib``) of a bundle.

    ``path`` is relative to the bundle; the ``CFBundle*`` values come from a framework's own
    Info.plist; ``team_id`` and ``signed_by`` from its code signature (None when unsigned, ad-hoc,
    or not read: the record's warnings say which). Every piece of code in an app must be signed
    by the app's team (or Apple) for the app to install.
    """

    path: str
    kind: Literal["framework", "dylib"]
    CFBundleIdentifier: str | None
    CFBundleShortVersionString: str | None
    CFBundleVersion: str | None
    team_id: str | None
    signed_by: str | None
    adhoc: bool | None
    #: Its code signature and seals verified (None: not checked, and why).
    verification: Verification | None = None


@dataclass(frozen=True, slots=True)
class IconImage:
    """One icon file of an app bundle (``Payload/App.app/AppIcon60x60@3x.png``): ``format``
    (``png``, Apple's CgBI variant included), ``width`` and ``height`` as its header gives them,
    all None when the header could not be read."""

    path: str
    format: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class AppBundle:
    """One bundle of an IPA: the app itself, an app extension, a watch app or a nested app.

    ``path`` is the bundle folder in the archive (``Payload/App.app/``). The ``CF*``, ``DT*``,
    ``MinimumOSVersion`` fields are the Info.plist values as written; ``UIDeviceFamily`` has the
    numbers turned into names (iPhone, iPad...). ``CFBundleIconFiles`` lists every icon name from
    ``CFBundleIcons``, ``CFBundleIcons~ipad`` and the legacy ``CFBundleIconFiles``/``CFBundleIconFile``;
    ``icon`` is the member of the largest one, and ``icon_only_in_assets_car`` is True when the
    icon exists only in the compiled asset catalog, which inspector cannot render.
    ``icon_images`` lists every file of the bundle those names match, with its pixel size.
    ``certificate_in_profile`` / ``bundle_id_matches_profile`` are None when either side is unknown.

    ``url_schemes`` are every ``CFBundleURLTypes`` scheme; ``ats_*`` come from
    ``NSAppTransportSecurity``; ``usage_descriptions`` holds the ``NS*UsageDescription`` keys;
    ``privacy_manifest`` is the ``PrivacyInfo.xcprivacy`` member when present; ``capabilities``
    names what the signed entitlements (else the profile's) turn on. ``info_plist`` is the whole
    Info.plist, read-only.
    """

    kind: BundleKind
    path: str
    CFBundleIdentifier: str | None
    CFBundleShortVersionString: str | None
    CFBundleVersion: str | None
    CFBundleDisplayName: str | None
    CFBundleName: str | None
    CFBundleExecutable: str | None
    MinimumOSVersion: str | None
    CFBundleSupportedPlatforms: tuple[str, ...]
    UIDeviceFamily: tuple[str, ...]
    DTPlatformName: str | None
    DTSDKName: str | None
    DTXcode: str | None
    CFBundleIconName: str | None
    CFBundleIconFiles: tuple[str, ...]
    icon: str | None
    icon_only_in_assets_car: bool
    mobileprovision: ProvisioningProfile | None
    code_signature: CodeSignature | None
    certificate_in_profile: bool | None
    bundle_id_matches_profile: bool | None
    icon_images: tuple[IconImage, ...] = ()
    url_schemes: tuple[str, ...] = ()
    LSApplicationQueriesSchemes: tuple[str, ...] = ()
    UIBackgroundModes: tuple[str, ...] = ()
    UIRequiredDeviceCapabilities: tuple[str, ...] = ()
    ats_allows_arbitrary_loads: bool | None = None
    ats_exception_domains: tuple[str, ...] = ()
    usage_descriptions: Mapping[str, str] = field(default_factory=FrozenMap)
    privacy_manifest: str | None = None
    frameworks: tuple[EmbeddedCode, ...] = ()
    capabilities: tuple[str, ...] = ()
    info_plist: Mapping[str, Any] = field(default_factory=FrozenMap, repr=False)
    #: This bundle's code signature (every slice), resource seals and entitlements against its
    #: profile verified (None: not checked, and why). Frameworks carry their own.
    verification: Verification | None = None

    def __post_init__(self) -> None:
        # Read-only all the way down, so the record is immutable and hashable (records/frozen.py).
        object.__setattr__(self, "usage_descriptions", FrozenMap(self.usage_descriptions))
        object.__setattr__(self, "info_plist", freeze(self.info_plist))


@dataclass(frozen=True, slots=True)
class IpaApp:
    """An iOS app archive: the app bundle, every bundle nested in it, and what was found wrong.

    ``encrypted`` is True for App Store (FairPlay) copies, recognised by their ``SC_Info/`` folder;
    ``itunes_metadata`` when the archive holds ``iTunesMetadata.plist`` (an App Store download).
    """

    format: Literal[Format.IPA]
    file: FileInfo
    app: AppBundle
    nested_bundles: tuple[AppBundle, ...]
    encrypted: bool
    warnings: tuple[str, ...] = ()
    #: Whether the signatures verified (None: not checked, and why). See records/verification.py.
    verification: Verification | None = None
    itunes_metadata: bool = False
    #: Members by size category and the icon's digest (None: not measured). records/contents.py.
    contents: Contents | None = None

    @property
    def bundles(self) -> tuple[AppBundle, ...]:
        """The app first, then every nested bundle."""
        return (self.app, *self.nested_bundles)
