"""The server's view: the facts Applivery shows for a processed build, under the service's own names
(``info.android.packageName``, ``info.ios.plist.*``, ``info.ios.mobileprovision.*``, ``info.pkg.*``;
``../shared/spec/upload-api.md``, "Responses"), computed locally so they can be compared before
uploading. ``inspect --json`` prints it as each result's ``applivery`` block."""

from __future__ import annotations

from typing import Any

from inspector.format import ANDROID_FORMATS, Format

__all__ = ["IOS_PLIST_KEYS", "PKG_KEYS", "applivery_view"]

#: The Info.plist keys the service keeps for an iOS build, in its order.
IOS_PLIST_KEYS = ("CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion",
                  "CFBundleDisplayName", "CFBundleName", "MinimumOSVersion",
                  "CFBundleSupportedPlatforms", "CFBundleIcons", "UIDeviceFamily")
#: The app keys the service keeps for a macOS package.
PKG_KEYS = ("CFBundleDisplayName", "CFBundleIdentifier", "CFBundleShortVersionString",
            "CFBundleVersion", "CFBundleName")


def applivery_view(record: Any) -> dict[str, Any] | None:
    """``{"os", "versionCode", "size", "info": {...}}`` as the service's build object holds them;
    None for what the service does not take as a build (a provisioning profile)."""
    fmt = getattr(record, "format", None)
    if fmt in ANDROID_FORMATS:
        best = record.icon.best
        info = {
            "packageName": record.package_name,
            "versionName": record.version_name,
            "versionCode": record.version_code,
            "minSDKVersion": record.min_sdk,
            "targetSdkVersion": record.target_sdk,
            "platformBuildVersionName": record.platform_build_version_name,
            "platformBuildVersionCode": record.platform_build_version_code,
            "icon": best.path if best else None,
        }
        return {"os": "android", "versionCode": record.version_code, "size": record.file.size,
                "info": {"android": info}}
    if fmt is Format.IPA:
        app = record.app
        plist = {key: app.info_plist.get(key) for key in IOS_PLIST_KEYS}
        profile = app.mobileprovision
        provision = None if profile is None else {
            "ExpirationDate": profile.ExpirationDate,
            "TeamIdentifier": profile.TeamIdentifier,
            "TeamName": profile.TeamName,
            "ProvisionsAllDevices": profile.ProvisionsAllDevices,
            "ProvisionedDevices": profile.ProvisionedDevices,
            "signingType": profile.signingType,
        }
        return {"os": "ios", "versionCode": app.CFBundleVersion, "size": record.file.size,
                "info": {"ios": {"plist": plist, "mobileprovision": provision}}}
    if fmt is Format.PKG:
        app = record.app
        info = {key: getattr(app, key) if app is not None else None for key in PKG_KEYS}
        return {"os": "macos", "versionCode": app.CFBundleVersion if app else None,
                "size": record.file.size, "info": {"pkg": info}}
    return None
