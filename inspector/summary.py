"""One view of any artifact: the facts an uploader or a gate needs, the same names for every format.

This is the only module that maps format-specific records (``package_name``, ``CFBundleIdentifier``,
``product_id``...) onto common fields; checks, the upload request and the reports build on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

# For ``inspector.records.Record`` and ``.Certificate`` in the public hints: resolved on demand,
# so that summarizing an APK loads no Apple record (and this module no certificate reader).
import inspector.records
from inspector.format import EMBEDDED_PROFILE, BuildPlatform, EmbeddedProfile, Format, Platform, format_of
from inspector.limits import MAX_INT_DIGITS
from inspector.records.base import FileInfo, days_left, expired

if TYPE_CHECKING:
    # Only the record being summarized is loaded: an APK run never loads the Apple records.
    from inspector.certs import Certificate
    from inspector.records.android import AndroidApp
    from inspector.records.apple import AppBundle, IpaApp, ProvisioningProfile
    from inspector.records.pkg import Pkg

    #: Every record :func:`inspector.inspect` returns.
    Record: TypeAlias = AndroidApp | IpaApp | ProvisioningProfile | Pkg

__all__ = [
    "BuildPlatform",
    "Expiry",
    "Platform",
    "Record",
    "Summary",
    "bundle_owner",
    "native_name",
    "summarize",
]

@dataclass(frozen=True, slots=True)
class Expiry:
    """One date after which something stops working: a certificate or a provisioning profile.

    ``owner`` says whose it is (``app``, a bundle path such as ``PlugIns/Widget.appex``, ``signer 1``,
    ``installer``); ``kind`` is ``certificate`` or ``profile``; ``name`` the certificate's subject
    common name or the profile's Name.
    """

    kind: Literal["certificate", "profile"]
    owner: str
    name: str | None
    not_after: datetime

    def days_left(self, now: datetime) -> int:
        return days_left(self.not_after, now)

    def expired(self, now: datetime) -> bool:
        return expired(self.not_after, now)

    @property
    def label(self) -> str:
        """``profile 'Fixture Ad Hoc' (app)``: what a report line names."""
        name = f" {self.name!r}" if self.name else ""
        return f"{self.kind}{name} ({self.owner})"

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        if now is None:
            return {}
        return {"days_left": self.days_left(now), "expired": self.expired(now)}


@dataclass(frozen=True, slots=True)
class Summary:
    """The cross-format facts of one artifact.

    ``version`` is the user-facing version (versionName, CFBundleShortVersionString, the PKG app's
    short version); ``build`` the build number as written (versionCode, CFBundleVersion) and
    ``build_number`` the same as an integer when it is one. ``min_os`` is text (``21``, ``15.0``,
    ``11.0``); ``target_sdk`` is Android's only. ``signing_type`` is the Apple profile's
    (development, ad-hoc, enterprise, app-store, developer-id). ``certificates`` are the signing
    certificates, leaf first. ``expiries`` lists every dated thing, soonest first. ``icon`` is the
    member inspector would extract. ``build_platform`` is the Applivery ``buildPlatform`` value
    the artifact maps to, None when it maps to none (a profile, a tvOS or watchOS app).
    """

    format: Format | EmbeddedProfile
    file: FileInfo
    platform: Platform | None
    form_factors: tuple[str, ...]
    device_families: tuple[str, ...]
    identifier: str | None
    display_name: str | None
    version: str | None
    build: str | None
    build_number: int | None
    min_os: str | None
    target_sdk: int | None
    signed: bool
    debuggable: bool | None
    signing_type: str | None
    team_id: str | None
    certificates: tuple[inspector.records.Certificate, ...]
    expiries: tuple[Expiry, ...]
    icon: str | None
    build_platform: BuildPlatform | None
    #: The whole artifact's signatures verified (True), did not (False), or were not checked.
    verified: bool | None = None

    @property
    def ipad_capable(self) -> bool:
        return "iPad" in self.device_families

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"ipad_capable": self.ipad_capable}


# Summary field -> the name each format's users know it by, for messages and reports.
_ANDROID_NAMES = {"identifier": "package", "version": "versionName", "build": "versionCode",
                  "min_os": "minSdkVersion", "display_name": "label"}
_NATIVE_NAMES: dict[Format, dict[str, str]] = {
    Format.APK: _ANDROID_NAMES,
    Format.AAB: _ANDROID_NAMES,
    Format.IPA: {"identifier": "CFBundleIdentifier", "version": "CFBundleShortVersionString",
                 "build": "CFBundleVersion", "min_os": "MinimumOSVersion",
                 "display_name": "CFBundleDisplayName"},
    Format.PROFILE: {"identifier": "application-identifier", "display_name": "AppIDName"},
    Format.PKG: {"identifier": "CFBundleIdentifier", "version": "CFBundleShortVersionString",
                 "build": "CFBundleVersion", "min_os": "LSMinimumSystemVersion",
                 "display_name": "CFBundleDisplayName"},
}


def native_name(summary: Summary, field: str) -> str:
    """The format's own name for a Summary field (``identifier`` is ``package`` in an APK)."""
    return _NATIVE_NAMES[format_of(summary.format)].get(field, field)


