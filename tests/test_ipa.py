"""IPAs: every fixture and corpus IPA against what plistutil, openssl and unzip say about it.

Expected values come from tests/reference/ios/ (its make_reference.sh): each bundle's Info.plist
through ``plistutil -f xml``, each embedded profile through ``openssl cms -verify -noverify |
plistutil``, and for each executable the certificates of every CMS blob (magic 0xfade0b01, cut out
with grep/dd, printed by ``openssl pkcs7 -print_certs`` + ``openssl x509 -fingerprint``) and every
entitlements blob (0xfade7171) through plistutil. The fixture keys' facts are in keys.txt.
"""

from __future__ import annotations

import plistlib
import random
import shutil
import struct
import subprocess
import zipfile
import zlib
from datetime import UTC
from pathlib import Path

import pytest

from inspector import extract_icon, inspect
from inspector.records.apple import IpaApp
from inspector.records.frozen import freeze
from tests.conftest import FIXTURES, ROOT, corpus, run_cli
from tests.tool_outputs import read_icon_members

IOS = FIXTURES / "ios"
REF = ROOT / "tests" / "reference" / "ios"
NOW = "2026-06-01"
FAMILIES = {1: "iPhone", 2: "iPad", 3: "TV", 4: "Watch", 6: "CarPlay", 7: "Vision"}

FIXTURE_IPAS = ["adhoc", "development", "mismatch-bundle-id", "wrong-certificate", "wildcard",
                "no-profile", "appstore-encrypted"]
CORPUS_IPAS = ["embedded", "iOSAppOnly", "ipad", "iphone"]
ALL = [("fixture", n) for n in FIXTURE_IPAS] + [("corpus", n) for n in CORPUS_IPAS]


def path_of(origin: str, name: str) -> Path:
    return IOS / f"{name}.ipa" if origin == "fixture" else corpus("ios", f"{name}.ipa")


def slug(bundle_path: str) -> str:
    return bundle_path.rstrip("/").replace("/", "_")


def ref_plist(kind: str, origin: str, name: str, bundle_path: str) -> dict | None:
    path = REF / kind / f"{origin}--{name}.ipa--{slug(bundle_path)}.xml"
    return plistlib.loads(path.read_bytes()) if path.exists() else None


def ref_signature(origin: str, name: str, bundle_path: str, exe: str) -> tuple[set, set, list]:
    """(SHA-1s, subjects) of every certificate in the executable's CMS blobs; entitlements."""
    base = REF / "signatures" / f"{origin}--{name}.ipa--{slug(bundle_path)}--{exe}"
    sha1s, subjects = set(), set()
    text = base.with_name(base.name + ".txt")
    if text.exists():
        for line in text.read_text().splitlines():
            if line.startswith("sha1 Fingerprint="):
                sha1s.add(line.split("=", 1)[1].replace(":", "").lower())
            elif line.startswith("subject="):
                subjects.add(line.split("=", 1)[1])
    entitlements = [plistlib.loads(p.read_bytes())
                    for p in sorted(base.parent.glob(base.name + ".*.xml"))]
    return sha1s, subjects, entitlements


def key_sha1(name: str) -> str:
    lines = (REF / "keys.txt").read_text().splitlines()
    start = lines.index(f"key {name}")
    for line in lines[start:]:
        if line.startswith("sha1 Fingerprint="):
            return line.split("=", 1)[1].replace(":", "").lower()
    raise AssertionError(name)


class _Records(dict[tuple[str, str], IpaApp]):
    """Every IPA's record, read once; a corpus one that is absent skips the test asking for it."""

    def __missing__(self, key: tuple[str, str]) -> IpaApp:
        record = inspect(path_of(*key), digest=False)
        self[key] = record
        return record


@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str], IpaApp]:
    return _Records()


