"""Apple verification (inspector/verify/codesign.py, seals.py, entitlements.py, profile.py,
bundles.py): every tampered fixture (fixtures/ios/make_tampered.py) fails with its code and only
its code; every untampered fixture and corpus file keeps its verdict; openssl's verdict on every
CMS blob of every fixture and corpus file (tests/reference/apple_cms/record.py) is ours."""

from __future__ import annotations

import plistlib
import struct
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector import api, formats
from inspector.checks import check
from inspector.checks.expectations import Expectations
from inspector.containers import macho
from inspector.errors import ArtifactError
from inspector.records.verification import Failure
from inspector.verify import codesign, seals
from inspector.verify.cms import verify_signed_data
from inspector.verify.entitlements import disallowed
from inspector.verify.profile import verify_profile_bytes
from tests import hostile
from tests.conftest import CORPUS, FIXTURES, ROOT, corpus
from tests.work import Spent, inspect_counting

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TAMPERED = FIXTURES / "ios" / "tampered"
VERDICTS = ROOT / "tests" / "reference" / "apple_cms" / "verdicts.txt"
SIG = ("SIG002", "SIG003", "SIG004")


def sig_findings(path: Path) -> list[tuple[str, str]]:
    result = check(inspector.inspect(path, digest=False), Expectations(), NOW)
    return [(f.code, f.field) for f in result.findings if f.code in SIG]


# -- tampered fixtures: each fails with its code, and nothing else of SIG00x -----------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("info-plist-edited.ipa", [("SIG002", "code signature (app)")]),
    ("page-changed.ipa", [("SIG002", "code signature (app)")]),
    ("unsealed-file.ipa", [("SIG002", "code signature (app)")]),
    ("resource-changed.ipa", [("SIG002", "code signature (app)")]),
    ("extension-changed.ipa", [("SIG002", "code signature (app)"),
                               ("SIG002", "code signature (PlugIns/Widget.appex)")]),
    ("codedirectory-edited.ipa", [("SIG002", "code signature (app)")]),
    ("alternate-edited.ipa", [("SIG002", "code signature (app)")]),
    ("entitlement-not-in-profile.ipa", [("SIG003", "entitlements (app): aps-environment")]),
    ("profile-altered.ipa", [("SIG002", "code signature (app)"),
                             ("SIG004", "profile signature (app)")]),
    ("profile-altered.mobileprovision", [("SIG004", "profile signature (profile)")]),
])
def test_tampered_fixture_fails_with_its_code(name: str, expected: list) -> None:
    assert sig_findings(TAMPERED / name) == expected


def failures(name: str) -> list[Failure]:
    record = inspector.inspect(TAMPERED / name, digest=False)
    assert record.verification.verified is False
    return list(record.verification.failures)


def test_what_each_tampering_breaks() -> None:
    (a, b) = failures("info-plist-edited.ipa")
    assert {(a.slot, b.slot)} == {("-1 Info.plist", "-1 Info.plist")}
    assert {a.message.split(":")[0], b.message.split(":")[0]} == {"arm64 sha256", "x86_64 sha256"}
    (page,) = failures("page-changed.ipa")
    assert (page.scheme, page.member, page.slot, page.page) == (
        "code-signature", "Payload/Fixture.app/Fixture", "code", 0)
    assert page.message.startswith("arm64 sha256")
    (extra,) = failures("unsealed-file.ipa")
    assert (extra.scheme, extra.member) == ("resource-seal", "Payload/Fixture.app/extra.txt")
    assert "not sealed" in extra.message
    (icon,) = failures("resource-changed.ipa")
    assert (icon.scheme, icon.member) == ("resource-seal", "Payload/Fixture.app/AppIcon60x60@2x.png")
    widget = "Payload/Fixture.app/PlugIns/Widget.appex/Widget"
    assert {(f.scheme, f.member, f.page) for f in failures("extension-changed.ipa")} == {
        ("resource-seal", widget, None), ("code-signature", widget, 0)}
    cd_page, cd_cms = failures("codedirectory-edited.ipa")
    assert (cd_page.page, cd_cms.slot) == (0, "signature")
    assert "message digest" in cd_cms.message
    bound = failures("alternate-edited.ipa")
    assert sorted((f.message.split(":")[0], f.slot) for f in bound) == [
        ("arm64", "signature"), ("arm64", "signature"), ("x86_64", "signature"),
        ("x86_64", "signature")]
    assert {f.message.split(": ", 1)[1] for f in bound} == {
        "the CDHashes plist attribute does not name this signature's CodeDirectories",
        "a CDHashes attribute value does not match a CodeDirectory"}
    (aps,) = failures("entitlement-not-in-profile.ipa")
    assert (aps.scheme, aps.slot) == ("entitlements", "aps-environment")
    assert "production" in aps.message
    record = inspector.inspect(TAMPERED / "profile-altered.mobileprovision", digest=False)
    (altered,) = record.verification.failures
    assert altered.scheme == "profile" and "digest" in altered.message


