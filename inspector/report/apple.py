"""Text report of an IPA or a provisioning profile: what a release engineer checks first (bundle
id, versions, team, signing type and why, profile expiry, devices, certificate match), then details.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from inspector.certs import Certificate
from inspector.format import EMBEDDED_PROFILE
from inspector.records.apple import AppBundle, IpaApp, ProvisioningProfile
from inspector.records.verification import Verification
from inspector.report import header
from inspector.report.text import Block, when

__all__ = ["MAX_DEVICES_SHOWN", "render", "xcode_version"]

#: Profiles list up to 100 (or more) UDIDs; the first few tell the story, the count the rest.
MAX_DEVICES_SHOWN = 10

_KIND_TITLES = {"extension": "App extension", "watch-app": "Watch app", "nested-app": "Nested app"}


def render(record: IpaApp | ProvisioningProfile, now: datetime | None, *,
           verbose: bool = False) -> Block:
    """Facts first, then the signing certificate and the profile's summary; the long lists
    (device UDIDs, every developer certificate, entitlements) with ``verbose``. The signing-type
    rule is printed once, at the end, whatever the number of bundles."""
    block = header(record)
    if isinstance(record, ProvisioningProfile):
        _profile_facts(block, record, now)
        _profile_details(block, record, now, verbose)
        _rules(block, [record])
        return block
    block.add("Encrypted", "YES (App Store copy: SC_Info/)" if record.encrypted else "no")
    if record.verification is not None:
        block.add("Verified", _verified_summary(record))
    if record.itunes_metadata:
        block.add("iTunesMetadata", "present (an App Store download)")
    _bundle(block, record.app, now, verbose)
    for nested in record.nested_bundles:
        title = _KIND_TITLES.get(nested.kind, nested.kind)
        _bundle(block.child(f"{title}: {nested.path}"), nested, now, verbose)
    _rules(block, [b.mobileprovision for b in record.bundles if b.mobileprovision is not None])
    return block


def _rules(block: Block, profiles: list[ProvisioningProfile]) -> None:
    rules = list(dict.fromkeys(p.signing_type_rule for p in profiles))
    if rules:
        block.child("Signing type rule").rows.extend(("-", rule) for rule in rules)


def xcode_version(dt_xcode: str | None) -> str | None:
    """``DTXcode`` as people say it: ``0730`` is Xcode 7.3, ``1501`` Xcode 15.0.1, ``1620`` 16.2."""
    if not dt_xcode:
        return None
    if not (dt_xcode.isascii() and dt_xcode.isdigit() and len(dt_xcode) == 4):
        return f"Xcode {dt_xcode}"
    major, minor, patch = int(dt_xcode[:2]), int(dt_xcode[2]), int(dt_xcode[3])
    return f"Xcode {major}.{minor}" + (f".{patch}" if patch else "")


def _yes_no(value: bool | None, yes: str = "yes", no: str = "NO") -> str | None:
    if value is None:
        return None
    return yes if value else no


def _bundle(block: Block, bundle: AppBundle, now: datetime | None, verbose: bool) -> None:
    block.add("Bundle id", bundle.CFBundleIdentifier)
    version = bundle.CFBundleShortVersionString or "?"
    block.add("Version", f"{version} (build {bundle.CFBundleVersion or '?'})")
    names = [n for n in (bundle.CFBundleDisplayName, bundle.CFBundleName) if n]
    block.add("Name", " / ".join(dict.fromkeys(names)))
    block.add("Executable", bundle.CFBundleExecutable)
    block.add("Minimum OS", bundle.MinimumOSVersion)
    block.add("Device family", ", ".join(bundle.UIDeviceFamily))
    block.add("Platforms", ", ".join(bundle.CFBundleSupportedPlatforms))
    built = [x for x in (bundle.DTSDKName, xcode_version(bundle.DTXcode)) if x]
    block.add("Built with", ", ".join(built))
    if bundle.icon:
        block.add("Icon", _icon_lines(bundle))
    elif bundle.icon_only_in_assets_car:
        block.add("Icon", f"only in Assets.car ({bundle.CFBundleIconName or 'asset catalog'}): "
                          "not extractable")
    elif bundle.kind == "app":
        block.add("Icon", "none found")
    profile = bundle.mobileprovision
    if profile is None:
        block.add("Profile", "NONE (no embedded.mobileprovision)")
    else:
        _profile_facts(block, profile, now)
    block.add("Bundle id in profile", _yes_no(bundle.bundle_id_matches_profile))
    sig = bundle.code_signature
    if sig is None:
        block.add("Code signature", "none read")
    else:
        if sig.adhoc:
            block.add("Signed by", "ad-hoc (no certificate)")
        elif sig.certificate is not None:
            block.add("Signed by", [sig.certificate.common_name or sig.certificate.subject,
                                    f"SHA-1 {sig.certificate.sha1}"])
        block.add("Certificate in profile", _yes_no(bundle.certificate_in_profile))
        block.add("Architectures", ", ".join(sig.archs))
    if bundle.verification is not None:
        block.add("Signature verified", _verification_lines(
            bundle.verification, "code signature, page hashes, special slots, resource seals, "
                                 "entitlements"))
    _depth(block, bundle)
    if sig is not None:
        s = block.child("Code signature")
        s.add("Executable", sig.member)
        s.add("Identifier", sig.identifier)
        s.add("Team", sig.team_id)
        s.add("Hash", sig.cd_hash_type)
        s.add("Ad-hoc", "YES" if sig.adhoc else "no")
        if verbose:
            s.add("Entitlements", _entitlements(sig.entitlements) or "none")
        if sig.certificate is not None:
            _certificate(s, "Signing certificate", sig.certificate, now)
    if profile is not None:
        _profile_details(block, profile, now, verbose)


def _depth(block: Block, bundle: AppBundle) -> None:
    """What the bundle declares beyond ids: schemes, modes, capabilities, ATS, privacy, code."""
    block.add("Capabilities", ", ".join(bundle.capabilities))
    block.add("URL schemes", ", ".join(bundle.url_schemes))
    block.add("Queried schemes", ", ".join(bundle.LSApplicationQueriesSchemes))
    block.add("Background modes", ", ".join(bundle.UIBackgroundModes))
    block.add("Device requires", ", ".join(bundle.UIRequiredDeviceCapabilities))
    if bundle.ats_allows_arbitrary_loads or bundle.ats_exception_domains:
        parts = ["arbitrary loads ALLOWED"] if bundle.ats_allows_arbitrary_loads else []
        if bundle.ats_exception_domains:
            parts.append("exceptions: " + ", ".join(bundle.ats_exception_domains))
        block.add("App Transport", "; ".join(parts))
    block.add("Privacy uses", ", ".join(k.removeprefix("NS").removesuffix("UsageDescription")
                                        for k in bundle.usage_descriptions))
    if bundle.kind == "app" or bundle.privacy_manifest:
        block.add("Privacy manifest", "yes" if bundle.privacy_manifest else "none")
    if bundle.frameworks:
        lines = []
        for fw in bundle.frameworks:
            version = f" {fw.CFBundleShortVersionString}" if fw.CFBundleShortVersionString else ""
            team = ("ad-hoc" if fw.adhoc else f"team {fw.team_id}" if fw.team_id
                    else "signature not read")
            checked = fw.verification
            verdict = ("" if checked is None or checked.verified is None
                       else ", verified" if checked.verified else ", FAILED to verify")
            lines.append(f"{fw.path}{version}  ({team}{verdict})")
        block.add(f"Frameworks ({len(bundle.frameworks)})", lines)


def _profile_facts(block: Block, profile: ProvisioningProfile, now: datetime | None) -> None:
    if profile.format == EMBEDDED_PROFILE:
        block.add("Profile", f"{profile.Name or '?'}  ({profile.UUID or 'no UUID'})")
    else:
        block.add("Name", profile.Name)
        block.add("UUID", profile.UUID)
    block.add("Signing type", f"{profile.signingType}  ({profile.signing_rule})")
    block.add("App id", profile.application_identifier
              and profile.application_identifier
              + ("  (wildcard)" if profile.application_identifier_wildcard else ""))
    team = profile.team_id
    block.add("Team", f"{profile.TeamName or '?'} ({team})" if team else profile.TeamName)
    if profile.ExpirationDate is not None:
        block.add("Profile expires", when(profile.ExpirationDate, now))
    if profile.ProvisionsAllDevices:
        block.add("Devices", "all devices (ProvisionsAllDevices)")
    else:
        block.add("Devices", f"{profile.device_count} provisioned")
    if profile.bare_plist:
        block.add("CMS signature", "NONE (bare plist)")
    elif profile.verification is not None:
        block.add("CMS signature", _verification_lines(profile.verification, "over the plist"))


#: Failures listed per bundle or profile in the text report; JSON has them all.
MAX_FAILURES_SHOWN = 10


def _verification_lines(checked: Verification, what: str) -> str | list[str]:
    """``verified (what)``, ``not checked: why``, or ``FAILED`` and one line per failure."""
    if checked.verified is None:
        return f"not checked: {checked.reason}"
    if checked.verified:
        return f"verified ({what})"
    lines = [f"FAILED ({len(checked.failures)} problem{'s' if len(checked.failures) > 1 else ''})"]
    lines += [f.describe() for f in checked.failures[:MAX_FAILURES_SHOWN]]
    if len(checked.failures) > MAX_FAILURES_SHOWN:
        lines.append(f"... and {len(checked.failures) - MAX_FAILURES_SHOWN} more (--json lists "
                     "them all)")
    return lines


def _verified_summary(record: IpaApp) -> str:
    checked = record.verification
    assert checked is not None
    if checked.verified is None:
        return f"not checked: {checked.reason}"
    if checked.verified:
        return ("yes: every bundle's code signature, seals, profile and entitlements, and every "
                "framework")
    units = sum(1 for b in record.bundles if b.verification and b.verification.verified is False)
    units += sum(1 for b in record.bundles for fw in b.frameworks
                 if fw.verification and fw.verification.verified is False)
    return f"FAILED: {len(checked.failures)} problems in {units} bundle(s) or framework(s), below"


def _profile_details(parent: Block, profile: ProvisioningProfile, now: datetime | None,
                     verbose: bool) -> None:
    title = "Provisioning profile"
    if profile.member:
        title += f": {profile.member}"
    block = parent.child(title)
    block.add("AppIDName", profile.AppIDName)
    block.add("Platform", ", ".join(profile.Platform))
    if profile.CreationDate is not None:
        block.add("Created", when(profile.CreationDate, None))
    block.add("Xcode managed", _yes_no(profile.IsXcodeManaged, no="no"))
    block.add("Time to live", profile.TimeToLive and f"{profile.TimeToLive} days")
    if not verbose:
        count = len(profile.DeveloperCertificates)
        block.add("Certificates", f"{count} developer certificate{'s' if count != 1 else ''}"
                  " (--verbose lists them, the devices and the entitlements)" if count
                  else "none readable")
        return
    block.add("Entitlements", _entitlements(profile.Entitlements) or "none")
    if profile.ProvisionedDevices:
        shown = list(profile.ProvisionedDevices[:MAX_DEVICES_SHOWN])
        hidden = profile.device_count - len(shown)
        if hidden:
            shown.append(f"... and {hidden} more ({profile.device_count} in all)")
        block.add("Device UDIDs", shown)
    if not profile.DeveloperCertificates:
        block.add("Certificates", "none readable")
    for i, cert in enumerate(profile.DeveloperCertificates, 1):
        _certificate(block, f"DeveloperCertificate {i}", cert, now)


def _certificate(parent: Block, title: str, cert: Certificate, now: datetime | None) -> None:
    block = parent.child(title)
    block.add("Subject", cert.subject)
    block.add("Team (OU)", cert.organizational_unit)
    block.add("Serial", cert.serial)
    block.add("SHA-1", cert.sha1)
    block.add("SHA-256", cert.sha256)
    block.add("Valid until", when(cert.not_after, now))


def _entitlements(values: Mapping[str, Any]) -> list[str]:
    return [f"{key}: {_value(value)}" for key, value in sorted(values.items())]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # Records hold a plist's arrays as tuples and its dictionaries as read-only mappings.
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _icon_lines(bundle: AppBundle) -> list[str]:
    """The chosen icon with its pixel size, then every icon file's size (from their headers)."""
    sizes = {i.path: f"{i.width}x{i.height}" for i in bundle.icon_images if i.width}
    chosen = bundle.icon or ""
    lines = [chosen + (f"  ({sizes[chosen]})" if chosen in sizes else "")]
    if len(bundle.icon_images) > 1:
        ordered = sorted({(i.width or 0) * (i.height or 0): sizes[i.path]
                          for i in bundle.icon_images if i.path in sizes}.items())
        unread = len(bundle.icon_images) - len(sizes)
        lines.append(f"sizes: {', '.join(s for _, s in ordered)}  ({len(bundle.icon_images)} files"
                     + (f", {unread} unreadable)" if unread else ")"))
    return lines