@pytest.mark.parametrize(("origin", "name"), ALL)
def test_every_bundle_matches_the_reference(records, origin: str, name: str) -> None:
    path_of(origin, name)
    record = records[(origin, name)]
    assert record.format == "ipa"
    infos = sorted(p.name for p in (REF / "info").glob(f"{origin}--{name}.ipa--*.xml"))
    assert sorted(f"{origin}--{name}.ipa--{slug(b.path)}.xml" for b in record.bundles) == infos
    for bundle in record.bundles:
        info = ref_plist("info", origin, name, bundle.path)
        assert info is not None
        for key in ("CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion",
                    "CFBundleDisplayName", "CFBundleName", "CFBundleExecutable",
                    "MinimumOSVersion", "DTPlatformName", "DTSDKName", "DTXcode"):
            assert getattr(bundle, key) == info.get(key), key
        assert bundle.CFBundleSupportedPlatforms == tuple(info.get("CFBundleSupportedPlatforms", ()))
        assert bundle.UIDeviceFamily == tuple(FAMILIES[n] for n in info.get("UIDeviceFamily", ()))

        profile = ref_plist("profiles", origin, name, bundle.path)
        if profile is None:
            assert bundle.mobileprovision is None
        else:
            mp = bundle.mobileprovision
            assert mp is not None and mp.format == "embedded-profile"
            assert mp.member == bundle.path + "embedded.mobileprovision"
            assert mp.Name == profile["Name"]
            assert profile["UUID"] == mp.UUID
            assert mp.ExpirationDate == profile["ExpirationDate"].replace(tzinfo=UTC)
            assert mp.TeamIdentifier == tuple(profile["TeamIdentifier"])
            assert mp.TeamName == profile["TeamName"]
            assert mp.ProvisionedDevices == tuple(profile.get("ProvisionedDevices", ()))
            assert mp.Entitlements == freeze(profile["Entitlements"])  # arrays as tuples

        sha1s, subjects, entitlements = ref_signature(origin, name, bundle.path,
                                                      bundle.CFBundleExecutable or "")
        sig = bundle.code_signature
        if not sha1s and not entitlements:
            assert sig is None
            continue
        assert sig is not None
        if sig.adhoc:
            assert sig.certificate is None and not sha1s
        else:
            assert sig.certificate.sha1 in sha1s
            assert sig.certificate.subject.replace(", ", ",") in subjects
        assert sig.entitlements == freeze(entitlements[0])
        if profile is not None and sig.certificate is not None:
            in_profile = sig.certificate.sha1 in {
                __import__("hashlib").sha1(d).hexdigest() for d in profile["DeveloperCertificates"]
            }
            assert bundle.certificate_in_profile is in_profile


def test_adhoc_reference_build(records) -> None:
    record = records[("fixture", "adhoc")]
    app = record.app
    assert app.kind == "app" and app.path == "Payload/Fixture.app/"
    assert app.CFBundleIdentifier == "com.fixture.app"
    assert app.mobileprovision.signingType == "ad-hoc"
    assert app.certificate_in_profile is True
    assert app.bundle_id_matches_profile is True
    assert app.code_signature.archs == ("arm64", "x86_64")
    assert app.code_signature.certificate.sha1 == key_sha1("dist")
    assert app.code_signature.identifier == "com.fixture.app"
    assert app.code_signature.team_id == "TEAMID1234"
    assert app.icon == "Payload/Fixture.app/AppIcon60x60@3x.png"
    assert app.CFBundleIconName == "AppIcon"
    assert app.CFBundleIconFiles == ("AppIcon60x60", "AppIcon76x76")
    assert not record.encrypted
    kinds = {b.path: b.kind for b in record.nested_bundles}
    assert kinds == {
        "Payload/Fixture.app/PlugIns/Widget.appex/": "extension",
        "Payload/Fixture.app/Watch/FixtureWatch.app/": "watch-app",
    }
    for nested in record.nested_bundles:
        assert nested.mobileprovision is not None
        assert nested.mobileprovision.application_identifier == (
            "TEAMID1234." + nested.CFBundleIdentifier)
        assert nested.certificate_in_profile is True
        assert nested.bundle_id_matches_profile is True
    assert record.warnings == ()