def test_bundle_and_framework_verification_facts() -> None:
    record = inspector.inspect(TAMPERED / "extension-changed.ipa", digest=False)
    app, widget, watch = record.bundles
    assert [b.verification.verified for b in (app, widget, watch)] == [False, False, True]
    assert app.mobileprovision.verification.verified is True
    rich = inspector.inspect(FIXTURES / "ios" / "rich.ipa", digest=False)
    assert [(fw.path, fw.verification.verified) for fw in rich.app.frameworks] == [
        ("Frameworks/libswiftCore.dylib", True), ("Frameworks/FixtureKit.framework", True),
        ("Frameworks/VendorSDK.framework", True)]


# -- untampered fixtures and corpus files keep their verdicts ---------------------------------------
FIXTURE_VERDICTS = {
    "adhoc.ipa": True, "alternates.ipa": True, "development.ipa": True, "wildcard.ipa": True,
    "rich.ipa": True, "no-profile.ipa": True, "appstore-encrypted.ipa": True,
    # Signed entitlements of another app id / another team than the profile's (SIG003 only).
    "mismatch-bundle-id.ipa": False, "wrong-certificate.ipa": False,
}


@pytest.mark.parametrize("name", sorted(FIXTURE_VERDICTS))
def test_fixture_ipa_verdict(name: str) -> None:
    record = inspector.inspect(FIXTURES / "ios" / name, digest=False)
    assert record.verification.verified is FIXTURE_VERDICTS[name]
    assert {f.scheme for f in record.verification.failures} <= {"entitlements"}


def test_every_fixture_profile_verifies() -> None:
    names = sorted(p for p in (FIXTURES / "ios").glob("*.mobileprovision")
                   if p.name not in ("truncated.mobileprovision", "detached.mobileprovision"))
    names += sorted((FIXTURES / "macos").glob("*.provisionprofile"))
    verdicts = {p.name: inspector.inspect(p, digest=False).verification.verified for p in names}
    bare = {"bare-xml.mobileprovision", "bare-binary.mobileprovision"}
    assert {n for n, v in verdicts.items() if v is None} == bare
    assert all(v is True for n, v in verdicts.items() if n not in bare)
    assert len(verdicts) == 14


CORPUS_IPAS = {
    "ipad.ipa": True,  # SHA-1 + SHA-256 CodeDirectories bound by the CDHashes attributes
    "iphone.ipa": True,
    "embedded.ipa": False,  # an empty Frameworks/CarPlay.framework/ folder: see below
    "iOSAppOnly.ipa": False,  # an Info.plist and nothing else: no executable, no seal
}


@pytest.mark.parametrize("name", sorted(CORPUS_IPAS))
def test_corpus_ipa_verdict(name: str) -> None:
    record = inspector.inspect(corpus("ios", name), digest=False)
    assert record.verification.verified is CORPUS_IPAS[name]


def test_embedded_ipa_fails_only_on_its_empty_framework_folder() -> None:
    path = corpus("ios", "embedded.ipa")
    record = inspector.inspect(path, digest=False)
    assert record.app.frameworks[0].path == "Frameworks/CarPlay.framework"
    assert record.app.frameworks[0].verification.verified is False
    assert record.app.verification.verified is True
    assert record.nested_bundles[0].verification.verified is True
    # The independent reading: the zip lists the folder and nothing inside it.
    with zipfile.ZipFile(path) as archive:
        inside = [n for n in archive.namelist() if n.startswith("Payload/Demo.app/Frameworks/")]
    assert inside == ["Payload/Demo.app/Frameworks/", "Payload/Demo.app/Frameworks/CarPlay.framework/"]


