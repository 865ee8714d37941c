"""The cross-format Summary: the same names for every format, checked against the independent tools'
recorded outputs (aapt2 badging, plistutil) and on records varied one fact at a time."""

from __future__ import annotations

import dataclasses
import plistlib
from datetime import UTC, datetime

import pytest

import inspector
from inspector.records.android import Feature
from inspector.summary import apple_platform, form_factors, summarize
from tests.conftest import FIXTURES, run_cli
from tests.tool_outputs import parse_badging, read_recorded

NOW = datetime(2026, 6, 1, tzinfo=UTC)
REFERENCE = FIXTURES.parent / "tests" / "reference"


@pytest.mark.parametrize("name", ["signed-v1v2v3", "debuggable", "v2-only", "unsigned", "test-only"])
def test_apk_summary_matches_aapt2_badging(name: str) -> None:
    s = summarize(inspector.inspect(FIXTURES / "apk" / f"{name}.apk", digest=False))
    b = parse_badging(read_recorded(REFERENCE / "apk" / f"{name}.badging.txt").body)
    assert s.format == "apk" and s.platform == "android" and s.build_platform == "android"
    assert s.identifier == b.package["name"]
    assert s.build == b.package["versionCode"] and s.build_number == int(b.package["versionCode"])
    assert s.version == b.package.get("versionName")
    assert s.min_os == b.sdk
    assert s.target_sdk == (int(b.target_sdk) if b.target_sdk else None)
    assert s.display_name == b.label
    assert s.signed is (name != "unsigned")
    assert s.debuggable is (name == "debuggable")


def test_apk_certificates_and_expiries() -> None:
    record = inspector.inspect(FIXTURES / "apk" / "signed-v1v2v3.apk", digest=False)
    s = summarize(record)
    assert s.certificates == record.signing.certificates
    (expiry,) = s.expiries
    assert expiry.kind == "certificate" and expiry.owner == "signer 1"
    assert expiry.not_after == record.signing.certificates[0].not_after
    assert expiry.days_left(NOW) == record.signing.certificates[0].days_left(NOW)
    assert s.icon == "res/mipmap-xxxhdpi-v4/ic_launcher.png"


@pytest.mark.parametrize(("features", "expected"), [
    ((), ("phone/tablet",)),
    ((Feature("android.software.leanback", False),), ("phone/tablet", "tv")),
    ((Feature("android.software.leanback", True),), ("tv",)),
    ((Feature("android.hardware.type.watch", True),), ("wear",)),
    ((Feature("android.hardware.type.automotive", True),), ("automotive",)),
    ((Feature("android.hardware.camera", True),), ("phone/tablet",)),
])
def test_android_form_factor(features: tuple[Feature, ...], expected: tuple[str, ...]) -> None:
    record = inspector.inspect(FIXTURES / "apk" / "signed-v1v2v3.apk", digest=False)
    assert form_factors(dataclasses.replace(record, features=features)) == expected


def test_aab_summary() -> None:
    s = summarize(inspector.inspect(FIXTURES / "aab" / "bundle-signed.aab", digest=False))
    b = parse_badging(read_recorded(REFERENCE / "aab" / "bundle-signed.badging.txt").body)
    assert s.format == "aab" and s.build_platform == "android"
    assert s.identifier == b.package["name"] and s.build == b.package["versionCode"]
    assert s.signed is True and len(s.certificates) == 1


def _info(name: str) -> dict:
    path = REFERENCE / "ios" / "info" / f"fixture--{name}--Payload_Fixture.app.xml"
    return plistlib.loads(path.read_bytes())


def test_ipa_summary_matches_plistutil() -> None:
    record = inspector.inspect(FIXTURES / "ios" / "adhoc.ipa", digest=False)
    s = summarize(record)
    info = _info("adhoc.ipa")
    assert s.identifier == info["CFBundleIdentifier"]
    assert s.version == info["CFBundleShortVersionString"]
    assert s.build == info["CFBundleVersion"] and s.build_number == int(info["CFBundleVersion"])
    assert s.min_os == info["MinimumOSVersion"]
    assert s.display_name == info.get("CFBundleDisplayName", info.get("CFBundleName"))
    assert s.platform == "ios" and s.build_platform == "ios"
    assert s.ipad_capable is (2 in info["UIDeviceFamily"])
    assert s.signing_type == "ad-hoc" and s.team_id == "TEAMID1234"
    assert s.debuggable is False and s.signed is True
    # The app's, the widget's and the watch app's profiles, and the distinct signing certificate.
    owners = [(e.kind, e.owner) for e in s.expiries]
    assert ("profile", "app") in owners
    assert ("profile", "PlugIns/Widget.appex") in owners
    assert ("profile", "Watch/FixtureWatch.app") in owners
    assert ("certificate", "app") in owners
    assert [e.not_after for e in s.expiries] == sorted(e.not_after for e in s.expiries)
    assert s.certificates[0] == record.app.code_signature.certificate
    assert s.icon == record.app.icon