def summarize(record: inspector.records.Record) -> Summary:
    """The :class:`Summary` of any record returned by :func:`inspector.inspect`."""
    make = _BY_FORMAT.get(getattr(record, "format", None))  # type: ignore[arg-type]
    if make is None:
        raise TypeError(f"not an inspector record: {type(record).__name__}")
    summary = make(record)
    verification = getattr(record, "verification", None)
    if verification is None:
        return summary
    return dataclasses.replace(summary, verified=verification.verified)


def __getattr__(name: str) -> Any:
    # ``Record`` at run time (``inspector.Record``, isinstance checks): it loads every record module.
    if name == "Record":
        return inspector.records.Record
    raise AttributeError(f"module 'inspector.summary' has no attribute {name!r}")


def _number(text: str | None) -> int | None:
    # More than 20 digits is not a build number (and int() of thousands of digits raises).
    plain = text is not None and text.isascii() and text.isdigit() and len(text) <= MAX_INT_DIGITS
    return int(text) if plain and text is not None else None


def _sorted(expiries: list[Expiry]) -> tuple[Expiry, ...]:
    return tuple(sorted(expiries, key=lambda e: e.not_after))


# -- Android -----------------------------------------------------------------------------------

# uses-feature name -> form factor it marks (https://developer.android.com/guide/topics/manifest)
_FORM_FACTOR_FEATURES = {
    "android.software.leanback": "tv",
    "android.hardware.type.watch": "wear",
    "android.hardware.type.automotive": "automotive",
}


def form_factors(record: AndroidApp) -> tuple[str, ...]:
    """``phone/tablet``, ``tv``, ``wear``, ``automotive``, from the manifest's uses-feature.

    A feature marks its form factor whether required or not (leanback not required: a phone app
    that also runs on TV); the app runs on phones and tablets unless one of them is required.
    """
    found = [(_FORM_FACTOR_FEATURES[f.name], f.required) for f in record.features
             if f.name in _FORM_FACTOR_FEATURES]
    out = [] if any(required for _, required in found) else ["phone/tablet"]
    for factor, _ in found:
        if factor not in out:
            out.append(factor)
    return tuple(out)


def _android(record: AndroidApp) -> Summary:
    certs = record.signing.certificates
    expiries = [
        Expiry("certificate", f"signer {i}", cert.common_name or cert.subject, cert.not_after)
        for i, cert in enumerate(certs, 1)
    ]
    best = record.icon.best
    return Summary(
        format=record.format,
        file=record.file,
        platform=record.format.info.platform,
        form_factors=form_factors(record),
        device_families=(),
        identifier=record.package_name,
        display_name=record.label.default,
        version=record.version_name,
        build=None if record.version_code is None else str(record.version_code),
        build_number=record.version_code,
        min_os=None if record.min_sdk is None else str(record.min_sdk),
        target_sdk=record.target_sdk,
        signed=record.signing.signed,
        debuggable=record.debuggable,
        signing_type=None,
        team_id=None,
        certificates=certs,
        expiries=_sorted(expiries),
        icon=best.path if best else None,
        build_platform=record.format.info.build_platform,
    )


# -- Apple -------------------------------------------------------------------------------------

_DT_PLATFORMS: dict[str, Platform] = {
    "iphoneos": "ios", "iphonesimulator": "ios", "appletvos": "tvos", "appletvsimulator": "tvos",
    "watchos": "watchos", "watchsimulator": "watchos", "xros": "visionos",
    "xrsimulator": "visionos", "macosx": "macos",
}
_SUPPORTED_PLATFORMS: dict[str, Platform] = {
    "iphoneos": "ios", "iphonesimulator": "ios", "appletvos": "tvos", "watchos": "watchos",
    "xros": "visionos", "macosx": "macos",
}
_APPLE_BUILD_PLATFORMS: dict[Platform, BuildPlatform] = {"ios": "ios", "macos": "macos"}


def apple_platform(bundle: AppBundle) -> Platform | None:
    """The platform a bundle is built for: ``DTPlatformName``, else ``CFBundleSupportedPlatforms``,
    else the device families (Watch, TV), else iOS when it names any iOS device."""
    if bundle.DTPlatformName and bundle.DTPlatformName.lower() in _DT_PLATFORMS:
        return _DT_PLATFORMS[bundle.DTPlatformName.lower()]
    for name in bundle.CFBundleSupportedPlatforms:
        if name.lower() in _SUPPORTED_PLATFORMS:
            return _SUPPORTED_PLATFORMS[name.lower()]
    families = set(bundle.UIDeviceFamily)
    if families == {"Watch"}:
        return "watchos"
    if families == {"TV"}:
        return "tvos"
    if families & {"iPhone", "iPad"}:
        return "ios"
    return None


