"""Provisioning profiles: every fixture and corpus profile against what openssl + plistutil read.

Expected values come from tests/reference/ios/ (made by its make_reference.sh):
``openssl cms -verify -noverify -inform DER -in P | plistutil -f xml`` for each profile (plistutil
alone for bare plists), ``openssl x509`` facts of the fixture certificates in keys.txt, and the
exit status of both tools on the broken files in errors.txt. Signing types are the documented
rule applied by hand to each file (listed in SIGNING_TYPES).
"""

from __future__ import annotations

import hashlib
import plistlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector import inspect
from inspector.errors import ArtifactError
from inspector.formats.profile import (
    _lenient_base64,
    bundle_id_matches,
    profile_from_bytes,
    signing_type,
)
from inspector.records.apple import SIGNING_TYPE_RULE
from inspector.records.frozen import freeze
from tests.conftest import FIXTURES, ROOT, corpus, run_cli

IOS = FIXTURES / "ios"
REF = ROOT / "tests" / "reference" / "ios"
NOW = "2026-06-01"

#: Readable profiles -> signing type, from the rule applied by hand to the recorded plists.
SIGNING_TYPES = {
    ("fixture", "development.mobileprovision"): "development",
    ("fixture", "adhoc.mobileprovision"): "ad-hoc",
    ("fixture", "adhoc-ber.mobileprovision"): "ad-hoc",
    ("fixture", "enterprise.mobileprovision"): "enterprise",
    ("fixture", "enterprise.provisionprofile"): "enterprise",
    ("fixture", "appstore.mobileprovision"): "app-store",
    ("fixture", "expired.mobileprovision"): "ad-hoc",
    ("fixture", "wildcard.mobileprovision"): "ad-hoc",
    ("fixture", "widget.mobileprovision"): "ad-hoc",
    ("fixture", "watch.mobileprovision"): "ad-hoc",
    ("fixture", "bare-xml.mobileprovision"): "ad-hoc",
    ("fixture", "bare-binary.mobileprovision"): "ad-hoc",
    ("corpus", "ios_development.mobileprovision"): "development",
    ("corpus", "ios_adhoc.mobileprovision"): "ad-hoc",
    ("corpus", "ios_appstore.mobileprovision"): "app-store",
    ("corpus", "plist.mobileprovision"): "enterprise",
    ("corpus", "bplist.mobileprovision"): "enterprise",
    ("corpus", "signed_plist.mobileprovision"): "enterprise",
}
BARE = {"bare-xml.mobileprovision", "bare-binary.mobileprovision", "plist.mobileprovision",
        "bplist.mobileprovision"}
BROKEN = {
    ("corpus", "invalid_empty.mobileprovision"): "file is empty",
    ("corpus", "invalid_missing_plist_block.mobileprovision"): "not a readable plist",
    ("corpus", "invalid_missing_plist_tag.mobileprovision"): "not a readable plist",
    ("fixture", "truncated.mobileprovision"): "not a readable CMS/PKCS#7 structure",
    ("fixture", "detached.mobileprovision"): "detached",
}


def path_of(origin: str, name: str) -> Path:
    return IOS / name if origin == "fixture" else corpus("ios", name)


def reference(origin: str, name: str) -> dict:
    return plistlib.loads((REF / "profiles" / f"{origin}--{name}.xml").read_bytes())