# -- the openssl oracle over every CMS blob ---------------------------------------------------------
def recorded() -> list[list[str]]:
    return [line.split(" ") for line in VERDICTS.read_text(encoding="utf-8").splitlines()]


def resolve(name: str) -> Path:
    if name.startswith("corpus/"):
        return corpus(*name.split("/")[1:])
    return ROOT / name


def our_code_verdict(path: Path, member: str, arch: str) -> bool:
    with zipfile.ZipFile(path) as archive, archive.open(member) as fh:
        slices = macho.read_signed_slices(fh, archive.getinfo(member).file_size)
    (signed,) = [s for s in slices if s.arch == arch]
    entries = macho.superblob_entries(signed.signature, arch)
    signers = verify_signed_data(entries[0x10000][1][8:], entries[0][1])
    return all(s.verification.verified for s in signers) and bool(signers)


def test_openssl_agrees_on_every_cms_blob() -> None:
    if not CORPUS.exists():
        pytest.skip(f"shared corpus not present ({CORPUS}): the recorded verdicts include it")
    rows = recorded()
    compared = {"profile": 0, "code": 0}
    disagree = []
    for kind, name, member, arch, verdict in rows:
        path = resolve(name)
        if kind == "profile":
            data = (path.read_bytes() if member == "-"
                    else zipfile.ZipFile(path).read(member))
            ours = verify_profile_bytes(data).verified is True
        else:
            ours = our_code_verdict(path, member, arch)
        compared[kind] += 1
        if ours != (verdict == "ok"):
            disagree.append((kind, name, member, arch, verdict))
    assert disagree == []
    assert compared == {"profile": 54, "code": 49}
    assert sum(1 for row in rows if row[-1] == "failure") == 5


# -- pure pieces ------------------------------------------------------------------------------------
def test_entitlements_rules() -> None:
    profile = {"application-identifier": "T.com.acme.*", "com.apple.developer.team-identifier": "T",
               "keychain-access-groups": ["T.*"], "aps-environment": "development",
               "com.apple.security.application-groups": ["group.a"],
               "com.apple.developer.associated-domains": "*", "get-task-allow": False}
    fine = {"application-identifier": "T.com.acme.app", "keychain-access-groups": ["T.x"],
            "aps-environment": "development", "com.apple.security.application-groups": ["group.a"],
            "com.apple.developer.associated-domains": ["applinks:x.example"]}
    assert disallowed(fine, profile) == []
    bad = {"application-identifier": "U.com.acme.app", "aps-environment": "production",
           "com.apple.security.application-groups": ["group.a", "group.b"],
           "keychain-access-groups": ["U.x"], "get-task-allow": True,
           "com.apple.developer.team-identifier": "U"}
    assert [f.slot for f in disallowed(bad, profile)] == [
        "application-identifier", "com.apple.developer.team-identifier",
        "keychain-access-groups", "com.apple.security.application-groups", "aps-environment",
        "get-task-allow"]
    (groups,) = [f for f in disallowed(bad, profile)
                 if f.slot == "com.apple.security.application-groups"]
    assert "group.b" in groups.message and "group.a," not in groups.message
    assert disallowed({"aps-environment": "production"}, {})[0].slot == "aps-environment"


def resources(rules2: dict, files2: dict) -> seals.CodeResources:
    return seals.parse_code_resources(plistlib.dumps({"files": {}, "files2": files2,
                                                      "rules2": rules2}))


def test_seal_rules_weights_and_ties() -> None:
    xcode7 = resources({"^": {"weight": 20.0}, "^Info\\.plist$": {"omit": True, "weight": 20.0},
                        "^.*\\.lproj/": {"optional": True, "weight": 1000.0}}, {})
    assert xcode7.rule_for("Info.plist").omit is True  # a tie at 20: the omission wins
    assert xcode7.rule_for("a.png").omit is False
    assert xcode7.rule_for("en.lproj/x.strings").optional is True