def test_development_build(records) -> None:
    app = records[("fixture", "development")].app
    assert app.mobileprovision.signingType == "development"
    assert app.code_signature.certificate.sha1 == key_sha1("dev")
    assert app.code_signature.entitlements["get-task-allow"] is True
    assert app.certificate_in_profile is True


def test_mismatching_bundle_id(records) -> None:
    record = records[("fixture", "mismatch-bundle-id")]
    assert record.app.CFBundleIdentifier == "com.fixture.other"
    assert record.app.bundle_id_matches_profile is False
    assert record.app.certificate_in_profile is True
    assert any("com.fixture.other is not covered" in w for w in record.warnings)


def test_certificate_not_in_profile(records) -> None:
    record = records[("fixture", "wrong-certificate")]
    assert record.app.code_signature.certificate.sha1 == key_sha1("other")
    assert record.app.certificate_in_profile is False
    assert any("not one of the profile's DeveloperCertificates" in w for w in record.warnings)
    # The signed application-identifier carries the other team's prefix.
    assert any("signed application-identifier OTHER98765.com.fixture.app" in w
               for w in record.warnings)


def test_wildcard_profile(records) -> None:
    app = records[("fixture", "wildcard")].app
    assert app.mobileprovision.application_identifier == "TEAMID1234.com.fixture.*"
    assert app.mobileprovision.application_identifier_wildcard is True
    assert app.bundle_id_matches_profile is True


def test_missing_profile_and_assets_car_icon(records) -> None:
    record = records[("fixture", "no-profile")]
    app = record.app
    assert app.mobileprovision is None
    assert app.certificate_in_profile is None and app.bundle_id_matches_profile is None
    assert app.code_signature.adhoc is True and app.code_signature.certificate is None
    assert app.icon is None and app.icon_only_in_assets_car is True
    assert any("no embedded.mobileprovision" in w for w in record.warnings)
    assert any("only in Assets.car" in w for w in record.warnings)
    assert extract_icon(IOS / "no-profile.ipa", record) is None


def test_app_store_encrypted_copy(records) -> None:
    record = records[("fixture", "appstore-encrypted")]
    assert record.encrypted is True
    assert record.app.mobileprovision is None
    # An App Store download has no profile by design: no warning for that.
    assert not any("embedded.mobileprovision" in w for w in record.warnings)


def test_corpus_nested_payload_folder(records) -> None:
    record = records[("corpus", "iOSAppOnly")]
    assert record.app.path == "iOSAppOnly/Payload/Sample.app/"
    assert record.app.CFBundleIdentifier == "com.example.Sample"
    assert record.nested_bundles == ()
    assert any("CFBundleExecutable is missing" in w or "Sample named by CFBundleExecutable" in w
               for w in record.warnings)


def test_corpus_extension_with_its_own_profile(records) -> None:
    record = records[("corpus", "embedded")]
    (ext,) = record.nested_bundles
    assert ext.kind == "extension"
    assert ext.CFBundleIdentifier == "com.icyleaf.test.Demo.Notification"
    assert ext.mobileprovision.UUID != record.app.mobileprovision.UUID
    assert ext.mobileprovision.signingType == "enterprise"
    assert record.app.mobileprovision.signingType == "enterprise"


def test_corpus_signing_types(records) -> None:
    # ipad.ipa: get-task-allow false, no devices, not all devices -> app-store;
    # iphone.ipa: get-task-allow true -> development (see the recorded profiles).
    assert records[("corpus", "ipad")].app.mobileprovision.signingType == "app-store"
    assert records[("corpus", "iphone")].app.mobileprovision.signingType == "development"
    assert records[("corpus", "ipad")].app.icon == "Payload/bundle.app/AppIcon83.5x83.5@2x~ipad.png"


