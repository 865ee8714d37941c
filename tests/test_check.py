"""The gate's rules, table-driven on the real fixtures with ``now`` fixed: each case names the
artifact, the expectations and the moment, and the exact codes (with severities) it must yield."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

import inspector
from inspector.checks import RULES, Expectations, Finding, check
from inspector.versions import version_tuple
from tests.conftest import FIXTURES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PROFILE_EXPIRY = datetime(2027, 1, 5, 10, tzinfo=UTC)  # every fixture profile but expired.*
RELEASE_SHA256 = "038656368523fb92010a551f1210a06ad14aab17c2045100e6f14d33e48bf06c"


@cache
def record(name: str) -> Any:
    return inspector.inspect(FIXTURES / name, digest=False)


def codes(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in findings]


CASES = [
    # name, fixture, expectations, now, expected (code, severity) list, passes
    ("release apk, no expectations", "apk/signed-v1v2v3.apk", {}, NOW, [], True),
    ("debuggable build: warnings only", "apk/debuggable.apk", {}, NOW,
     [("AND001", "warning"), ("AND002", "warning")], True),
    ("debuggable allowed", "apk/debuggable.apk",
     {"allow_debuggable": True, "allow_debug_certificate": True}, NOW, [], True),
    ("debuggable under --strict", "apk/debuggable.apk", {"strict": True}, NOW,
     [("AND001", "warning"), ("AND002", "warning")], False),
    ("debuggable with an expectation stated", "apk/debuggable.apk",
     {"expect_id": "com.applivery.inspector.fixture.debug"}, NOW,
     [("AND001", "warning"), ("AND002", "warning")], False),
    ("unsigned apk", "apk/unsigned.apk", {}, NOW, [("AND003", "error")], False),
    ("unsigned aab is a warning", "aab/bundle-unsigned.aab", {}, NOW, [("AND003", "warning")], True),
    ("unsigned aab when signing is required", "aab/bundle-unsigned.aab", {"require_signed": True},
     NOW, [("AND003", "error")], False),
    ("test-only apk", "apk/test-only.apk", {}, NOW, [("AND004", "error")], False),
    ("split apk", "apk/split-config.apk", {}, NOW, [("AND011", "error")], False),
    # Android ignores a signing certificate's dates: information (EXP004), not a failure.
    ("expired signing certificate", "apk/expired-cert.apk", {}, NOW, [("EXP004", "info")], True),
    ("pinned fingerprint matches", "apk/signed-v1v2v3.apk",
     {"cert_sha256": (RELEASE_SHA256.upper(),)}, NOW, [], True),
    ("pinned fingerprint mismatch", "apk/ec-signer.apk",
     {"cert_sha256": (RELEASE_SHA256,)}, NOW, [("GEN006", "error")], False),
    ("package glob", "apk/signed-v1v2v3.apk", {"expect_id": "com.applivery.*"}, NOW, [], True),
    ("package mismatch", "apk/signed-v1v2v3.apk", {"expect_id": "com.acme.app"}, NOW,
     [("GEN001", "error")], False),
    ("version name exact and regex", "apk/signed-v1v2v3.apk",
     {"expect_version_name": "1.4.2", "expect_version_name_regex": r"1\.\d+\.\d+"}, NOW, [], True),
    ("version name regex mismatch", "apk/signed-v1v2v3.apk",
     {"expect_version_name_regex": r"2\..*"}, NOW, [("GEN002", "error")], False),
    ("version code below the minimum", "apk/signed-v1v2v3.apk", {"min_build": 43}, NOW,
     [("GEN004", "error")], False),
    ("version code at the minimum", "apk/signed-v1v2v3.apk", {"min_build": 42}, NOW, [], True),
    ("exact version code", "apk/signed-v1v2v3.apk", {"expect_build": "41"}, NOW,
     [("GEN003", "error")], False),
    ("target sdk too low", "apk/signed-v1v2v3.apk", {"min_target_sdk": 35}, NOW,
     [("AND006", "error")], False),
    ("min sdk outside the range", "apk/signed-v1v2v3.apk",
     {"min_sdk_at_least": 23, "min_sdk_at_most": 30}, NOW, [("AND005", "error")], False),
    ("required scheme v3.1 missing", "apk/signed-v1v2v3.apk", {"require_scheme": ("v3.1",)}, NOW,
     [("AND007", "error")], False),
    ("required ABI missing", "apk/signed-v1v2v3.apk", {"require_abi": ("x86_64",)}, NOW,
     [("AND009", "error")], False),
    ("forbidden permission", "apk/signed-v1v2v3.apk",
     {"forbid_permission": ("android.permission.CAMERA",)}, NOW, [("AND010", "error")], False),
    ("file too large", "apk/signed-v1v2v3.apk", {"max_size": 1000}, NOW, [("GEN007", "error")],
     False),
    ("newer than the uploaded build", "apk/signed-v1v2v3.apk", {"uploaded_build": "41"}, NOW, [],
     True),
    ("same as the uploaded build", "apk/signed-v1v2v3.apk", {"uploaded_build": "42"}, NOW,
     [("UPL002", "error")], False),
    ("dotted CFBundleVersion below the uploaded one", "ios/adhoc.ipa", {"uploaded_build": "241.1"},
     NOW, [("UPL002", "error")], False),
    # Apple
    ("ad-hoc ipa", "ios/adhoc.ipa", {}, NOW, [], True),
    ("profile expires in 3 days", "ios/adhoc.ipa", {}, datetime(2027, 1, 2, tzinfo=UTC),
     [("EXP003", "warning")] * 3, True),
    ("3 days left but 14 required", "ios/adhoc.ipa", {"min_days": 14},
     datetime(2027, 1, 2, tzinfo=UTC), [("EXP002", "error")] * 3, False),
    ("profile expired yesterday", "ios/adhoc.ipa", {}, datetime(2027, 1, 6, 12, tzinfo=UTC),
     [("EXP001", "error")] * 3, False),
    ("wildcard app id covers the bundle", "ios/wildcard.ipa", {"expect_id": "com.fixture.app"},
     NOW, [], True),
    # The signed application-identifier (of com.fixture.other) is outside the profile too: SIG003.
    ("bundle id not covered", "ios/mismatch-bundle-id.ipa", {}, NOW,
     [("IOS003", "error"), ("SIG003", "error")], False),
    # Signed for team OTHER98765: its app id, team and keychain group are not the profile's.
    ("signing certificate not in the profile", "ios/wrong-certificate.ipa", {}, NOW,
     [("IOS004", "error")] + [("SIG003", "error")] * 3, False),
    ("no profile, ad-hoc signature", "ios/no-profile.ipa", {}, NOW,
     [("IOS001", "error"), ("IOS009", "error")], False),
    ("App Store copy", "ios/appstore-encrypted.ipa", {}, NOW, [("IOS010", "error")], False),
    ("development not allowed", "ios/development.ipa", {"signing_type": ("ad-hoc", "enterprise")},
     NOW, [("IOS002", "error")], False),
    ("team mismatch", "ios/adhoc.ipa", {"expect_team": "OTHER98765"}, NOW, [("GEN005", "error")],
     False),
    ("min OS above the maximum", "ios/adhoc.ipa", {"max_min_os": "14.5"}, NOW,
     [("GEN008", "error")], False),
    ("min OS at the maximum", "ios/adhoc.ipa", {"max_min_os": "15"}, NOW, [], True),
    ("required device present", "ios/adhoc.ipa",
     {"require_device": ("00008030-001A2D3C0E12802E",)}, NOW, [], True),
    ("required device missing", "ios/adhoc.ipa", {"require_device": ("00008030-FFFFFFFFFFFFFFFF",)},
     NOW, [("IOS008", "error")], False),
    ("app-store profile", "ios/appstore.mobileprovision", {}, NOW, [("IOS002", "error")], False),
    ("enterprise profile covers all devices", "ios/enterprise.mobileprovision",
     {"require_device": ("any-udid",)}, NOW, [], True),
    ("wildcard profile covers the expected id", "ios/wildcard.mobileprovision",
     {"expect_id": "com.fixture.app"}, NOW, [], True),
    ("wildcard profile does not cover another team's id", "ios/wildcard.mobileprovision",
     {"expect_id": "com.acme.app"}, NOW, [("GEN001", "error")], False),
    ("expired standalone profile", "ios/expired.mobileprovision", {}, NOW, [("EXP001", "error")],
     False),
    # macOS
    ("mac development profile", "macos/mac-development.provisionprofile", {}, NOW, [], True),
    ("mac developer-id profile", "macos/mac-developer-id.provisionprofile", {}, NOW, [], True),
    ("mac app-store profile", "macos/mac-appstore.provisionprofile", {}, NOW,
     [("IOS002", "error")], False),
    ("unsigned pkg", "pkg/component.pkg", {}, NOW, [("PKG001", "warning")], True),
    ("unsigned pkg when signing is required", "pkg/component.pkg", {"require_signed": True}, NOW,
     [("PKG001", "error")], False),
    ("signed pkg, installer team", "pkg/signed.pkg", {"expect_team": "FIXTURE123"}, NOW, [], True),
    ("pkg version", "pkg/signed.pkg", {"expect_version_name": "9.9"}, NOW, [("GEN002", "error")],
     False),
]


@pytest.mark.parametrize(("fixture", "expect", "now", "expected", "passes"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_table(fixture: str, expect: dict, now: datetime, expected: list, passes: bool) -> None:
    result = check(record(fixture), Expectations(**expect), now)
    assert codes(result.findings) == expected
    assert result.passed is passes
    for finding in result.findings:
        assert finding.message and "\n" not in finding.message


def test_signed_pkg_installer_certificate_inside_window() -> None:
    pkg = record("pkg/signed.pkg")
    leaf = pkg.signature.leaf
    assert all(c.not_after > leaf.not_after for c in pkg.signature.chain[1:])  # the CA outlives it
    result = check(pkg, Expectations(), leaf.not_after - timedelta(days=10, hours=1))
    assert codes(result.findings) == [("EXP003", "warning")]
    assert result.findings[0].field.endswith("(installer)")
    assert result.findings[0].actual == "10 days"


def test_extension_version_mismatch_is_a_warning() -> None:
    ipa = record("ios/adhoc.ipa")
    widget = dataclasses.replace(ipa.nested_bundles[0], CFBundleShortVersionString="2.4.0")
    changed = dataclasses.replace(ipa, nested_bundles=(widget, *ipa.nested_bundles[1:]))
    result = check(changed, Expectations(), NOW)
    assert codes(result.findings) == [("IOS007", "warning")]
    (f,) = result.findings
    assert (f.expected, f.actual) == ("2.4.1", "2.4.0")
    assert "PlugIns/Widget.appex" in f.message


def test_extension_without_profile_and_other_team() -> None:
    ipa = record("ios/adhoc.ipa")
    other = record("ios/wrong-certificate.ipa").app.mobileprovision
    foreign = dataclasses.replace(other, TeamIdentifier=("OTHER98765",))
    widget = dataclasses.replace(ipa.nested_bundles[0], mobileprovision=None)
    watch = dataclasses.replace(ipa.nested_bundles[1], mobileprovision=foreign)
    result = check(dataclasses.replace(ipa, nested_bundles=(widget, watch)), Expectations(), NOW)
    assert codes(result.findings) == [("IOS005", "error"), ("IOS006", "error")]


def test_v1_only_apk_targeting_android_11() -> None:
    apk = record("apk/signed-v1v2v3.apk")
    v1_only = dataclasses.replace(apk, signing=dataclasses.replace(
        apk.signing, schemes=("v1",), signers=apk.signing.signers[:1]), target_sdk=30)
    assert codes(check(v1_only, Expectations(), NOW).findings) == [("AND008", "error")]
    older = dataclasses.replace(v1_only, target_sdk=29)
    assert check(older, Expectations(), NOW).findings == ()


def test_ignore_drops_a_rule() -> None:
    result = check(record("apk/debuggable.apk"), Expectations(ignore=("AND001",), strict=True), NOW)
    assert codes(result.findings) == [("AND002", "warning")]
    assert "AND001" not in {r.code for r in result.rules}


def test_every_finding_carries_field_expected_actual() -> None:
    result = check(record("ios/mismatch-bundle-id.ipa"), Expectations(), NOW)
    f = result.findings[0]
    assert f.field == "CFBundleIdentifier (app)"
    assert (f.expected, f.actual) == ("TEAMID1234.com.fixture.app", "com.fixture.other")


def test_rule_codes_are_unique_and_titled() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert all(r.title and r.formats for r in RULES)


def test_bad_expectations() -> None:
    with pytest.raises(ValueError):
        Expectations(expect_version_name_regex="(")
    with pytest.raises(ValueError):
        Expectations(min_days=-1)


@pytest.mark.parametrize(("text", "expected"), [
    ("15", (15,)), ("15.0", (15,)), ("15.0.1", (15, 0, 1)), ("10.13", (10, 13)), ("x", None),
    (None, None), ("", None),
])
def test_version_tuple(text: str | None, expected: tuple[int, ...] | None) -> None:
    assert version_tuple(text) == expected


def test_pkg_without_package_fields_warns_for_the_upload() -> None:
    pkg = record("pkg/signed.pkg")
    bare = dataclasses.replace(pkg, app=None, product_id=None, product_version=None,
                               components=())
    assert codes(check(bare, Expectations(), NOW).findings) == [("UPL001", "warning")]
    assert "packageName or packageVersion" in check(bare, Expectations(), NOW).findings[0].message