def keys() -> dict[str, dict[str, str]]:
    """keys.txt: openssl x509 facts per fixture key."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in (REF / "keys.txt").read_text().splitlines():
        if line.startswith("key "):
            current = out.setdefault(line[4:], {})
        elif line.startswith("sha1 Fingerprint="):
            current["sha1"] = line.split("=", 1)[1].replace(":", "").lower()
        elif line.startswith("sha256 Fingerprint="):
            current["sha256"] = line.split("=", 1)[1].replace(":", "").lower()
        else:
            key, _, value = line.partition("=")
            current[key] = value
    return out


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


@pytest.mark.parametrize(("origin", "name"), sorted(SIGNING_TYPES))
def test_profile_matches_openssl_and_plistutil(origin: str, name: str) -> None:
    record = inspect(path_of(origin, name), digest=False)
    ref = reference(origin, name)
    assert record.format == "profile"
    assert record.Name == ref["Name"]
    assert ref["UUID"] == record.UUID
    assert record.AppIDName == ref["AppIDName"]
    assert record.TeamName == ref["TeamName"]
    assert record.TeamIdentifier == tuple(ref["TeamIdentifier"])
    assert record.team_id == ref["TeamIdentifier"][0]
    assert record.ApplicationIdentifierPrefix == tuple(ref["ApplicationIdentifierPrefix"])
    assert record.Platform == tuple(ref["Platform"])
    assert record.CreationDate == aware(ref["CreationDate"])
    assert record.ExpirationDate == aware(ref["ExpirationDate"])
    assert record.ExpirationDate.tzinfo is not None
    assert record.TimeToLive == ref["TimeToLive"]
    assert record.Version == ref["Version"]
    assert record.IsXcodeManaged == ref["IsXcodeManaged"]
    assert record.ProvisionsAllDevices == ref.get("ProvisionsAllDevices", False)
    assert record.ProvisionedDevices == tuple(ref.get("ProvisionedDevices", ()))
    assert record.device_count == len(ref.get("ProvisionedDevices", ()))
    assert record.Entitlements == freeze(ref["Entitlements"])  # arrays as tuples (records/frozen.py)
    app_id = ref["Entitlements"]["application-identifier"]
    assert record.application_identifier == app_id
    assert record.application_identifier_wildcard == app_id.endswith("*")
    assert record.signingType == SIGNING_TYPES[(origin, name)]
    assert record.signing_rule.endswith("-> " + record.signingType)
    assert record.bare_plist == (name in BARE)
    # Every certificate openssl/plistutil decoded is either reported (same SHA-1 of the DER) or
    # named in a warning; none is silently dropped.
    ours = [c.sha1 for c in record.DeveloperCertificates]
    for i, der in enumerate(ref["DeveloperCertificates"]):
        sha1 = hashlib.sha1(der).hexdigest()
        assert sha1 in ours or any(f"DeveloperCertificates[{i}]" in w for w in record.warnings)


@pytest.mark.parametrize("name", ["development", "adhoc", "enterprise", "appstore", "expired",
                                  "wildcard"])
def test_fixture_certificates_match_openssl_x509(name: str) -> None:
    record = inspect(IOS / f"{name}.mobileprovision", digest=False)
    expected = keys()["dev" if name == "development" else "dist"]
    (cert,) = record.DeveloperCertificates
    assert cert.sha1 == expected["sha1"]
    assert cert.sha256 == expected["sha256"]
    assert cert.subject.replace(", ", ",") == expected["subject"]
    assert cert.serial == expected["serial"].lower().lstrip("0")
    assert cert.organizational_unit == "TEAMID1234"
    assert cert.not_after == datetime.strptime(expected["notAfter"], "%b %d %H:%M:%S %Y GMT").replace(
        tzinfo=UTC)


def test_ber_and_der_give_the_same_record() -> None:
    der = inspect(IOS / "adhoc.mobileprovision", digest=False)
    ber = inspect(IOS / "adhoc-ber.mobileprovision", digest=False)
    # BER really has indefinite lengths (0x30 0x80), DER does not.
    assert (IOS / "adhoc-ber.mobileprovision").read_bytes()[:2] == b"\x30\x80"
    assert (IOS / "adhoc.mobileprovision").read_bytes()[1] != 0x80
    for field in ("Name", "UUID", "Entitlements", "ProvisionedDevices", "DeveloperCertificates",
                  "ExpirationDate", "signingType"):
        assert getattr(der, field) == getattr(ber, field)


@pytest.mark.parametrize("name", sorted(BARE))
def test_bare_plists_are_accepted_with_a_warning(name: str) -> None:
    origin = "corpus" if name in {"plist.mobileprovision", "bplist.mobileprovision"} else "fixture"
    record = inspect(path_of(origin, name), digest=False)
    assert record.bare_plist
    assert any("bare plist" in w for w in record.warnings)


@pytest.mark.parametrize("name", ["plist.mobileprovision", "signed_plist.mobileprovision"])
def test_malformed_base64_is_decoded_as_plistutil_does(name: str) -> None:
    # The corpus profiles hold a <data> of 1953 base64 characters (one too many): plistlib refuses
    # it; plistutil drops the stray character. We do the same, and say so.
    record = inspect(path_of("corpus", name), digest=False)
    assert any("malformed base64" in w and "plistutil" in w for w in record.warnings)
    # The decoded bytes are not a certificate (the sample was edited): skipped with a warning.
    assert record.DeveloperCertificates == ()
    assert any(w.startswith("DeveloperCertificates[0] skipped") for w in record.warnings)


def test_lenient_base64_equals_plistutil_bytes() -> None:
    raw = path_of("corpus", "plist.mobileprovision").read_bytes()
    with pytest.raises(ValueError):
        plistlib.loads(raw)
    fixed, changed = _lenient_base64(raw)
    assert changed == 1
    ours = plistlib.loads(fixed)["DeveloperCertificates"][0]
    theirs = reference("corpus", "plist.mobileprovision")["DeveloperCertificates"][0]
    assert ours == theirs
    assert len(ours) == 1464


@pytest.mark.parametrize(("origin", "name"), sorted(BROKEN))
def test_broken_profiles_give_one_clear_error(origin: str, name: str) -> None:
    path = path_of(origin, name)
    # openssl and plistutil both refuse these files too (recorded exit statuses).
    (line,) = [x for x in (REF / "errors.txt").read_text().splitlines()
               if x.startswith(f"{origin}--{name} ")]
    assert "openssl=0" not in line
    assert line.endswith("plistutil=failed")
    result = run_cli("inspect", "--no-hash", str(path))
    assert result.code == 3
    assert BROKEN[(origin, name)] in result.err
    assert str(path) in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("cut", [1, 2, 10, 100, 500, 1500, 3000, 4500, 5000])
@pytest.mark.parametrize("name", ["adhoc.mobileprovision", "adhoc-ber.mobileprovision"])
def test_truncated_cms_is_an_artifact_error(tmp_path: Path, name: str, cut: int) -> None:
    data = (IOS / name).read_bytes()[:cut]
    with pytest.raises(ArtifactError):
        profile_from_bytes(data)
    target = tmp_path / "cut.mobileprovision"
    target.write_bytes(data)
    assert run_cli("inspect", "--no-hash", str(target)).code == 3


def test_random_bytes_are_an_artifact_error(tmp_path: Path) -> None:
    rng = random.Random(4)
    for i in range(20):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000)))
        if i % 2:
            data = b"\x30" + data  # looks like a DER SEQUENCE
        with pytest.raises(ArtifactError):
            profile_from_bytes(data)
        target = tmp_path / f"r{i}.mobileprovision"
        target.write_bytes(data)
        result = run_cli("inspect", "--no-hash", str(target))
        assert result.code == 3, result.err


def test_a_plist_that_is_not_a_profile() -> None:
    data = plistlib.dumps({"CFBundleIdentifier": "com.example"})
    with pytest.raises(ArtifactError, match="not a provisioning profile"):
        profile_from_bytes(data)


def test_wrong_value_types_become_warnings() -> None:
    data = plistlib.dumps({
        "Name": 7, "UUID": "u", "ExpirationDate": "tomorrow", "ProvisionedDevices": "abc",
        "Entitlements": {"get-task-allow": False}, "TeamIdentifier": ["T1"],
        "DeveloperCertificates": [b"not a certificate", "text"],
    })
    record = profile_from_bytes(data)
    assert record.Name is None
    assert record.ExpirationDate is None
    assert record.days_left(datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert record.ProvisionedDevices == ()
    assert record.signingType == "app-store"
    joined = "\n".join(record.warnings)
    for text in ("Name is a int", "ExpirationDate is a str", "ProvisionedDevices is a str",
                 "DeveloperCertificates[0] skipped", "DeveloperCertificates[1] is a str"):
        assert text in joined


def test_signing_type_rule_order() -> None:
    # The rule, branch by branch: get-task-allow wins over devices, devices over all-devices.
    assert signing_type({"get-task-allow": True}, ("a",), True)[0] == "development"
    assert signing_type({"get-task-allow": False}, ("a",), True)[0] == "ad-hoc"
    assert signing_type({}, (), True)[0] == "enterprise"
    assert signing_type({}, (), False)[0] == "app-store"
    assert signing_type({"get-task-allow": "yes"}, (), False)[0] == "app-store"
    assert SIGNING_TYPE_RULE.startswith("get-task-allow true -> development")


@pytest.mark.parametrize(("app_id", "bundle_id", "expected"), [
    ("TEAMID1234.com.fixture.app", "com.fixture.app", True),
    ("TEAMID1234.com.fixture.app", "com.fixture.app.widget", False),
    ("TEAMID1234.com.fixture.app", "com.fixture", False),
    ("TEAMID1234.*", "anything.at.all", True),
    ("TEAMID1234.com.fixture.*", "com.fixture.app", True),
    ("TEAMID1234.com.fixture.*", "com.fixtureapp", False),
    ("TEAMID1234.com.fixture.*", "com.other.app", False),
])
def test_bundle_id_matches(app_id: str, bundle_id: str, expected: bool) -> None:
    assert bundle_id_matches(app_id, bundle_id) is expected


def test_cli_json_shape_and_now() -> None:
    result = run_cli("inspect", "--json", "--no-hash", "--now", NOW,
                     str(IOS / "adhoc.mobileprovision"))
    assert result.code == 0
    (doc,) = result.json["results"]
    ref = reference("fixture", "adhoc.mobileprovision")
    assert doc["format"] == "profile"
    assert doc["ExpirationDate"] == ref["ExpirationDate"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc["TeamIdentifier"] == ref["TeamIdentifier"]
    assert doc["TeamName"] == ref["TeamName"]
    assert doc["ProvisionsAllDevices"] is False
    assert doc["ProvisionedDevices"] == ref["ProvisionedDevices"]
    assert doc["device_count"] == 12
    assert doc["signingType"] == "ad-hoc"
    assert doc["signing_type_rule"] == SIGNING_TYPE_RULE
    # 2026-06-01T00:00Z -> 2027-01-05T10:00Z is 218 days and 10 hours.
    assert doc["days_left"] == 218
    assert doc["expired"] is False
    later = run_cli("inspect", "--json", "--no-hash", "--now", "2027-02-01",
                    str(IOS / "adhoc.mobileprovision")).json["results"][0]
    # 26 days and 14 hours past: counted toward zero, as the text's "EXPIRED 26 days ago".
    assert later["days_left"] == -26
    assert later["expired"] is True
    text = run_cli("inspect", "--no-hash", "--now", "2027-02-01", str(IOS / "adhoc.mobileprovision")).out
    assert "(EXPIRED 26 days ago)" in text


def test_expired_profile() -> None:
    doc = run_cli("inspect", "--json", "--no-hash", "--now", NOW,
                  str(IOS / "expired.mobileprovision")).json["results"][0]
    assert doc["expired"] is True
    assert doc["days_left"] < 0


def test_profile_json_has_file_digest() -> None:
    path = IOS / "enterprise.mobileprovision"
    doc = run_cli("inspect", "--json", str(path)).json["results"][0]
    assert doc["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["file"]["size"] == path.stat().st_size


def test_cms_with_signer_info_asn1crypto_rejects_is_still_read() -> None:
    # openssl reads this corpus profile (reference recorded); asn1crypto cannot parse its signer
    # info, which inspector does not need: the plist is read from the encapsulated content.
    record = inspect(path_of("corpus", "signed_plist.mobileprovision"), digest=False)
    assert not record.bare_plist
    assert reference("corpus", "signed_plist.mobileprovision")["UUID"] == record.UUID