def test_seals_optional_missing_and_nested() -> None:
    import hashlib

    data = b"content"
    cr = resources({"^.*": True, "^Frameworks/": {"nested": True, "weight": 10.0}}, {
        "a.txt": {"hash2": hashlib.sha256(data).digest()},
        "gone.txt": {"hash2": b"\0" * 32, "optional": True},
        "lost.txt": {"hash2": b"\0" * 32},
        "Frameworks/X.framework": {"cdhash": b"\1" * 20},
    })
    files = {"a.txt": seals.BundleFile("R/a.txt"), "Frameworks/X.framework/X":
             seals.BundleFile("R/Frameworks/X.framework/X")}
    def digests(member: str, names: frozenset[str]) -> dict[str, bytes]:
        return seals.digest([data], names)

    found = seals.verify_seals(cr, files, digests, lambda p: (b"\1" * 20,), None, "R/")
    assert [(f.member, f.message) for f in found] == [("R/lost.txt", "sealed file is missing")]
    wrong = seals.verify_seals(cr, files, digests, lambda p: (b"\2" * 20,), None, "R/")
    assert ("R/Frameworks/X.framework", "nested code does not match the CDHash sealed for it") in [
        (f.member, f.message) for f in wrong]


def test_application_slot_hashes_the_wrapper_payload() -> None:
    # ipad.ipa (Xcode 7) carries a BlobWrapper in special slot -4 whose payload, not the whole
    # blob, is what its CodeDirectories hash; rcodesign does not special-case it.
    path = corpus("ios", "ipad.ipa")
    with zipfile.ZipFile(path) as archive:
        member = "Payload/bundle.app/bundle"
        results = codesign.verify_macho(
            lambda: archive.open(member), archive.getinfo(member).file_size, member,
            {1: archive.read("Payload/bundle.app/Info.plist"),
             3: archive.read("Payload/bundle.app/_CodeSignature/CodeResources")})
    assert [(r.arch, r.failures, len(r.cdhashes)) for r in results] == [
        ("armv7", (), 2), ("arm64", (), 2)]


def test_text_report_says_what_verified_and_what_failed() -> None:
    from inspector.report import render_text

    text = render_text(inspector.inspect(TAMPERED / "extension-changed.ipa", digest=False), NOW)
    assert "Verified                FAILED: 2 problems in 2 bundle(s) or framework(s), below" in text
    assert ("resource-seal: Payload/Fixture.app/PlugIns/Widget.appex/Widget: file does not match "
            "its sealed digest: modified after signing") in text
    assert ("code-signature: Payload/Fixture.app/PlugIns/Widget.appex/Widget: slot code: page 0: "
            "arm64 sha256: code page hash mismatch") in text
    assert "CMS signature           verified (over the plist)" in text
    good = render_text(inspector.inspect(FIXTURES / "ios" / "rich.ipa", digest=False), NOW)
    assert "Signature verified      verified (code signature, page hashes" in good
    assert "Frameworks/VendorSDK.framework 5.0.1  (team OTHER98765, verified)" in good
    off = render_text(inspector.inspect(FIXTURES / "ios" / "adhoc.ipa", digest=False,
                                        verify=False), NOW)
    assert "Verified                not checked: verification was turned off" in off


@pytest.mark.parametrize("pattern", ["(a+)+$", "(x|y*)*z", ".*.*.*x", "^" + "a" * 600])
def test_rules_that_could_backtrack_without_bound_are_refused(pattern: str) -> None:
    from inspector.errors import ArtifactError

    with pytest.raises(ArtifactError, match="CodeResources"):
        resources({pattern: True}, {})


def test_apple_default_rules_are_accepted() -> None:
    # Xcode's iOS and macOS rules (rcodesign's defaults list the same patterns).
    patterns = ["^.*", "^.*\\.lproj/", "^.*\\.lproj/locversion.plist$", "^Base\\.lproj/",
                "^version.plist$", ".*\\.dSYM($|/)", "^(.*/)?\\.DS_Store$", "^[^/]+$",
                "^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|"
                "Library/(Automator|Spotlight|LoginItems))/", "^Info\\.plist$", "^PkgInfo$",
                "^embedded\\.provisionprofile$", "^"]
    assert len(resources(dict.fromkeys(patterns, True), {}).rules) == len(patterns)


