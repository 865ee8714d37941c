"""Rules for IPAs, provisioning profiles and PKGs: what makes an Apple build installable outside
the App Store, and what a release expects of its profile, team, devices and extensions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from inspector.checks._rule import Rule, rule
from inspector.checks.expectations import DEFAULT_SIGNING_TYPES, Expectations
from inspector.checks.findings import Finding
from inspector.format import Format
from inspector.records.apple import IpaApp, ProvisioningProfile
from inspector.records.pkg import Pkg
from inspector.records.verification import Verification
from inspector.summary import Summary, bundle_owner

__all__ = ["RULES"]

RULES: list[Rule] = []


def _profiles(record: Any) -> list[tuple[str, ProvisioningProfile]]:
    """(owner, profile) for a standalone profile, or for every bundle of an IPA that has one."""
    if isinstance(record, ProvisioningProfile):
        return [("profile", record)]
    return [(bundle_owner(record, b), b.mobileprovision) for b in record.bundles
            if b.mobileprovision is not None]


@rule(RULES, "IOS001", "a provisioning profile is embedded", (Format.IPA,))
def _has_profile(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                 ) -> Iterator[Finding]:
    if ipa.app.mobileprovision is None and not ipa.encrypted:
        yield r.finding("error", "embedded.mobileprovision", "the app has no embedded "
                        "provisioning profile: no device outside the App Store will install it",
                        "a profile", "none")


@rule(RULES, "IOS002", "signing type is allowed", (Format.IPA, Format.PROFILE))
def _signing_type(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                  ) -> Iterator[Finding]:
    allowed = e.signing_type or DEFAULT_SIGNING_TYPES
    for owner, profile in _profiles(record):
        kind = profile.signingType
        if kind in allowed:
            continue
        why = (": such a build installs only through the App Store (TestFlight included), "
               "not from a distribution service" if kind == "app-store" else "")
        yield r.finding("error", f"signingType ({owner})",
                        f"profile {profile.Name!r} ({owner}) is {kind}, allowed: "
                        f"{', '.join(allowed)}{why}", ", ".join(allowed), kind)


@rule(RULES, "IOS003", "bundle id is covered by the profile's app id", (Format.IPA,))
def _bundle_id(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    for bundle in ipa.bundles:
        profile = bundle.mobileprovision
        if bundle.bundle_id_matches_profile is False and profile is not None:
            yield r.finding("error", f"CFBundleIdentifier ({bundle_owner(ipa, bundle)})",
                            f"bundle id {bundle.CFBundleIdentifier!r} ({bundle_owner(ipa, bundle)}) is not "
                            f"covered by the profile's app id {profile.application_identifier!r}",
                            profile.application_identifier, bundle.CFBundleIdentifier)


@rule(RULES, "IOS004", "signing certificate is in the profile", (Format.IPA,))
def _cert_in_profile(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                     ) -> Iterator[Finding]:
    for bundle in ipa.bundles:
        sig = bundle.code_signature
        if bundle.certificate_in_profile is False and sig is not None and sig.certificate:
            cert = sig.certificate
            yield r.finding("error", f"signing certificate ({bundle_owner(ipa, bundle)})",
                            f"{bundle_owner(ipa, bundle)} is signed by {cert.common_name or cert.subject!r} "
                            f"(SHA-1 {cert.sha1}), which is not among the profile's "
                            "DeveloperCertificates: devices refuse it",
                            "a profile certificate", cert.sha1)


@rule(RULES, "IOS005", "every extension has its own profile", (Format.IPA,))
def _extension_profile(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                       ) -> Iterator[Finding]:
    if ipa.app.mobileprovision is None:
        return  # IOS001 says it for the app; an unprofiled app's extensions say nothing more
    for bundle in ipa.nested_bundles:
        if bundle.mobileprovision is None:
            yield r.finding("error", f"embedded.mobileprovision ({bundle_owner(ipa, bundle)})",
                            f"{bundle_owner(ipa, bundle)} has no embedded provisioning profile: "
                            "the app will not install", "a profile", "none")


@rule(RULES, "IOS006", "every extension's team is the app's", (Format.IPA,))
def _extension_team(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                    ) -> Iterator[Finding]:
    app_profile = ipa.app.mobileprovision
    if app_profile is None or app_profile.team_id is None:
        return
    for bundle in ipa.nested_bundles:
        profile = bundle.mobileprovision
        if profile is not None and profile.team_id not in (None, app_profile.team_id):
            yield r.finding("error", f"TeamIdentifier ({bundle_owner(ipa, bundle)})",
                            f"{bundle_owner(ipa, bundle)}'s profile belongs to team {profile.team_id}, "
                            f"the app's to {app_profile.team_id}",
                            app_profile.team_id, profile.team_id)


@rule(RULES, "IOS007", "every extension has the app's version", (Format.IPA,))
def _extension_version(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                       ) -> Iterator[Finding]:
    version = ipa.app.CFBundleShortVersionString
    for bundle in ipa.nested_bundles:
        if bundle.CFBundleShortVersionString != version:
            yield r.finding("warning", f"CFBundleShortVersionString ({bundle_owner(ipa, bundle)})",
                            f"{bundle_owner(ipa, bundle)} has CFBundleShortVersionString "
                            f"{bundle.CFBundleShortVersionString!r}, the app {version!r}",
                            version, bundle.CFBundleShortVersionString)


@rule(RULES, "IOS008", "required devices are provisioned", (Format.IPA, Format.PROFILE),
      needs=("require_device",))
def _devices(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
             ) -> Iterator[Finding]:
    if not e.require_device:
        return
    profiles = _profiles(record)
    if isinstance(record, IpaApp):
        profiles = profiles[:1] if record.app.mobileprovision is not None else []
    for owner, profile in profiles:
        if profile.ProvisionsAllDevices:
            continue
        have = {d.lower() for d in profile.ProvisionedDevices}
        for udid in e.require_device:
            if udid.lower() not in have:
                yield r.finding("error", f"ProvisionedDevices ({owner})",
                                f"device {udid} is not in profile {profile.Name!r} ({owner}), "
                                f"which lists {len(have)}", udid, f"{len(have)} devices")


@rule(RULES, "IOS009", "the app is code-signed with a certificate", (Format.IPA,))
def _code_signed(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                 ) -> Iterator[Finding]:
    sig = ipa.app.code_signature
    if ipa.encrypted:
        return
    if sig is None:
        yield r.finding("error", "code signature", "the app's executable has no code signature",
                        "signed", "unsigned")
    elif sig.adhoc or sig.certificate is None:
        yield r.finding("error", "code signature", "the app is ad-hoc code-signed (no "
                        "certificate): only a simulator or a jailbroken device runs it",
                        "signed with a certificate", "ad-hoc")


@rule(RULES, "IOS010", "not an encrypted App Store copy", (Format.IPA,))
def _encrypted(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    if ipa.encrypted:
        yield r.finding("error", "SC_Info", "this is an App Store download (FairPlay-encrypted, "
                        "SC_Info/): it installs only from the App Store", "a distribution build",
                        "App Store copy")


@rule(RULES, "IOS011", "every framework is signed by the app's team", (Format.IPA,))
def _framework_team(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                    ) -> Iterator[Finding]:
    sig = ipa.app.code_signature
    team = sig.team_id if sig is not None and sig.team_id else s.team_id
    if team is None or ipa.encrypted:
        return
    for bundle in ipa.bundles:
        for fw in bundle.frameworks:
            where = f"{bundle_owner(ipa, bundle)}: {fw.path}" if bundle is not ipa.app else fw.path
            if fw.adhoc:
                yield r.finding("error", f"code signature ({where})", f"{where} is ad-hoc signed: "
                                "devices refuse code not signed by the app's team", team, "ad-hoc")
            elif fw.team_id is not None and fw.team_id != team:
                yield r.finding("error", f"code signature ({where})",
                                f"{where} is signed by team {fw.team_id}, the app by {team}: "
                                "devices refuse it (re-sign it when exporting)", team, fw.team_id)


#: Failure schemes of an Apple code signature and its seals (inspector/verify/), SIG002's.
_CODE_SCHEMES = frozenset({"code-signature", "resource-seal"})
_SHOWN_FAILURES = 3


def _verified_units(ipa: IpaApp) -> Iterator[tuple[str, Verification]]:
    """(owner, verification) of every bundle, then of each of its frameworks and dylibs."""
    for bundle in ipa.bundles:
        owner = bundle_owner(ipa, bundle)
        if bundle.verification is not None:
            yield owner, bundle.verification
        for fw in bundle.frameworks:
            if fw.verification is not None:
                yield (f"{owner}: {fw.path}" if owner != "app" else fw.path), fw.verification


@rule(RULES, "SIG002", "the code signatures, page hashes, special slots and resource seals "
      "verify", (Format.IPA,))
def _code_verified(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                   ) -> Iterator[Finding]:
    for owner, verification in _verified_units(ipa):
        failed = [f for f in verification.failures if f.scheme in _CODE_SCHEMES]
        if not failed:
            continue
        shown = "; ".join(f.describe() for f in failed[:_SHOWN_FAILURES])
        more = f"; and {len(failed) - _SHOWN_FAILURES} more" if len(failed) > _SHOWN_FAILURES else ""
        yield r.finding("error", f"code signature ({owner})",
                        f"{owner}: {len(failed)} check{'s' if len(failed) > 1 else ''} of its "
                        f"code signature or resource seals failed (a device refuses to install "
                        f"it): {shown}{more}", "verified", "failed")


@rule(RULES, "SIG003", "the signed entitlements are allowed by the profile", (Format.IPA,))
def _entitlements_allowed(r: Rule, s: Summary, ipa: IpaApp, e: Expectations, now: datetime
                          ) -> Iterator[Finding]:
    for owner, verification in _verified_units(ipa):
        for failure in verification.failures:
            if failure.scheme == "entitlements":
                yield r.finding("error", f"entitlements ({owner}): {failure.slot}",
                                f"{owner}: {failure.message}: a device refuses to install it",
                                "allowed by the profile", failure.slot)


@rule(RULES, "SIG004", "the profiles' signatures and the installer package's checksums and "
      "signature verify", (Format.IPA, Format.PROFILE, Format.PKG))
def _profile_or_pkg_verified(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                             ) -> Iterator[Finding]:
    # Not checked (--no-verify) is no finding.
    if isinstance(record, Pkg):
        # One finding per failure, each naming the member: the TOC checksum, a member's archived
        # or extracted checksum, or a signature.
        verification = record.verification
        if verification is None or verification.verified is not False:
            return
        for failure in verification.failures:
            yield r.finding("error", failure.member or "verification",
                            failure.describe(), "verifies", "does not verify")
        return
    for owner, profile in _profiles(record):
        verification = profile.verification
        if verification is None or verification.verified is not False:
            continue
        shown = "; ".join(f.describe() for f in verification.failures[:_SHOWN_FAILURES])
        yield r.finding("error", f"profile signature ({owner})",
                        f"profile {profile.Name!r} ({owner}): its CMS signature does not verify "
                        f"(changed after signing?): {shown}", "verified", "failed")


@rule(RULES, "PKG001", "the installer package is signed", (Format.PKG,))
def _pkg_signed(r: Rule, s: Summary, pkg: Pkg, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if not pkg.signature.signed:
        yield r.finding("error" if e.require_signed else "warning", "signature",
                        "the package is not signed: Gatekeeper blocks it unless the user "
                        "overrides it", "Developer ID Installer", "unsigned")


@rule(RULES, "UPL001", "the upload can name the package", (Format.PKG,))
def _package_fields(r: Rule, s: Summary, pkg: Pkg, e: Expectations, now: datetime
                    ) -> Iterator[Finding]:
    # Applivery does not process a PKG itself: the upload must send packageName and packageVersion.
    missing = [name for name, value in (("packageName", s.identifier), ("packageVersion", s.version))
               if not value]
    if missing:
        yield r.finding("warning", ", ".join(missing), f"no {' or '.join(missing)} can be read "
                        "from the package: the upload needs them given (--package-name, "
                        "--package-version)", "known", "unknown")