@pytest.mark.parametrize(("origin", "name", "code", "text"), [
    ("corpus", "no-app-bundle", 3, "no app bundle"),
    ("corpus", "not-an-ipa", 4, "unknown format"),
    ("fixture", "no-info-plist", 3, "app bundle has no Info.plist"),
])
def test_broken_ipas(origin: str, name: str, code: int, text: str) -> None:
    path = path_of(origin, name)
    result = run_cli("inspect", "--no-hash", str(path))
    assert result.code == code
    assert text in result.err and str(path) in result.err
    doc = run_cli("inspect", "--json", "--no-hash", str(path)).json["results"][0]
    assert doc["error"]["exit_code"] == code


@pytest.mark.parametrize("cut", [10, 100, 1000, 5000, 20000, 26000])
def test_truncated_ipa(tmp_path: Path, cut: int) -> None:
    target = tmp_path / "cut.ipa"
    target.write_bytes((IOS / "adhoc.ipa").read_bytes()[:cut])
    result = run_cli("inspect", "--no-hash", str(target))
    assert result.code in (3, 4), result.err
    assert "internal error" not in result.err


def test_random_bytes_named_ipa(tmp_path: Path) -> None:
    rng = random.Random(7)
    for i in range(10):
        target = tmp_path / f"r{i}.ipa"
        target.write_bytes(b"PK\x03\x04" * (i % 2) + rng.randbytes(rng.randint(1, 4000)))
        result = run_cli("inspect", "--no-hash", str(target))
        assert result.code in (3, 4), result.err


def _zip(path: Path, members: dict[str, bytes], stored: tuple[str, ...] = ()) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data, zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)


def _info(**extra: object) -> bytes:
    base = {"CFBundleIdentifier": "com.example.t", "CFBundleExecutable": "T"}
    base.update(extra)
    return plistlib.dumps(base, fmt=plistlib.FMT_BINARY)


def test_bad_members_become_warnings(tmp_path: Path) -> None:
    target = tmp_path / "bad.ipa"
    _zip(target, {
        "Payload/T.app/Info.plist": _info(UIDeviceFamily=[1, "2", "x", 9]),
        "Payload/T.app/T": b"this is not a Mach-O executable",
        "Payload/T.app/embedded.mobileprovision": b"\x30\x82\x00\x10garbage",
        "Payload/T.app/PlugIns/X.appex/Info.plist": b"<plist><dict><key>a</key>",
    })
    record = inspect(target, digest=False)
    assert record.app.UIDeviceFamily == ("iPhone", "iPad", "unknown (9)")
    assert record.app.code_signature is None and record.app.mobileprovision is None
    joined = "\n".join(record.warnings)
    assert "not a Mach-O" in joined
    assert "embedded.mobileprovision unreadable" in joined
    assert "UIDeviceFamily holds 'x'" in joined
    assert "Payload/T.app/PlugIns/X.appex/: skipped: not a readable plist" in joined


def test_only_needed_members_are_read(tmp_path: Path) -> None:
    # A large resource whose bytes are corrupted after writing: reading it would fail its CRC.
    target = tmp_path / "big.ipa"
    src = zipfile.ZipFile(IOS / "adhoc.ipa")
    members = {i.filename: src.read(i) for i in src.infolist() if not i.is_dir()}
    members["Payload/Fixture.app/big.bin"] = b"\0" * 300_000
    _zip(target, members, stored=("Payload/Fixture.app/big.bin",))
    data = bytearray(target.read_bytes())
    start = data.index(b"Payload/Fixture.app/big.bin") + 100
    data[start:start + 1000] = b"\xff" * 1000
    target.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(target).read("Payload/Fixture.app/big.bin")
    record = inspect(target, digest=False)
    assert record.app.certificate_in_profile is True
    assert record.warnings == ()