def code_directory(pages: list[bytes], page_shift: int = 12) -> bytes:
    """A minimal SHA-256 CodeDirectory (version 0x20001) over ``pages``."""
    import hashlib
    import struct

    hashes = b"".join(hashlib.sha256(p).digest() for p in pages)
    limit = sum(len(p) for p in pages)
    header = struct.pack(">IIIIIIIIIBBBBI", 0xFADE0C02, 44 + len(hashes), 0x20001, 0, 44, 0, 0,
                         len(pages), limit, 32, 2, 0, page_shift, 0)
    return header + hashes


def test_page_hashes_skip_fairplay_encrypted_pages() -> None:
    import io

    plain = [b"\1" * 4096, b"\2" * 4096, b"\3" * 100]
    cd = codesign.parse_code_directory(0, code_directory(plain))
    on_disk = plain[0] + b"\x99" * 4096 + plain[2]  # page 1 as FairPlay leaves it
    slice_ = macho.SignedSlice("arm64", 0, len(on_disk) + 16, len(on_disk), b"", (4096, 4096))
    check_ = codesign._verify_pages  # the page pass alone
    assert check_(codesign._Forward(io.BytesIO(on_disk)), slice_, [cd], "X") == []
    clear = macho.SignedSlice("arm64", 0, len(on_disk) + 16, len(on_disk), b"")
    (failure,) = check_(codesign._Forward(io.BytesIO(on_disk)), clear, [cd], "X")
    assert (failure.page, failure.slot) == (1, "code")
    torn = plain[0] + plain[1] + b"\4" * 100
    (last,) = check_(codesign._Forward(io.BytesIO(torn)), clear, [cd], "X")
    assert last.page == 2


def test_entitlement_verdicts_from_plistutils_reading() -> None:
    """SIG003's inputs as plistutil decoded them (tests/reference/ios/: the signed entitlements
    blob of each executable, each embedded profile through openssl): the same refusals."""
    ref = ROOT / "tests" / "reference" / "ios"
    compared = 0
    for origin, folder in (("fixture", FIXTURES / "ios"), ("corpus", CORPUS / "ios")):
        for ipa in sorted(folder.glob("*.ipa")):
            try:
                record = inspector.inspect(ipa, digest=False)
            except inspector.ArtifactError:
                continue
            for bundle in record.bundles:
                if bundle.mobileprovision is None or bundle.code_signature is None:
                    continue
                flat = bundle.path.rstrip("/").replace("/", "_")
                exe = bundle.code_signature.member.rsplit("/", 1)[-1]
                signed = ref / "signatures" / f"{origin}--{ipa.name}--{flat}--{exe}.0.xml"
                profile = ref / "profiles" / f"{origin}--{ipa.name}--{flat}.xml"
                expected = disallowed(plistlib.loads(signed.read_bytes()),
                                      plistlib.loads(profile.read_bytes())["Entitlements"])
                ours = [f for f in bundle.verification.failures if f.scheme == "entitlements"]
                assert [f.slot for f in ours] == [f.slot for f in expected], bundle.path
                compared += 1
    assert compared == (13 if CORPUS.exists() else 9)


