"""inspector.verify.jar against jarsigner (and apksigner where Android's rules go further).

Every archive tests/reference/jar/record.sh recorded (the fixture AABs, every JAR-signed fixture
and corpus APK and AAB, and the tampered fixtures of fixtures/apk/tampered/make-jar.sh) is
verified and the verdict compared with the recorded one. jarsigner's verdict is "verified" when it
says ``jar verified.`` and lists no unsigned entry (Android refuses an entry the manifest does not
cover, which jarsigner only warns about), "unsigned" when it says ``jar is unsigned``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspector.containers.apk_signing import parse_signing_block, read_signing_block
from inspector.containers.zip import ZipArchive
from inspector.records.verification import Verification
from inspector.verify.jar import JarVerification, parse_sections, verify_jar
from tests.conftest import CORPUS, FIXTURES, ROOT, recorded_artifact

REF = ROOT / "tests" / "reference" / "jar"
TAMPERED_APK = FIXTURES / "apk" / "tampered"
TAMPERED_AAB = FIXTURES / "aab" / "tampered"




def _jarsigner(text: str) -> bool | None:
    if "jar is unsigned" in text:
        return None
    if not text.startswith("# exit 0") or "jar verified." not in text:
        return False
    return "unsigned entries" not in text


def _apk_schemes(archive: ZipArchive) -> frozenset[int]:
    raw = read_signing_block(archive.read_raw, archive.central_directory_offset)
    if raw is None:
        return frozenset()
    ids = parse_signing_block(raw).ids
    return frozenset(n for n, block_id in ((2, 0x7109871A), (3, 0xF05368C0)) if block_id in ids)


def _verify(path: Path) -> JarVerification:
    with ZipArchive(path) as archive:
        schemes = _apk_schemes(archive) if path.suffix == ".apk" else frozenset()
        return verify_jar(archive, apk_signature_schemes=schemes)


RECORDED = sorted(p.name.removesuffix(".txt") for p in REF.glob("*.txt")
                  if not p.name.endswith(".apksigner.txt"))


@pytest.mark.parametrize("name", RECORDED)
def test_agrees_with_jarsigner(name: str) -> None:
    text = (REF / f"{name}.txt").read_text(errors="replace")
    expected = _jarsigner(text)
    apksigner = REF / f"{name}.apksigner.txt"
    if apksigner.exists():
        # apksigner applies Android's rules; it is the reference where it has a say.
        expected = apksigner.read_text().startswith("# exit 0")
    assert _verify(recorded_artifact(name)).verification.verified is expected


def test_how_many_compared() -> None:
    # 6 fixture AABs (3, and 3 tampered), 11 JAR-signed fixture APKs, 9 tampered APKs; 22
    # JAR-signed corpus APKs and AABs when the corpus is present.
    fixtures = [n for n in RECORDED if n.startswith("fixture-")]
    assert len(fixtures) == 26
    assert sum(1 for n in RECORDED if n.startswith("fixture-aab")) == 6
    assert sum(1 for n in RECORDED if n.startswith("fixture-apk-tampered")) == 9
    if CORPUS.exists():
        assert len(RECORDED) - len(fixtures) == 22


@pytest.mark.parametrize(("name", "member", "words"), [
    ("jar-v1-entry-changed.apk", "assets/readme.txt", "digest mismatch"),
    ("jar-v1-sf-edited.apk", "META-INF/RELEASE.RSA", "signature does not verify"),
    ("jar-v1-stripped.apk", "META-INF/RELEASE.SF", "stripped"),
    ("jar-v1-key-usage.apk", "META-INF/KU.RSA", "keyUsage"),
])
def test_tampered_apk_says_what_and_where(name: str, member: str, words: str) -> None:
    result = _verify(TAMPERED_APK / name)
    assert result.verification.verified is False
    assert any(f.member == member and words in f.message for f in result.verification.failures)
    assert all(v.verified is False for v in result.signers.values())


@pytest.mark.parametrize(("name", "member", "words"), [
    ("jar-entry-changed.aab", "pack/assets/levels.txt", "digest mismatch"),
    ("jar-file-added.aab", "base/assets/added.txt", "not listed in META-INF/MANIFEST.MF"),
    ("jar-sf-edited.aab", "META-INF/UPLOAD.RSA", "message digest"),
])
def test_tampered_aab_says_what_and_where(name: str, member: str, words: str) -> None:
    result = _verify(TAMPERED_AAB / name)
    (failure,) = result.verification.failures
    assert (failure.member, failure.scheme) == (member, "v1")
    assert words in failure.message
    assert result.signers["UPLOAD"].verified is False


def test_stripping_protection_holds_when_the_schemes_are_there() -> None:
    with ZipArchive(TAMPERED_APK / "jar-v1-stripped.apk") as archive:
        assert verify_jar(archive, apk_signature_schemes=frozenset({2, 3})).verification.verified
        only_v2 = verify_jar(archive, apk_signature_schemes=frozenset({2}))
    (failure,) = only_v2.verification.failures
    assert "v3" in failure.message and failure.slot == "X-Android-APK-Signed"


def test_unsigned_is_not_checked() -> None:
    with ZipArchive(FIXTURES / "aab" / "bundle-unsigned.aab") as archive:
        result = verify_jar(archive)
    assert result.verification == Verification(None, reason="not signed")
    assert dict(result.signers) == {}


def test_signers_keyed_like_v1_signers() -> None:
    from inspector.formats._jar import v1_signers

    compared = 0
    for path in sorted((FIXTURES / "apk").glob("*.apk")) + sorted((FIXTURES / "aab").glob("*.aab")):
        with ZipArchive(path) as archive:
            names = [s.name for s in v1_signers(archive)]
            assert list(verify_jar(archive).signers) == names
        compared += bool(names)
    assert compared == 13


def test_entries_are_streamed_not_read_whole() -> None:
    with ZipArchive(FIXTURES / "apk" / "signed-v1v2v3.apk") as archive:
        verify_jar(archive)
        # Only the manifest, the .SF and the block are read whole; entries are digested in pieces.
        whole = sum(archive.info(n).file_size for n in archive.names if n.startswith("META-INF/"))
        assert archive.read_whole == whole
        assert archive.digested == sum(archive.info(n).file_size for n in archive.names
                                       if not n.startswith("META-INF/"))


def test_manifest_sections_as_android_reads_them() -> None:
    data = (b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n"
            b"Name: a/very/long/na\r\n me.txt\r\nSHA-256-Digest: AAAA\r\n\r\n"
            b"Name: b\nSHA1-Digest: BBBB\n\n\n")
    main, first, second = parse_sections(data)
    assert data[main.start:main.start + main.size] == b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n"
    assert first.name == "a/very/long/name.txt"
    assert first.get("sha-256-digest") == "AAAA"
    assert data[second.start:second.start + second.size] == b"Name: b\nSHA1-Digest: BBBB\n\n"


def test_strongest_digest_is_the_one_checked() -> None:
    from inspector.verify.jar import _digests

    (section,) = parse_sections(b"Name: x\r\nSHA1-Digest: AAAA\r\nSHA-256-Digest: BBBB\r\n"
                                b"Digest-Algorithms: SHA1\r\n\r\n")
    assert [alg for alg, _ in _digests(section, "-Digest", 24)] == ["sha256"]
    # Below API 18 Android also checks the first of Digest-Algorithms.
    assert [alg for alg, _ in _digests(section, "-Digest", 17)] == ["sha1", "sha256"]


def test_recorded_names_match_the_files() -> None:
    for name in RECORDED:
        if name.startswith("fixture-"):
            assert recorded_artifact(name).is_file(), name
        assert re.match(r"^(fixture|corpus)-", name)


def test_inspect_aab_fills_every_signer_and_the_bundle() -> None:
    import inspector

    compared = 0
    for name in RECORDED:
        if not name.endswith(".aab"):
            continue
        expected = _jarsigner((REF / f"{name}.txt").read_text(errors="replace"))
        record = inspector.inspect(recorded_artifact(name), digest=False)
        assert record.verification.verified is expected, name
        if expected is None:
            assert record.verification.reason == "not signed"
        for signer in record.signing.signers:
            assert signer.verification is not None
            assert signer.verification.verified is expected
        compared += 1
    assert compared >= 6


def test_a_bomb_entry_is_refused_before_it_is_digested(tmp_path: Path) -> None:
    import zipfile

    from inspector.errors import ArtifactError

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("assets/zeros.bin", bytes(64 << 20))
    with ZipArchive(bomb) as archive, pytest.raises(ArtifactError, match="zip bomb"):
        next(archive.chunks("assets/zeros.bin"))
    with ZipArchive(bomb) as archive:
        assert archive.digested == 0


def test_an_unknown_method_with_equal_sizes_is_digested_as_stored(tmp_path: Path) -> None:
    import struct
    import zipfile

    path = tmp_path / "odd.zip"
    data = bytes(range(256)) * 9
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("assets/odd.bin", data)
    raw = bytearray(path.read_bytes())
    # Method 99 in the local header (offset 8) and the central directory entry (offset 10).
    struct.pack_into("<H", raw, 8, 99)
    struct.pack_into("<H", raw, raw.index(b"PK\x01\x02") + 10, 99)
    path.write_bytes(bytes(raw))
    with ZipArchive(path) as archive:
        assert b"".join(archive.chunks("assets/odd.bin", size=1000)) == data