def test_cli_json_shape_and_now() -> None:
    path = IOS / "adhoc.ipa"
    doc = run_cli("inspect", "--json", "--no-hash", "--now", NOW, str(path)).json["results"][0]
    assert doc["format"] == "ipa"
    assert doc["file"]["size"] == path.stat().st_size
    app = doc["app"]
    assert app["CFBundleIdentifier"] == "com.fixture.app"
    assert app["CFBundleShortVersionString"] == "2.4.1"
    assert app["CFBundleVersion"] == "241"
    mp = app["mobileprovision"]
    assert mp["ExpirationDate"] == "2027-01-05T10:00:00Z"
    assert mp["TeamIdentifier"] == ["TEAMID1234"]
    assert mp["TeamName"] == "Fixture Corp"
    assert mp["ProvisionsAllDevices"] is False
    assert len(mp["ProvisionedDevices"]) == 12
    assert mp["signingType"] == "ad-hoc"
    assert mp["days_left"] == 218
    assert app["code_signature"]["certificate"]["sha1"] == key_sha1("dist")
    assert [b["kind"] for b in doc["nested_bundles"]] == ["extension", "watch-app"]
    later = run_cli("inspect", "--json", "--no-hash", "--now", "2026-12-31", str(path))
    assert later.json["results"][0]["app"]["mobileprovision"]["days_left"] == 5
    assert later.json["results"][0]["nested_bundles"][0]["mobileprovision"]["days_left"] == 5