def test_a_corrupt_sealed_member_fails_its_own_seal(tmp_path: Path) -> None:
    import shutil
    import struct

    path = tmp_path / "corrupt.ipa"
    shutil.copy(FIXTURES / "ios" / "adhoc.ipa", path)
    member = "Payload/Fixture.app/AppIcon76x76@2x~ipad.png"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, "r+b") as fh:
        fh.seek(info.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", fh.read(4))
        at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
        fh.seek(at)
        byte = fh.read(1)
        fh.seek(at)
        fh.write(bytes([byte[0] ^ 0xFF]))
    record = inspector.inspect(path, digest=False)
    (failure,) = record.verification.failures
    assert (failure.scheme, failure.member) == ("resource-seal", member)
    assert failure.message.startswith("cannot be read to check its seal")


def test_an_alternate_code_directory_changed_breaks_the_cdhashes_binding(tmp_path: Path) -> None:
    # ipad.ipa: a SHA-1 CodeDirectory (slot 0, which the CMS signs) and a SHA-256 one (0x1000),
    # bound by the CDHashes attributes. One byte of the SHA-256 one's identifier changed: the CMS
    # over slot 0 still verifies; only the binding (and nothing else) fails.
    source = corpus("ios", "ipad.ipa")
    member = "Payload/bundle.app/bundle"
    with zipfile.ZipFile(source) as src:
        data = bytearray(src.read(member))
        with src.open(member) as fh:
            slices = macho.read_signed_slices(fh, len(data))
        path = tmp_path / "ipad-alternate.ipa"
        with zipfile.ZipFile(path, "w") as out:
            for signed in slices:
                entries = macho.superblob_entries(signed.signature, signed.arch)
                blob = entries[0x1000][1]
                ident = int.from_bytes(blob[20:24], "big")
                at = signed.offset + signed.signature_offset + signed.signature.index(blob) + ident
                data[at] ^= 0x20  # "c" -> "C"
            for info in src.infolist():
                out.writestr(info, bytes(data) if info.filename == member else src.read(info))
    record = inspector.inspect(path, digest=False)
    # Xcode 7 wrote only the plist attribute (.100.9.1); embedded.ipa (Xcode 12) has both, and
    # its .100.9.2 value matches its one CodeDirectory (test_corpus_ipa_verdict).
    assert [(f.slot, f.message) for f in record.verification.failures] == [
        ("signature", f"{arch}: the CDHashes plist attribute does not name this signature's "
                      "CodeDirectories") for arch in ("armv7", "arm64")]


def test_seals_as_plistutil_reads_them() -> None:
    """Every CodeResources of every fixture and corpus IPA: our seals are libplist's
    (tests/reference/apple_seals/record.sh), path by path, digest by digest."""
    ref = ROOT / "tests" / "reference" / "apple_seals"
    files = sorted(ref.glob("*.xml"))
    compared = 0
    for xml in files:
        origin, ipa, flat = xml.name.removesuffix(".xml").split("--")
        folder = FIXTURES / "ios" if origin == "fixture" else corpus("ios")
        with zipfile.ZipFile(folder / ipa) as archive:
            (member,) = [n for n in archive.namelist() if n.replace("/", "_") == flat]
            ours = seals.parse_code_resources(archive.read(member))
        theirs = plistlib.loads(xml.read_bytes())["files2"]
        expected = {path: ({name: value[key] for key, name in (("hash", "sha1"), ("hash2", "sha256"))
                            if key in value}, value.get("optional", False))
                    for path, value in theirs.items()}
        assert {p: (dict(s.digests), s.optional) for p, s in ours.seals.items()} == expected
        compared += len(expected)
    assert (len(files), compared) == (17, 78)


def test_a_stripped_cms_is_not_an_adhoc_signature() -> None:
    import io
    import struct

    data = bytearray((FIXTURES / "macho" / "signed-arm64").read_bytes())
    (signed,) = macho.read_signed_slices(io.BytesIO(bytes(data)), len(data))
    base = signed.offset + signed.signature_offset
    (count,) = struct.unpack_from(">I", data, base + 8)
    for index in range(count):
        slot, offset = struct.unpack_from(">II", data, base + 12 + 8 * index)
        if slot == 0x10000:
            struct.pack_into(">I", data, base + offset + 4, 8)  # the CMS wrapper emptied
    info = {1: (FIXTURES / "macho" / "Info.plist").read_bytes()}
    results = codesign.verify_macho(lambda: io.BytesIO(bytes(data)), len(data), "X", info)
    assert [(f.slot, f.message) for r in results for f in r.failures] == [
        ("signature", "arm64: no CMS signature, yet the CodeDirectory is not flagged ad-hoc")]
    intact = bytes((FIXTURES / "macho" / "signed-arm64").read_bytes())
    assert all(not r.failures for r in codesign.verify_macho(
        lambda: io.BytesIO(intact), len(intact), "X", info))


# -- the signatures the parse read are the ones verification checks: no second read for them ------
def _with_and_without_scratch(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[
        inspector.Record, Spent, inspector.Record, Spent]:
    """The record and the work of inspecting ``path`` as inspect() does, then with no Scratch
    (Source.scratch None: verification reads every executable's signatures itself, as it did
    before the parse handed them over)."""
    record, spent = inspect_counting(path, monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(api, "Scratch", lambda: None)
        alone, alone_spent = inspect_counting(path, monkeypatch)
    assert not isinstance(record, ArtifactError) and not isinstance(alone, ArtifactError)
    return record, spent, alone, alone_spent


def _passes(spent: Spent, member: str) -> dict[str, int]:
    return {way: n for (name, way), n in spent.opened.items() if name == member}


@pytest.mark.parametrize("path", [
    *(FIXTURES / "ios" / name for name in sorted(FIXTURE_VERDICTS)),
    *sorted(TAMPERED.glob("*.ipa")),
], ids=lambda p: p.name)
def test_verification_reads_each_executable_once_after_the_parse(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record, spent, alone, alone_spent = _with_and_without_scratch(path, monkeypatch)
    assert record == alone  # every verdict and failure as when verification read them itself
    members = [b.code_signature.member for b in record.bundles if b.code_signature is not None]
    assert members
    for member in members:
        # The parse streams the executable to its signature (one open); verification hashes
        # its pages (one chunks stream), where it used to read the signatures in one more.
        now, before = _passes(spent, member), _passes(alone_spent, member)
        assert now["open"] == before["open"] == 1, member
        assert before["chunks"] - now["chunks"] == 1, member


def test_a_nested_executable_is_read_for_pages_and_seal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    record, spent, alone, alone_spent = _with_and_without_scratch(FIXTURES / "ios" / "rich.ipa",
                                                                  monkeypatch)
    assert record == alone and record.verification.verified is True
    app = "Payload/Fixture.app/"
    assert _passes(spent, app + "Fixture") == {"open": 1, "chunks": 1}
    assert _passes(alone_spent, app + "Fixture") == {"open": 1, "chunks": 2}
    # A framework's executable is also a file the app's CodeResources seals: one more stream.
    for member in ("Frameworks/FixtureKit.framework/FixtureKit", "Frameworks/libswiftCore.dylib"):
        assert _passes(spent, app + member) == {"open": 1, "chunks": 2}, member
        assert _passes(alone_spent, app + member) == {"open": 1, "chunks": 3}, member


def test_a_signature_with_no_code_directory_is_inflated_once(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/hostile.py's big-executable case at 4 MiB: its SuperBlob is empty, so there are no
    # page hashes to check and nothing for verification to inflate.
    path = hostile.big_executable_ipa(tmp_path, size=4 << 20, copies=2)
    record, spent, alone, alone_spent = _with_and_without_scratch(path, monkeypatch)
    assert record == alone
    member = "Payload/H.app/PlugIns/E.appex/X"
    assert [f.message for f in record.verification.failures if f.member == member] == [
        "arm64: the signature has no CodeDirectory"]
    assert _passes(spent, member) == {"open": 1}
    assert _passes(alone_spent, member) == {"open": 1, "chunks": 1}
    assert spent.inflated == alone_spent.inflated  # the parse's reads are what they were


def test_signatures_past_the_kept_budget_are_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Room for the app's signatures only (the parse reads the app first): its extensions'
    # executables are read for their signatures again, as without the scratch.
    path = FIXTURES / "ios" / "adhoc.ipa"
    app = "Payload/Fixture.app/Fixture"
    with zipfile.ZipFile(path) as z, z.open(app) as fh:
        room = sum(len(s.signature) for s in macho.read_signed_slices(fh, z.getinfo(app).file_size))
    monkeypatch.setattr(formats, "MAX_KEPT_SIGNATURE_BYTES", room)
    record, spent, alone, alone_spent = _with_and_without_scratch(path, monkeypatch)
    assert record == alone
    members = [b.code_signature.member for b in record.bundles if b.code_signature is not None]
    assert len(members) == 3
    for member in members:
        saved = _passes(alone_spent, member)["chunks"] - _passes(spent, member)["chunks"]
        assert saved == (1 if member == app else 0), member


def _rewrite(source: Path, target: Path, member: str, data: bytes | None = None,
             compress_type: int | None = None) -> None:
    """``source`` copied to ``target`` with ``member``'s bytes or compression replaced."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == member:
                content = content if data is None else data
                info.compress_type = info.compress_type if compress_type is None else compress_type
            out.writestr(info, content)


def _break_crc(path: Path, member: str) -> None:
    """Flip the CRC-32 the central directory records for ``member`` (the one zipfile checks)."""
    with zipfile.ZipFile(path) as z:
        start = z.start_dir  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    at = start
    while True:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46: at + 46 + name_len].decode() == member:
            data[at + 16] ^= 0xFF
            path.write_bytes(bytes(data))
            return
        at += 46 + name_len + extra_len + comment_len


@pytest.mark.parametrize(("trailer", "bad_crc", "reused"), [
    (False, False, True),
    (False, True, False),  # the parse reads to the end, meets the bad CRC: no signature to share
    (True, False, False),  # bytes past the signature: the parse stops short of the end (the CRC)
    (True, True, False),
])
def test_the_signatures_are_shared_only_when_the_parse_read_to_the_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trailer: bool, bad_crc: bool,
        reused: bool) -> None:
    member = "Payload/Fixture.app/Fixture"
    with zipfile.ZipFile(FIXTURES / "ios" / "development.ipa") as z:
        data = z.read(member)
    path = tmp_path / "edited.ipa"
    _rewrite(FIXTURES / "ios" / "development.ipa", path, member,
             data + b"\0" * (200 << 10) if trailer else data)
    if bad_crc:
        _break_crc(path, member)
    record, spent, alone, alone_spent = _with_and_without_scratch(path, monkeypatch)
    assert record == alone
    before, now = _passes(alone_spent, member), _passes(spent, member)
    assert before.get("chunks", 0) - now.get("chunks", 0) == (1 if reused else 0)
    if bad_crc and not trailer:
        # (With the trailer, no read reaches the CRC, with the scratch or without.)
        assert record.verification.verified is False
        assert any("CRC" in f.message for f in record.verification.failures if f.member == member)


def test_a_member_the_parse_refused_is_verified_as_before(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Compressed past MAX_RATIO: the parse does not read the signature and verification refuses
    # the member itself, with the same words.
    source = hostile.big_executable_ipa(tmp_path, size=4 << 20, copies=1)
    member = "Payload/H.app/PlugIns/E.appex/X"
    path = tmp_path / "bomb.ipa"
    _rewrite(source, path, member, compress_type=zipfile.ZIP_BZIP2)
    record, spent, alone, alone_spent = _with_and_without_scratch(path, monkeypatch)
    assert record == alone
    assert any("compression ratio looks like a zip bomb: signature not read" in w
               for w in record.warnings)
    (failure,) = [f for f in record.verification.failures if f.member == member]
    assert failure.message.startswith("code signature unreadable: compression ratio")
    assert _passes(spent, member) == _passes(alone_spent, member) == {}


def test_verify_macho_opens_the_file_only_for_what_it_still_has_to_read() -> None:
    import io

    def opening(data: bytes, opened: list[int]) -> Callable[[], io.BytesIO]:
        def open_member() -> io.BytesIO:
            opened.append(1)
            return io.BytesIO(data)
        return open_member

    info = {1: (FIXTURES / "macho" / "Info.plist").read_bytes()}
    signed = (FIXTURES / "macho" / "signed-arm64").read_bytes()
    # A thin arm64 Mach-O whose signature is an empty SuperBlob (tests/hostile.py's
    # big-executable case, small): no CodeDirectory, so no page hashes.
    empty = bytearray(8192)
    struct.pack_into("<IiiIIII", empty, 0, 0xFEEDFACF, 0x0100000C, 0, 2, 1, 16, 0)
    struct.pack_into("<IIII", empty, 32, 0x1D, 16, 4096, 4096)
    struct.pack_into(">III", empty, 4096, 0xFADE0CC0, 12, 0)
    for data, pages in ((signed, 1), (bytes(empty), 0)):
        opened: list[int] = []
        alone = codesign.verify_macho(opening(data, opened), len(data), "X", info)
        assert len(opened) == 1 + pages
        slices = macho.read_signed_slices(io.BytesIO(data), len(data))
        opened.clear()
        given = codesign.verify_macho(opening(data, opened), len(data), "X", info, slices=slices)
        assert len(opened) == pages
        assert given == alone
    assert not any(r.failures for r in codesign.verify_macho(opening(signed, []), len(signed),
                                                              "X", info))
    (result,) = codesign.verify_macho(opening(bytes(empty), []), len(empty), "X", info)
    assert [f.message for f in result.failures] == ["arm64: the signature has no CodeDirectory"]
