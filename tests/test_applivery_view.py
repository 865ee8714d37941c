"""The ``applivery`` block of ``inspect --json``: the service's own names (upload-api.md,
"Responses") per format, with values checked against the independent tools' records."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli
from tests.tool_outputs import parse_badging, read_recorded

REF = Path(__file__).resolve().parent / "reference"


def block(path: Path) -> dict:
    result = run_cli("inspect", "--json", "--no-hash", "--now", "2026-06-01", str(path))
    assert result.code == 0, result.err
    return result.json["results"][0]["applivery"]


@pytest.mark.parametrize("fixture", ["apk/signed-v1v2v3.apk", "aab/bundle-signed.aab"])
def test_android_names(fixture: str) -> None:
    view = block(FIXTURES / fixture)
    assert set(view) == {"os", "versionCode", "size", "info"} and view["os"] == "android"
    android = view["info"]["android"]
    assert list(android) == ["packageName", "versionName", "versionCode", "minSDKVersion",
                             "targetSdkVersion", "platformBuildVersionName",
                             "platformBuildVersionCode", "icon"]
    name = Path(fixture).stem
    b = parse_badging(read_recorded(REF / fixture.split("/")[0] / f"{name}.badging.txt").body)
    assert android["packageName"] == b.package["name"]
    assert str(android["versionCode"]) == b.package["versionCode"] == str(view["versionCode"])
    assert android["versionName"] == b.package["versionName"]
    assert str(android["minSDKVersion"]) == b.sdk
    assert view["size"] == (FIXTURES / fixture).stat().st_size


def test_ios_names() -> None:
    view = block(FIXTURES / "ios" / "adhoc.ipa")
    assert view["os"] == "ios"
    ios = view["info"]["ios"]
    info = plistlib.loads((REF / "ios" / "info" / "fixture--adhoc.ipa--Payload_Fixture.app.xml")
                          .read_bytes())
    assert list(ios["plist"]) == ["CFBundleIdentifier", "CFBundleShortVersionString",
                                  "CFBundleVersion", "CFBundleDisplayName", "CFBundleName",
                                  "MinimumOSVersion", "CFBundleSupportedPlatforms",
                                  "CFBundleIcons", "UIDeviceFamily"]
    assert ios["plist"] == {k: info.get(k) for k in ios["plist"]}
    profile = plistlib.loads(
        (REF / "ios" / "profiles" / "fixture--adhoc.ipa--Payload_Fixture.app.xml").read_bytes())
    mp = ios["mobileprovision"]
    assert list(mp) == ["ExpirationDate", "TeamIdentifier", "TeamName", "ProvisionsAllDevices",
                        "ProvisionedDevices", "signingType"]
    assert mp["ExpirationDate"] == profile["ExpirationDate"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert mp["TeamIdentifier"] == profile["TeamIdentifier"]
    assert mp["ProvisionedDevices"] == profile["ProvisionedDevices"]
    assert mp["signingType"] == "ad-hoc"
    assert view["versionCode"] == info["CFBundleVersion"]


def test_ios_without_profile() -> None:
    assert block(FIXTURES / "ios" / "no-profile.ipa")["info"]["ios"]["mobileprovision"] is None


def test_pkg_names() -> None:
    view = block(FIXTURES / "pkg" / "signed.pkg")
    assert view["os"] == "macos"
    pkg = view["info"]["pkg"]
    assert list(pkg) == ["CFBundleDisplayName", "CFBundleIdentifier", "CFBundleShortVersionString",
                         "CFBundleVersion", "CFBundleName"]
    plist = plistlib.loads((REF / "pkg" / "signed.Info.plist.xml").read_bytes())
    assert pkg == {k: plist.get(k) for k in pkg}
    assert view["versionCode"] == plist["CFBundleVersion"]


def test_profile_has_no_build_view() -> None:
    assert block(FIXTURES / "ios" / "adhoc.mobileprovision") is None