def _profile_expiry(profile: ProvisioningProfile, owner: str) -> list[Expiry]:
    if profile.ExpirationDate is None:
        return []
    return [Expiry("profile", owner, profile.Name, profile.ExpirationDate)]


def bundle_owner(record: IpaApp, bundle: AppBundle) -> str:
    """How reports and findings name a bundle of an IPA: ``app``, or its path inside the app
    (``PlugIns/Widget.appex``)."""
    return "app" if bundle is record.app else bundle.path.removeprefix(record.app.path).rstrip("/")


def _ipa(record: IpaApp) -> Summary:
    app = record.app
    expiries: list[Expiry] = []
    certs: list[Certificate] = []
    for bundle in record.bundles:
        owner = bundle_owner(record, bundle)
        if bundle.mobileprovision is not None:
            expiries += _profile_expiry(bundle.mobileprovision, owner)
        sig = bundle.code_signature
        if sig is not None and sig.certificate is not None:
            cert = sig.certificate
            if all(c.sha256 != cert.sha256 for c in certs):
                certs.append(cert)
                expiries.append(Expiry("certificate", owner, cert.common_name or cert.subject,
                                       cert.not_after))
    profile = app.mobileprovision
    sig = app.code_signature
    platform = apple_platform(app)
    return Summary(
        format=Format.IPA,
        file=record.file,
        platform=platform,
        form_factors=(),
        device_families=app.UIDeviceFamily,
        identifier=app.CFBundleIdentifier,
        display_name=app.CFBundleDisplayName or app.CFBundleName,
        version=app.CFBundleShortVersionString,
        build=app.CFBundleVersion,
        build_number=_number(app.CFBundleVersion),
        min_os=app.MinimumOSVersion,
        target_sdk=None,
        signed=sig is not None and not sig.adhoc,
        debuggable=None if profile is None else profile.Entitlements.get("get-task-allow") is True,
        signing_type=None if profile is None else profile.signingType,
        team_id=(profile.team_id if profile is not None else sig.team_id if sig else None),
        certificates=tuple(certs),
        expiries=_sorted(expiries),
        icon=app.icon,
        build_platform=_APPLE_BUILD_PLATFORMS.get(platform) if platform else None,
    )


def _profile(record: ProvisioningProfile) -> Summary:
    platform: Platform = "macos" if record.is_macos else "ios"
    bundle_id = None
    if record.application_identifier:
        bundle_id = record.application_identifier.partition(".")[2] or None
    expiries = _profile_expiry(record, "profile")
    expiries += [Expiry("certificate", "profile", c.common_name or c.subject, c.not_after)
                 for c in record.DeveloperCertificates]
    return Summary(
        format=record.format,
        file=record.file if record.file is not None else FileInfo(record.member or "", "", 0),
        platform=platform,
        form_factors=(),
        device_families=(),
        identifier=bundle_id,
        display_name=record.AppIDName,
        version=None,
        build=None,
        build_number=None,
        min_os=None,
        target_sdk=None,
        signed=not record.bare_plist,
        debuggable=record.Entitlements.get("get-task-allow") is True,
        signing_type=record.signingType,
        team_id=record.team_id,
        certificates=record.DeveloperCertificates,
        expiries=_sorted(expiries),
        icon=None,
        build_platform=Format.PROFILE.info.build_platform,
    )


def _pkg(record: Pkg) -> Summary:
    app = record.app
    chain = record.signature.chain
    expiries = [
        Expiry("certificate", "installer" if i == 0 else f"installer chain {i}",
               cert.common_name or cert.subject, cert.not_after)
        for i, cert in enumerate(chain)
    ]
    version = app.CFBundleShortVersionString if app else None
    build = app.CFBundleVersion if app else None
    # No app (a command-line tool): the product's facts, else the first component's.
    first = record.components[0] if record.components else None
    return Summary(
        format=Format.PKG,
        file=record.file,
        platform=Format.PKG.info.platform,
        form_factors=(),
        device_families=(),
        identifier=((app.CFBundleIdentifier if app else None) or record.product_id
                    or (first.identifier if first else None)),
        display_name=(app.CFBundleDisplayName or app.CFBundleName if app else None) or record.title,
        version=version or record.product_version or (first.version if first else None),
        build=build,
        build_number=_number(build),
        min_os=(app.LSMinimumSystemVersion if app and app.LSMinimumSystemVersion
                else record.minimum_os),
        target_sdk=None,
        signed=record.signature.signed,
        debuggable=None,
        signing_type=None,
        team_id=record.signature.team_id,
        certificates=chain,
        expiries=_sorted(expiries),
        icon=None,
        build_platform=Format.PKG.info.build_platform,
    )


_BY_FORMAT: dict[Format | EmbeddedProfile, Callable[[Any], Summary]] = {
    Format.APK: _android, Format.AAB: _android, Format.IPA: _ipa, Format.PROFILE: _profile,
    EMBEDDED_PROFILE: _profile, Format.PKG: _pkg}