def test_development_ipa_is_debuggable() -> None:
    s = summarize(inspector.inspect(FIXTURES / "ios" / "development.ipa", digest=False))
    assert s.signing_type == "development" and s.debuggable is True


def test_build_number_only_when_numeric() -> None:
    record = inspector.inspect(FIXTURES / "ios" / "adhoc.ipa", digest=False)
    odd = dataclasses.replace(record, app=dataclasses.replace(record.app, CFBundleVersion="2.4.1b"))
    s = summarize(odd)
    assert s.build == "2.4.1b" and s.build_number is None


@pytest.mark.parametrize(("dt", "supported", "families", "expected"), [
    ("iphoneos", (), ("iPhone",), "ios"),
    ("appletvos", (), ("TV",), "tvos"),
    ("watchos", (), ("Watch",), "watchos"),
    ("xros", (), ("Vision",), "visionos"),
    (None, ("AppleTVOS",), (), "tvos"),
    (None, ("XROS",), (), "visionos"),
    (None, (), ("Watch",), "watchos"),
    (None, (), ("iPad",), "ios"),
    (None, (), (), None),
])
def test_apple_platform(dt, supported, families, expected) -> None:
    record = inspector.inspect(FIXTURES / "ios" / "adhoc.ipa", digest=False)
    bundle = dataclasses.replace(record.app, DTPlatformName=dt, CFBundleSupportedPlatforms=supported,
                                 UIDeviceFamily=families)
    assert apple_platform(bundle) == expected
    s = summarize(dataclasses.replace(record, app=bundle))
    assert s.build_platform == ("ios" if expected == "ios" else None)


@pytest.mark.parametrize(("name", "signing_type"), [
    ("mac-development", "development"),
    ("mac-developer-id", "developer-id"),
    ("mac-appstore", "app-store"),
])
def test_macos_profiles_signing_type(name: str, signing_type: str) -> None:
    record = inspector.inspect(FIXTURES / "macos" / f"{name}.provisionprofile", digest=False)
    assert record.Platform == ("OSX",)
    assert record.signingType == signing_type
    assert record.signing_rule.startswith("macOS profile;")
    s = summarize(record)
    assert s.platform == "macos" and s.signing_type == signing_type
    assert s.identifier == "com.fixture.macapp" and s.team_id == "TEAMID1234"


def test_ios_profile_keeps_ios_rule() -> None:
    record = inspector.inspect(FIXTURES / "ios" / "development.mobileprovision", digest=False)
    assert record.signingType == "development" and summarize(record).platform == "ios"


def test_pkg_summary() -> None:
    record = inspector.inspect(FIXTURES / "pkg" / "signed.pkg", digest=False)
    s = summarize(record)
    assert s.platform == "macos" and s.build_platform == "macos"
    assert s.identifier == record.app.CFBundleIdentifier
    assert s.version == record.app.CFBundleShortVersionString
    assert s.build == record.app.CFBundleVersion
    assert s.min_os == record.app.LSMinimumSystemVersion
    assert s.signed is True and s.team_id == "FIXTURE123"
    assert s.certificates == record.signature.chain
    assert s.expiries[0].owner in {"installer", "installer chain 1"}


def test_unsigned_pkg_falls_back_to_product_facts() -> None:
    record = inspector.inspect(FIXTURES / "pkg" / "noapp.pkg", digest=False)
    s = summarize(record)
    assert record.app is None or record.app.source != "Info.plist"
    assert s.signed is False and s.certificates == () and s.expiries == ()
    assert (s.identifier, s.version) == ("com.example.fixture.tool", "0.9")  # its PackageInfo


def test_json_and_text_agree_on_days() -> None:
    """One definition: JSON days_left -26 is the text's "EXPIRED 26 days ago"."""
    args = ("--no-hash", "--now", "2027-02-01", str(FIXTURES / "ios" / "adhoc.ipa"))
    doc = run_cli("inspect", "--json", *args).json["results"][0]
    profile_expiry = next(e for e in doc["summary"]["expiries"] if e["owner"] == "app"
                          and e["kind"] == "profile")
    assert profile_expiry["days_left"] == -26 and profile_expiry["expired"] is True
    assert doc["app"]["mobileprovision"]["days_left"] == -26
    assert "EXPIRED 26 days ago" in run_cli("inspect", *args).out


def test_record_names_are_exported() -> None:
    for name in ("AndroidApp", "IpaApp", "ProvisioningProfile", "Pkg", "Record", "Summary",
                 "summarize", "to_json", "Expiry"):
        assert getattr(inspector, name) is not None
    with pytest.raises(AttributeError):
        inspector.NotAName  # noqa: B018


def test_summarize_refuses_other_values() -> None:
    with pytest.raises(TypeError):
        summarize(object())  # type: ignore[arg-type]
