"""Apple bundle depth (URL schemes, queried schemes, background modes, device capabilities, App
Transport Security, usage descriptions, privacy manifest, frameworks and their teams, capabilities,
iTunesMetadata.plist, the whole Info.plist), against what plistutil and openssl recorded under
tests/reference/ios/ for the fixtures and the corpus."""

from __future__ import annotations

import plistlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.checks import Expectations, check
from inspector.formats._bundle_depth import capabilities
from inspector.records.frozen import freeze
from tests.conftest import FIXTURES, corpus

REF = Path(__file__).resolve().parent / "reference" / "ios"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
INFOS = sorted(p.name for p in (REF / "info").glob("*.xml") if ".framework" not in p.name)


def _ipa_path(origin: str, name: str) -> Path:
    return FIXTURES / "ios" / name if origin == "fixture" else corpus("ios", name)


def _bundle_for(record, slug: str):
    for bundle in record.bundles:
        if bundle.path.rstrip("/").replace("/", "_").endswith(slug.split("--")[-1]):
            return bundle
    raise AssertionError(f"no bundle for {slug}")


@pytest.mark.parametrize("ref", INFOS)
def test_info_plist_depth_matches_plistutil(ref: str) -> None:
    origin, name, slug = ref.removesuffix(".xml").split("--")
    record = inspector.inspect(_ipa_path(origin, name), digest=False)
    bundle = _bundle_for(record, slug)
    info = plistlib.loads((REF / "info" / ref).read_bytes())
    assert bundle.info_plist == freeze(info)  # arrays as tuples (records/frozen.py)
    schemes = [s for t in info.get("CFBundleURLTypes", []) for s in t.get("CFBundleURLSchemes", [])]
    assert list(bundle.url_schemes) == list(dict.fromkeys(schemes))
    assert list(bundle.LSApplicationQueriesSchemes) == info.get("LSApplicationQueriesSchemes", [])
    assert list(bundle.UIBackgroundModes) == info.get("UIBackgroundModes", [])
    required = info.get("UIRequiredDeviceCapabilities", [])
    if isinstance(required, dict):
        required = [k if v else f"not {k}" for k, v in required.items()]
    assert list(bundle.UIRequiredDeviceCapabilities) == required
    ats = info.get("NSAppTransportSecurity", {})
    assert bundle.ats_allows_arbitrary_loads == ats.get("NSAllowsArbitraryLoads")
    assert list(bundle.ats_exception_domains) == list(ats.get("NSExceptionDomains", {}))
    assert dict(bundle.usage_descriptions) == {
        k: v for k, v in info.items() if re.fullmatch(r"NS\w+UsageDescription", k)}


@pytest.fixture(scope="module")
def rich():
    return inspector.inspect(FIXTURES / "ios" / "rich.ipa", digest=False)


def test_rich_fixture_has_every_depth_fact(rich) -> None:
    app = rich.app
    assert app.url_schemes == ("fixture", "fixture-beta", "fb123456789")
    assert app.ats_allows_arbitrary_loads is True
    assert app.privacy_manifest == "Payload/Fixture.app/PrivacyInfo.xcprivacy"
    assert rich.itunes_metadata is True
    assert inspector.inspect(FIXTURES / "ios" / "adhoc.ipa", digest=False).itunes_metadata is False


def _signature_team(path: Path) -> str:
    """The OU of the first certificate openssl printed from the binary's CMS blob."""
    subject = next(line for line in path.read_text().splitlines() if line.startswith("subject="))
    return re.search(r"OU=([^,]+)", subject).group(1)


def test_frameworks_against_plistutil_and_openssl(rich) -> None:
    by_path = {fw.path: fw for fw in rich.app.frameworks}
    assert set(by_path) == {"Frameworks/libswiftCore.dylib", "Frameworks/FixtureKit.framework",
                            "Frameworks/VendorSDK.framework"}
    for name in ("FixtureKit", "VendorSDK"):
        fw = by_path[f"Frameworks/{name}.framework"]
        info = plistlib.loads(
            (REF / "info" / f"fixture--rich.ipa--Payload_Fixture.app_Frameworks_{name}.framework.xml")
            .read_bytes())
        assert (fw.kind, fw.CFBundleIdentifier, fw.CFBundleShortVersionString,
                fw.CFBundleVersion) == ("framework", info["CFBundleIdentifier"],
                                        info["CFBundleShortVersionString"], info["CFBundleVersion"])
        sig = REF / "signatures" / (f"fixture--rich.ipa--Payload_Fixture.app_Frameworks_{name}"
                                    f".framework--{name}.txt")
        assert fw.team_id == _signature_team(sig) and fw.adhoc is False
    dylib = by_path["Frameworks/libswiftCore.dylib"]
    assert dylib.kind == "dylib" and dylib.CFBundleIdentifier is None
    assert dylib.team_id == _signature_team(
        REF / "signatures" / "fixture--rich.ipa--Payload_Fixture.app_Frameworks--libswiftCore.dylib.txt")


def test_capabilities_from_the_signed_entitlements(rich) -> None:
    signed = plistlib.loads(
        (REF / "signatures" / "fixture--rich.ipa--Payload_Fixture.app--Fixture.0.xml").read_bytes())
    assert rich.app.capabilities == capabilities(signed)
    assert rich.app.capabilities == ("Push Notifications", "App Groups", "Associated Domains")


@pytest.mark.parametrize(("entitlements", "expected"), [
    ({}, ()),
    ({"aps-environment": "development"}, ("Push Notifications",)),
    ({"com.apple.developer.icloud-services": ["CloudKit"],
      "com.apple.developer.icloud-container-identifiers": ["iCloud.x"]}, ("iCloud",)),
    ({"com.apple.security.application-groups": []}, ()),  # empty: not turned on
    ({"com.apple.developer.carplay-audio": True}, ("CarPlay",)),
    ({"get-task-allow": True, "keychain-access-groups": ["T.x"]}, ()),
])
def test_capability_names(entitlements: dict, expected: tuple[str, ...]) -> None:
    assert capabilities(entitlements) == expected


def test_framework_of_another_team_fails_the_gate(rich) -> None:
    result = check(rich, Expectations(), NOW)
    assert [(f.code, f.actual) for f in result.findings] == [("IOS011", "OTHER98765")]
    assert "VendorSDK.framework" in result.findings[0].message


def test_text_report_shows_the_depth(rich) -> None:
    from inspector.report import render_text

    text = render_text(rich, NOW)
    assert "URL schemes             fixture, fixture-beta, fb123456789" in text
    assert "arbitrary loads ALLOWED; exceptions: legacy.example.com" in text
    assert "Frameworks/VendorSDK.framework 5.0.1  (team OTHER98765, verified)" in text
    assert "Privacy manifest        yes" in text
