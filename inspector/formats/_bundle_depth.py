"""What an Apple bundle's Info.plist and entitlements say beyond ids and versions: URL schemes,
queried schemes, background modes, device capabilities, App Transport Security, privacy usage
descriptions, and the capability names behind the entitlements (Push, iCloud, App Groups...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspector.formats.profile import PlistFields

__all__ = ["CAPABILITIES", "bundle_depth", "capabilities"]

#: Entitlement key -> the capability name Xcode shows for it. A key ending in ``*`` is a prefix.
CAPABILITIES: dict[str, str] = {
    "aps-environment": "Push Notifications",
    "com.apple.developer.aps-environment": "Push Notifications",
    "com.apple.developer.icloud-services": "iCloud",
    "com.apple.developer.icloud-container-identifiers": "iCloud",
    "com.apple.developer.ubiquity-kvstore-identifier": "iCloud",
    "com.apple.developer.ubiquity-container-identifiers": "iCloud",
    "com.apple.security.application-groups": "App Groups",
    "com.apple.developer.associated-domains": "Associated Domains",
    "com.apple.developer.applesignin": "Sign in with Apple",
    "com.apple.developer.in-app-payments": "Apple Pay",
    "com.apple.developer.healthkit": "HealthKit",
    "com.apple.developer.homekit": "HomeKit",
    "com.apple.developer.nfc.readersession.formats": "NFC Tag Reading",
    "com.apple.developer.networking.networkextension": "Network Extensions",
    "com.apple.developer.networking.vpn.api": "Personal VPN",
    "com.apple.developer.networking.wifi-info": "Access Wi-Fi Information",
    "com.apple.developer.networking.HotspotConfiguration": "Hotspot",
    "com.apple.developer.networking.multipath": "Multipath",
    "com.apple.developer.pass-type-identifiers": "Wallet",
    "com.apple.developer.siri": "Siri",
    "com.apple.developer.game-center": "Game Center",
    "com.apple.developer.usernotifications.time-sensitive": "Time Sensitive Notifications",
    "com.apple.developer.usernotifications.communication": "Communication Notifications",
    "com.apple.developer.default-data-protection": "Data Protection",
    "com.apple.developer.ClassKit-environment": "ClassKit",
    "com.apple.developer.authentication-services.autofill-credential-provider":
        "AutoFill Credential Provider",
    "com.apple.developer.family-controls": "Family Controls",
    "com.apple.external-accessory.wireless-configuration": "Wireless Accessory Configuration",
    "com.apple.developer.kernel.increased-memory-limit": "Increased Memory Limit",
    "com.apple.developer.weatherkit": "WeatherKit",
    "com.apple.developer.push-to-talk": "Push to Talk",
    "com.apple.developer.user-fonts": "Fonts",
    "com.apple.developer.maps": "Maps",
    "inter-app-audio": "Inter-App Audio",
    "com.apple.developer.carplay-*": "CarPlay",
    "com.apple.developer.devicecheck.appattest-environment": "App Attest",
    "com.apple.developer.coremedia.hls.low-latency": "Low Latency HLS",
}


def capabilities(entitlements: Mapping[str, Any]) -> tuple[str, ...]:
    """The capability names the entitlements turn on, in the table's order, each once."""
    out: list[str] = []
    for key, name in CAPABILITIES.items():
        if key.endswith("*"):
            values = [v for k, v in entitlements.items() if k.startswith(key[:-1])]
        else:
            values = [entitlements[key]] if key in entitlements else []
        if any(v not in (None, False, "", [], {}) for v in values) and name not in out:
            out.append(name)
    return tuple(out)


def _url_schemes(plist: Mapping[str, Any], notes: list[str]) -> tuple[str, ...]:
    types = plist.get("CFBundleURLTypes")
    if types is None:
        return ()
    if not isinstance(types, list):
        notes.append("CFBundleURLTypes is not an array: ignored")
        return ()
    schemes: list[str] = []
    for entry in types:
        values = entry.get("CFBundleURLSchemes") if isinstance(entry, dict) else None
        if isinstance(values, list):
            schemes += [v for v in values if isinstance(v, str)]
    return tuple(dict.fromkeys(schemes))


def _required_capabilities(plist: Mapping[str, Any], notes: list[str]) -> tuple[str, ...]:
    # An array of names, or a dictionary of name -> must have (true) / must not have (false).
    value = plist.get("UIRequiredDeviceCapabilities")
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    if isinstance(value, dict):
        return tuple(k if v is True else f"not {k}" for k, v in value.items() if isinstance(v, bool))
    notes.append("UIRequiredDeviceCapabilities is neither an array nor a dictionary: ignored")
    return ()


def bundle_depth(plist: Mapping[str, Any], entitlements: Mapping[str, Any],
                 notes: list[str]) -> dict[str, Any]:
    """The depth facts of one bundle, as keyword arguments of
    :class:`~inspector.records.apple.AppBundle`; wrong types become notes, never errors."""
    f = PlistFields(plist, notes)
    ats = f.mapping("NSAppTransportSecurity")
    exceptions = ats.get("NSExceptionDomains")
    arbitrary = ats.get("NSAllowsArbitraryLoads")
    return dict(
        url_schemes=_url_schemes(plist, notes),
        LSApplicationQueriesSchemes=f.texts("LSApplicationQueriesSchemes"),
        UIBackgroundModes=f.texts("UIBackgroundModes"),
        UIRequiredDeviceCapabilities=_required_capabilities(plist, notes),
        ats_allows_arbitrary_loads=arbitrary if isinstance(arbitrary, bool) else None,
        ats_exception_domains=tuple(exceptions) if isinstance(exceptions, dict) else (),
        usage_descriptions={k: v for k, v in plist.items()
                            if k.startswith("NS") and k.endswith("UsageDescription")
                            and isinstance(v, str)},
        capabilities=capabilities(entitlements),
    )