def test_file_digest() -> None:
    import hashlib

    path = IOS / "development.ipa"
    doc = run_cli("inspect", "--json", str(path)).json["results"][0]
    assert doc["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def _png_facts(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    width = height = 0
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack_from(">I", data, pos + 8 + length)[0]
        kinds.append(kind)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    # A standard PNG's image data is a zlib stream (CgBI's is raw deflate): this must inflate.
    assert len(zlib.decompress(idat)) == height * (1 + width * 4)
    return width, height, kinds


@pytest.mark.parametrize(("origin", "name", "member", "size"), [
    ("fixture", "adhoc", "Payload/Fixture.app/AppIcon60x60@3x.png", 180),
    ("corpus", "ipad", "Payload/bundle.app/AppIcon83.5x83.5@2x~ipad.png", 167),
])
def test_extract_icon_writes_a_standard_png(tmp_path: Path, origin: str, name: str,
                                            member: str, size: int) -> None:
    path = path_of(origin, name)
    # The member in the archive is CgBI (plain zlib cannot read it).
    raw = zipfile.ZipFile(path).read(member)
    assert raw[12:16] == b"CgBI"
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path / "icons"), str(path))
    assert result.code == 0, result.err
    target = tmp_path / "icons" / f"{name}.ipa.png"
    assert f"{name}.ipa: icon {member} ({size}x{size} PNG) written to {target}" in result.out
    png = (tmp_path / "icons" / f"{name}.ipa.png").read_bytes()
    width, height, kinds = _png_facts(png)
    assert (width, height) == (size, size)
    assert b"CgBI" not in kinds and kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    if shutil.which("pngfix"):
        check = subprocess.run(["pngfix", str(tmp_path / "icons" / f"{name}.ipa.png")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_bundle_kinds_and_several_apps(tmp_path: Path) -> None:
    target = tmp_path / "kinds.ipa"
    _zip(target, {
        "Payload/A.app/Info.plist": _info(),
        "Payload/B.app/Info.plist": _info(CFBundleIdentifier="com.example.b"),
        "Payload/A.app/Extensions/E.appex/Info.plist": _info(CFBundleIdentifier="com.example.t.e"),
        "Payload/A.app/AppClips/C.app/Info.plist": _info(CFBundleIdentifier="com.example.t.clip"),
        "Payload/A.app/Watch/W.app/PlugIns/WE.appex/Info.plist": _info(),
        "Payload/A.app/Base.lproj/Main.storyboardc/Info.plist": plistlib.dumps({}),
        "Payload/A.app/Frameworks/F.framework/Info.plist": plistlib.dumps({}),
    })
    record = inspect(target, digest=False)
    assert record.app.path == "Payload/A.app/"
    assert {b.path: b.kind for b in record.nested_bundles} == {
        "Payload/A.app/AppClips/C.app/": "nested-app",
        "Payload/A.app/Extensions/E.appex/": "extension",
        "Payload/A.app/Watch/W.app/PlugIns/WE.appex/": "extension",
    }
    assert any("2 app bundles in Payload/; reporting Payload/A.app/" in w for w in record.warnings)


def test_zip_reader_warnings_reach_the_record(tmp_path: Path) -> None:
    # Info.plist stored, then its method id set to an unknown value in both headers: the zip
    # reader reads it as stored (as Android does) and says so; that note must reach the record
    # even though the IPA parser reads the member after it started collecting warnings.
    source = FIXTURES / "ios" / "development.ipa"
    target = tmp_path / "odd-method.ipa"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            info.compress_type = zipfile.ZIP_STORED if info.filename.endswith(".app/Info.plist") \
                else info.compress_type
            out.writestr(info, data)
    raw = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as z:
        plist = next(i for i in z.infolist() if i.filename.endswith(".app/Info.plist"))
    struct.pack_into("<H", raw, plist.header_offset + 8, 99)
    name = plist.filename.encode()
    pos = raw.index(b"PK\x01\x02")  # the central directory: find the plist's entry
    while True:
        pos = raw.index(b"PK\x01\x02", pos)
        length = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + length] == name:
            struct.pack_into("<H", raw, pos + 10, 99)
            break
        pos += 4
    target.write_bytes(bytes(raw))
    record = inspect(target, digest=False)
    assert record.app.CFBundleIdentifier == "com.fixture.app"
    assert any("read as stored" in w for w in record.warnings)


# -- icon sizes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("origin", "name"), [("fixture", "development"), ("corpus", "ipad")])
def test_every_icon_file_has_the_size_file_reads_and_the_largest_is_chosen(origin: str,
                                                                           name: str) -> None:
    # file(1) reads the IHDR of Xcode's CgBI PNGs (tests/reference/image/members.txt); identify
    # and pngcheck refuse them.
    app = inspect(path_of(origin, name), digest=False)
    assert isinstance(app, IpaApp)
    measured = {m: seen for (a, m), seen in read_icon_members().items() if a == f"{name}.ipa"}
    assert {i.path: (i.format, i.width, i.height) for i in app.app.icon_images} == measured
    largest = max(measured, key=lambda m: measured[m][1] * measured[m][2])
    assert app.app.icon == largest
    assert not any("icon file" in w for w in app.warnings)


def test_a_larger_icon_by_its_header_wins_over_a_larger_name(tmp_path: Path) -> None:
    # Names say 60 points @3x (180 px) against 76 @2x (152 px); the headers say otherwise, and
    # the header is what the file is. A file that is no image loses to any that is one.
    def png(side: int) -> bytes:
        body = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + body
                + struct.pack(">I", zlib.crc32(b"IHDR" + body)))

    target = tmp_path / "sizes.ipa"
    _zip(target, {
        "Payload/A.app/Info.plist": _info(CFBundleIconFiles=["AppIcon60x60", "AppIcon76x76", "Icon"]),
        "Payload/A.app/AppIcon60x60@3x.png": png(120),
        "Payload/A.app/AppIcon76x76@2x~ipad.png": png(200),
        "Payload/A.app/Icon.png": b"GIF89a" + b"\0" * 40,
    })
    app = inspect(target, digest=False)
    assert isinstance(app, IpaApp)
    assert app.app.icon == "Payload/A.app/AppIcon76x76@2x~ipad.png"
    sizes = {i.path.rsplit("/", 1)[1]: (i.format, i.width, i.height) for i in app.app.icon_images}
    assert sizes == {"AppIcon60x60@3x.png": ("png", 120, 120),
                     "AppIcon76x76@2x~ipad.png": ("png", 200, 200), "Icon.png": (None, None, None)}
    assert "Payload/A.app/: icon file Payload/A.app/Icon.png is not a PNG image" in app.warnings
