"""The text report of IPAs and profiles: first facts, details, nested bundles, warnings.

Values in the expected lines are those recorded under tests/reference/ios/ (plistutil / openssl
outputs of the fixtures) and the fixed dates of fixtures/ios/make.sh.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inspector import inspect
from inspector.records.apple import SIGNING_TYPE_RULE
from inspector.report import render_text
from inspector.report.apple import MAX_DEVICES_SHOWN, render
from tests.conftest import FIXTURES, corpus, run_cli

IOS = FIXTURES / "ios"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def rows(block) -> dict[str, str]:
    return dict(block.rows)


def test_ipa_first_facts_then_details() -> None:
    record = inspect(IOS / "adhoc.ipa", digest=False)
    block = render(record, NOW)
    assert block.title == "adhoc.ipa  (iOS app archive)"
    facts = rows(block)
    assert facts["Bundle id"] == "com.fixture.app"
    assert facts["Version"] == "2.4.1 (build 241)"
    assert facts["Name"] == "Fixture App / Fixture"
    assert facts["Minimum OS"] == "15.0"
    assert facts["Device family"] == "iPhone, iPad"
    assert facts["Built with"] == "iphoneos17.2, Xcode 15.2"  # DTXcode 1520
    assert facts["Team"] == "Fixture Corp (TEAMID1234)"
    assert facts["Signing type"].startswith("ad-hoc  (get-task-allow is not true; "
                                            "ProvisionedDevices lists 12 devices -> ad-hoc)")
    assert facts["Profile expires"] == "2027-01-05 10:00 UTC (in 218 days)"
    assert facts["Devices"] == "12 provisioned"
    assert facts["Certificate in profile"] == "yes"
    assert facts["Bundle id in profile"] == "yes"
    assert facts["Architectures"] == "arm64, x86_64"
    assert facts["Encrypted"] == "no"
    assert facts["Icon"] == ["Payload/Fixture.app/AppIcon60x60@3x.png  (180x180)",
                             "sizes: 120x120, 152x152, 180x180  (3 files)"]
    keys = [k for k, _ in block.rows]
    # What a release engineer checks first comes before the details.
    assert keys.index("Bundle id") < keys.index("Signing type") < keys.index("Profile expires")
    titles = [c.title for c in block.children]
    # The certificate that signed, then the profile's summary, then the nested bundles.
    assert titles[:2] == ["Code signature",
                          "Provisioning profile: Payload/Fixture.app/embedded.mobileprovision"]
    assert titles[-1] == "Signing type rule"  # once, not once per bundle
    assert block.children[-1].rows == [("-", SIGNING_TYPE_RULE)]
    profile = block.children[1]
    assert rows(profile)["Certificates"].startswith("1 developer certificate (--verbose")
    assert "Device UDIDs" not in rows(profile) and "Entitlements" not in rows(profile)
    assert "App extension: Payload/Fixture.app/PlugIns/Widget.appex/" in titles
    assert "Watch app: Payload/Fixture.app/Watch/FixtureWatch.app/" in titles


def test_devices_are_truncated_with_a_count() -> None:
    record = inspect(IOS / "adhoc.ipa", digest=False)
    profile = render(record, NOW, verbose=True).children[1]
    udids = list(rows(profile)["Device UDIDs"])
    assert len(udids) == MAX_DEVICES_SHOWN + 1
    assert udids[:MAX_DEVICES_SHOWN] == list(record.app.mobileprovision.ProvisionedDevices[:10])
    assert udids[-1] == "... and 2 more (12 in all)"
    assert "aps-environment: production" in rows(profile)["Entitlements"]
    cert = profile.children[0]
    assert cert.title == "DeveloperCertificate 1"
    assert rows(cert)["Team (OU)"] == "TEAMID1234"


def test_standalone_profile_report() -> None:
    text = render_text(inspect(IOS / "expired.mobileprovision", digest=False), NOW)
    lines = text.splitlines()
    assert lines[0] == "expired.mobileprovision  (provisioning profile)"
    assert any(line.split() == ["Name", "Fixture", "Ad", "Hoc", "(expired)"] for line in lines)
    # 2025-01-05T10:00Z to 2026-06-01T00:00Z: 511 days and 14 hours.
    assert "2025-01-05 10:00 UTC (EXPIRED 511 days ago)" in text
    assert SIGNING_TYPE_RULE in text


def test_enterprise_profile_says_all_devices() -> None:
    block = render(inspect(IOS / "enterprise.mobileprovision", digest=False), NOW)
    assert rows(block)["Devices"] == "all devices (ProvisionsAllDevices)"
    assert rows(block)["Signing type"].startswith("enterprise")


def test_missing_profile_and_assets_car() -> None:
    record = inspect(IOS / "no-profile.ipa", digest=False)
    text = render_text(record, NOW)
    facts = rows(render(record, NOW))
    assert facts["Profile"] == "NONE (no embedded.mobileprovision)"
    assert facts["Signed by"] == "ad-hoc (no certificate)"
    assert facts["Icon"] == "only in Assets.car (AppIcon): not extractable"
    assert "Warnings" in text and "only in Assets.car" in text


def test_mismatches_are_visible() -> None:
    facts = rows(render(inspect(IOS / "wrong-certificate.ipa", digest=False), NOW))
    assert facts["Certificate in profile"] == "NO"
    facts = rows(render(inspect(IOS / "mismatch-bundle-id.ipa", digest=False), NOW))
    assert facts["Bundle id in profile"] == "NO"


def test_encrypted_and_bare_profile() -> None:
    facts = rows(render(inspect(IOS / "appstore-encrypted.ipa", digest=False), NOW))
    assert facts["Encrypted"] == "YES (App Store copy: SC_Info/)"
    facts = rows(render(inspect(IOS / "bare-xml.mobileprovision", digest=False), NOW))
    assert facts["CMS signature"] == "NONE (bare plist)"


def test_cli_text_for_corpus_files() -> None:
    for name in ("embedded.ipa", "ipad.ipa", "iphone.ipa", "iOSAppOnly.ipa",
                 "ios_adhoc.mobileprovision", "plist.mobileprovision"):
        result = run_cli("inspect", "--no-hash", "--now", "2020-08-01", str(corpus("ios", name)))
        assert result.code == 0, result.err
        assert result.out.startswith(name + "  (")
    out = run_cli("inspect", "--no-hash", "--now", "2020-08-01",
                  str(corpus("ios", "ios_adhoc.mobileprovision"))).out
    assert "2020-10-24 08:40 UTC (in 84 days)" in out
    assert "1 provisioned" in out


@pytest.mark.parametrize(("dt", "text"), [
    ("0730", "Xcode 7.3"), ("1520", "Xcode 15.2"), ("1501", "Xcode 15.0.1"), ("1600", "Xcode 16.0"),
    ("beta", "Xcode beta"), (None, None),
])
def test_xcode_version(dt: str | None, text: str | None) -> None:
    from inspector.report.apple import xcode_version

    assert xcode_version(dt) == text


def test_the_icon_line_gives_the_chosen_icon_and_every_size() -> None:
    # The sizes are file(1)'s reading of the CgBI PNGs (tests/reference/image/members.txt).
    text = render_text(inspect(corpus("ios", "ipad.ipa"), digest=False), NOW)
    assert "Payload/bundle.app/AppIcon83.5x83.5@2x~ipad.png  (167x167)" in text
    assert "sizes: 29x29, 40x40, 58x58, 76x76, 80x80, 152x152, 167x167  (7 files)" in text
    text = render_text(inspect(IOS / "development.ipa", digest=False), NOW)
    assert "Payload/Fixture.app/AppIcon60x60@3x.png  (180x180)" in text
    assert "sizes: 120x120, 152x152, 180x180  (3 files)" in text
