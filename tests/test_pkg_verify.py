"""PKG verification (inspector/verify/xar.py, SIG004) against openssl and bsdtar, and against
tampered copies whose construction fixes the answer (fixtures/pkg/make_tampered.py).

The oracle, tests/reference/pkg/record_checksums.py, cuts the TOC, each member's stored bytes
and each signature with dd, digests them with `openssl dgst`, extracts each member with
`bsdtar -xOf`, and verifies the signatures with `openssl pkeyutl -verify` / `openssl cms -verify`.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.api import inspect
from inspector.checks import Expectations, check
from inspector.containers.xar import XarArchive
from inspector.errors import ArtifactError
from inspector.records.pkg import Pkg
from inspector.verify import xar as verify_module
from inspector.verify.xar import verify_xar
from tests.conftest import CORPUS, FIXTURES, ROOT, corpus, run_cli

PKG = FIXTURES / "pkg"
TAMPERED = PKG / "tampered"
REF = ROOT / "tests" / "reference" / "pkg"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
GOOD = ["component", "product", "multi", "pbzx", "bzip2", "noapp", "signed", "signed-sha256"]
RSA = "<signature style='RSA'>"
CMS = "<x-signature style='CMS'>"
#: What each tampered copy must fail, by its construction (make_tampered.py).
TAMPERED_FAILS = {
    "toc-altered": {("TOC checksum", None)},
    "member-altered": {("PackageInfo", "archived-checksum")},
    "signed-toc-altered": {(RSA, "sha1"), (CMS, None)},
    "signed-rsa-altered": {(RSA, "sha1")},
    "signed-cms-altered": {(CMS, None)},
    "signed-sha256-toc-altered": {(RSA, "sha256"), (CMS, None)},
}
OK_RSA = "Signature Verified Successfully"
OK_CMS = "CMS Verification successful"


def oracle_files() -> list[str]:
    return sorted(p.name.removesuffix(".checksums.txt") for p in REF.glob("*.checksums.txt"))


def pkg_path(name: str) -> Path:
    if name.startswith("tampered."):
        return TAMPERED / f"{name.removeprefix('tampered.')}.pkg"
    if (PKG / f"{name}.pkg").exists():
        return PKG / f"{name}.pkg"
    return corpus("macos", f"{name}.pkg")


def oracle(name: str) -> tuple[set[tuple[str, str | None]], set[tuple[str, str | None]], int]:
    """(what the tools say fails, what they could not judge, how many checks they judged)."""
    fails: set[tuple[str, str | None]] = set()
    unknown: set[tuple[str, str | None]] = set()
    archived_bad: set[str] = set()
    judged = 0
    algorithm = None
    for line in (REF / f"{name}.checksums.txt").read_text().splitlines():
        kind, *rest = line.split("\t")
        if kind == "toc":
            algorithm, computed, stored = rest
            judged += 1
            if computed != stored:
                fails.add(("TOC checksum", None))
        elif kind in ("archived", "extracted"):
            member, _, expected, actual = rest
            slot = f"{kind}-checksum"
            if kind == "extracted" and (member in archived_bad or actual == "bsdtar-failed"):
                # inspector reports an altered member once; bsdtar refuses what it cannot check
                unknown.add((member, slot))
                continue
            judged += 1
            if expected != actual:
                fails.add((member, slot))
                if kind == "archived":
                    archived_bad.add(member)
        else:
            style, verdict = rest
            judged += 1
            if style == "RSA" and verdict != OK_RSA:
                fails.add((RSA, algorithm))
            elif style == "CMS" and verdict != OK_CMS:
                fails.add((CMS, None))
    return fails, unknown, judged


def ours(path: Path) -> tuple[set[tuple[str, str | None]], tuple[str, ...]]:
    with XarArchive(path) as xar:
        result = verify_xar(xar)
    return {(f.member or "", f.slot) for f in result.failures}, result.checked


# -- the oracle ----------------------------------------------------------------------------------
def test_the_oracle_covers_every_pkg() -> None:
    names = set(oracle_files())
    expected = {*GOOD, "bad-checksum", *(f"tampered.{t}" for t in TAMPERED_FAILS),
                "tampered.signed-payload-altered"}
    assert expected <= names
    if (CORPUS / "macos").exists():
        corpus_pkgs = {p.stem for p in (CORPUS / "macos").glob("*.pkg")}
        assert corpus_pkgs and corpus_pkgs <= names


@pytest.mark.parametrize("name", oracle_files())
def test_verdicts_agree_with_openssl_and_bsdtar(name: str) -> None:
    fails, unknown, judged = oracle(name)
    found, checked = ours(pkg_path(name))
    assert found - unknown == fails
    # Every check the tools judged was made: the TOC, each member's two checksums, each signature.
    members = sum(1 for line in (REF / f"{name}.checksums.txt").read_text().splitlines()
                  if line.startswith("archived\t"))
    signatures = sum(1 for line in (REF / f"{name}.checksums.txt").read_text().splitlines()
                     if line.startswith("signature\t"))
    assert checked[0].startswith("TOC checksum")
    assert checked[1] == f"{members} archived checksum{'s' if members != 1 else ''}"
    assert len(checked) == 3 + signatures
    assert judged >= 1 + members + signatures


def test_number_of_oracle_cases() -> None:
    # The fixtures (9 + 7 tampered): 104 verdicts compared above, 10 of them failures; the corpus
    # pkgs add theirs.
    fixtures = [n for n in oracle_files() if n.startswith("tampered.") or (PKG / f"{n}.pkg").exists()]
    assert len(fixtures) == 16
    assert sum(oracle(n)[2] for n in fixtures) == 104
    assert sum(len(oracle(n)[0]) for n in fixtures) == 10


# -- tampered copies -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TAMPERED_FAILS))
def test_tampered_copy_fails_sig004(name: str) -> None:
    record = inspect(TAMPERED / f"{name}.pkg", digest=False)
    assert isinstance(record, Pkg)
    verification = record.verification
    assert verification is not None and verification.verified is False
    assert {(f.member, f.slot) for f in verification.failures} == TAMPERED_FAILS[name]
    result = check(record, Expectations(), NOW)
    sig = [f for f in result.findings if f.code == "SIG004"]
    assert len(sig) == len(TAMPERED_FAILS[name])
    assert all(f.severity == "error" for f in sig) and not result.passed
    assert {f.field for f in sig} == {m for m, _ in TAMPERED_FAILS[name]}


def test_tampered_copy_fails_the_cli_gate() -> None:
    result = run_cli("check", str(TAMPERED / "member-altered.pkg"))
    assert result.code == 1, result.err
    assert "SIG004" in result.out and "PackageInfo" in result.out
    assert "archived-checksum" in result.out


def test_altered_compressed_member_is_unreadable_and_says_why() -> None:
    # Flipping a byte of a zlib member breaks its decoding before verification can run: the file
    # is unreadable (exit 3), and the message says the member's archived checksum fails too.
    with pytest.raises(ArtifactError) as info:
        inspect(TAMPERED / "signed-payload-altered.pkg", digest=False)
    assert info.value.member == "Fixture.pkg/Payload"
    assert "archived-checksum does not match" in info.value.problem
    result = run_cli("check", str(TAMPERED / "signed-payload-altered.pkg"))
    assert result.code == 3 and "Traceback" not in result.err


# -- untampered packages keep their verdict ----------------------------------------------------
@pytest.mark.parametrize("name", GOOD)
def test_fixture_verifies(name: str) -> None:
    record = inspect(PKG / f"{name}.pkg", digest=False)
    assert isinstance(record, Pkg)
    assert record.verification is not None and record.verification.verified is True
    result = check(record, Expectations(), NOW)
    assert not [f for f in result.findings if f.code == "SIG004"]
    signatures = {"RSA signature", "CMS signature"} & set(record.checked)
    assert signatures == ({"RSA signature", "CMS signature"} if name.startswith("signed")
                          else set())
    if name.startswith("signed"):
        assert record.warnings == ()  # both signatures verified: nothing left unchecked


def test_corpus_pkg_verifies() -> None:
    record = inspect(corpus("macos", "MacAppOnly.pkg"), digest=False)
    assert record.verification.verified is True
    assert record.checked == ("TOC checksum (sha1)", "1 archived checksum",
                              "1 extracted checksum")


def test_unsigned_package_report_says_no_signature() -> None:
    result = run_cli("inspect", "--no-hash", str(PKG / "component.pkg"))
    assert result.code == 0
    line = next(x for x in result.out.splitlines() if x.strip().startswith("Verified"))
    assert "yes: TOC checksum (sha1), 2 archived checksums" in line
    assert "(no signature to verify)" in line


def test_signed_package_report() -> None:
    result = run_cli("inspect", "--no-hash", str(PKG / "signed.pkg"))
    line = next(x for x in result.out.splitlines() if x.strip().startswith("Verified"))
    assert line.endswith("RSA signature, CMS signature")


def test_failed_report_lists_each_failure() -> None:
    result = run_cli("inspect", "--no-hash", str(TAMPERED / "signed-toc-altered.pkg"))
    assert result.code == 0
    out = result.out
    assert "NO: 2 failures" in out
    assert f"- xar: {RSA}: slot sha1:" in out and f"- xar signer 1: {CMS}:" in out


def test_no_verify_leaves_it_unchecked() -> None:
    record = inspect(PKG / "bad-checksum.pkg", digest=False, verify=False)
    assert record.verification.verified is None
    assert record.checked == ()
    assert not [f for f in check(record, Expectations(), NOW).findings if f.code == "SIG004"]


# -- hostile archives --------------------------------------------------------------------------
def test_signature_without_toc_checksum(tmp_path: Path) -> None:
    # The header's algorithm set to none while the TOC keeps its signatures: nothing ties the
    # signature to the TOC any more (xar refuses such an archive, rdar://6134714).
    data = bytearray((PKG / "signed.pkg").read_bytes())
    struct.pack_into(">I", data, 24, 0)
    path = tmp_path / "none.pkg"
    path.write_bytes(bytes(data))
    record = inspect(path, digest=False)
    assert [f.member for f in record.verification.failures] == ["TOC checksum"]
    assert "nothing binds the signature" in record.verification.failures[0].message


def test_rsa_signature_without_certificate(tmp_path: Path) -> None:
    from test_xar import rebuild

    data = rebuild((PKG / "signed.pkg").read_bytes(),
                   lambda x: re.sub(rb"<KeyInfo.*?</KeyInfo>", b"", x, count=1, flags=re.S))
    path = tmp_path / "nocert.pkg"
    path.write_bytes(data)
    record = inspect(path, digest=False)
    messages = {f.member: f.message for f in record.verification.failures}
    assert messages[RSA] == "carries no certificate to verify it with"


def test_members_are_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    # No read of the file larger than one chunk: a member never sits whole in memory.
    monkeypatch.setattr(verify_module, "_CHUNK", 1000)
    sizes: list[int] = []
    original = XarArchive.read_raw

    def spy(self: XarArchive, offset: int, size: int) -> bytes:
        sizes.append(size)
        return original(self, offset, size)

    with XarArchive(PKG / "component.pkg") as xar:
        monkeypatch.setattr(XarArchive, "read_raw", spy)
        result = verify_xar(xar)
    assert result.failures == ()
    assert max(sizes) == 1000 and len(sizes) >= 8  # Payload is 6888 bytes


def test_unknown_checksum_style_is_a_warning(tmp_path: Path) -> None:
    from test_xar import rebuild

    data = rebuild((PKG / "component.pkg").read_bytes(),
                   lambda x: x.replace(b'<archived-checksum style="sha1">',
                                       b'<archived-checksum style="sha3-1">', 1))
    path = tmp_path / "style.pkg"
    path.write_bytes(data)
    record = inspect(path, digest=False)
    assert record.verification.verified is True
    assert "PackageInfo: archived-checksum style 'sha3-1' is not checked" in record.warnings
    assert "1 archived checksum" in record.checked


@pytest.mark.parametrize("name", sorted([*TAMPERED_FAILS, "signed-payload-altered"]))
def test_tampered_members_match_bsdtar(name: str) -> None:
    # bsdtar lists what it can (it refuses a TOC whose checksum fails); inspector reads every one.
    text = (REF / f"tampered.{name}.tvf.txt").read_text()
    with XarArchive(TAMPERED / f"{name}.pkg") as xar:
        if "Unrecognized archive format" in text:
            # libarchive knows header algorithms 0-2 only, not Apple's 3 (sha256)
            assert xar.toc_checksum_algorithm == "sha256"
            return
        if "Sumcheck error" in text:
            assert name == "toc-altered" and xar.toc_checksum_matches is False
            return
        listed = [line.split()[-1] for line in text.splitlines()]
        assert xar.names == listed and len(listed) >= 2


def _with_copies_of_payload(lengths: list[int]) -> bytes:
    """component.pkg whose TOC lists more members over Payload's heap range, one per length."""
    from test_xar import rebuild

    def add(xml: bytes) -> bytes:
        payload = re.search(rb'<file id="2">.*?</file>', xml, re.S)
        assert payload is not None
        copies = b"".join(
            payload[0].replace(b"<name>Payload</name>", b"<name>Copy%d</name>" % i)
            .replace(b"<length>6888</length>", b"<length>%d</length>" % n)
            .replace(b"<size>6888</size>", b"<size>%d</size>" % n)
            for i, n in enumerate(lengths))
        return xml.replace(b"</toc>", copies + b"</toc>")

    return rebuild((PKG / "component.pkg").read_bytes(), add)


def test_shared_heap_ranges_are_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    # xar --link-same points identical files at one range: legitimate, and read once.
    path = tmp_path / "linked.pkg"
    path.write_bytes(_with_copies_of_payload([6888] * 20))
    reads: list[int] = []
    original = verify_module._feed_raw

    def spy(xar: XarArchive, member: object, hashers: list) -> None:
        reads.append(1)
        original(xar, member, hashers)

    monkeypatch.setattr(verify_module, "_feed_raw", spy)
    record = inspect(path, digest=False)
    assert record.verification.verified is True
    assert "22 archived checksums" in record.checked
    assert len(reads) == 2  # PackageInfo and the one Payload range


def test_overlapping_heap_ranges_are_refused(tmp_path: Path) -> None:
    # Distinct ranges over the same bytes would make verification read the heap over and over.
    path = tmp_path / "overlap.pkg"
    path.write_bytes(_with_copies_of_payload([6887, 6886, 6885, 6884]))
    with pytest.raises(ArtifactError) as info:
        inspect(path, digest=False)
    assert "overlap" in info.value.problem and info.value.member.startswith("Copy")
    result = run_cli("check", str(path))
    assert result.code == 3 and "Traceback" not in result.err


def test_decoding_budget_leaves_extracted_checksums_unchecked(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(verify_module, "MAX_INFLATED_BYTES", 2000)
    monkeypatch.setattr(verify_module, "_DECODED_PER_FILE_BYTE", 0)
    record = inspect(PKG / "bzip2.pkg", digest=False)  # PackageInfo 1017 bytes, Payload 6888
    assert record.verification.verified is True
    assert record.checked[1:3] == ("2 archived checksums", "1 extracted checksum")
    assert any(w.startswith("Payload: extracted-checksum not checked") for w in record.warnings)


def test_apple_header_algorithm_numbers(tmp_path: Path) -> None:
    # Apple's xar numbers sha256 3 and sha512 4 in a plain 28-byte header (mackyle's xar uses 3
    # for a name after a longer header: test_xar.test_named_checksum_algorithm).
    with XarArchive(PKG / "signed-sha256.pkg") as xar:
        assert xar.toc_checksum_algorithm == "sha256"
        assert xar.toc_checksum is not None
        line = (REF / "signed-sha256.checksums.txt").read_text().splitlines()[0]
        assert line == f"toc\tsha256\t{xar.toc_checksum.hex()}\t{xar.toc_checksum.hex()}"
    data = (PKG / "component.pkg").read_bytes()
    _, hsize, version, toc_len, _, _ = struct.unpack(">4sHHQQI", data[:28])
    xml = zlib.decompress(data[hsize:hsize + toc_len])
    xml = re.sub(rb"<offset>(\d+)</offset>",
                 lambda m: b"<offset>%d</offset>" % (int(m[1]) + 44 if int(m[1]) else 0), xml)
    xml = xml.replace(b'<checksum style="sha1">', b'<checksum style="sha512">')
    xml = xml.replace(b"<size>20</size>", b"<size>64</size>", 1)
    packed = zlib.compress(xml)
    head = struct.pack(">4sHHQQI", b"xar!", 28, version, len(packed), len(xml), 4)
    path = tmp_path / "sha512.pkg"
    path.write_bytes(head + packed + hashlib.sha512(packed).digest() + data[hsize + toc_len + 20:])
    record = inspect(path, digest=False)
    assert record.verification.verified is True
    assert record.checked[0] == "TOC checksum (sha512)"


def test_rsa_signature_with_a_non_rsa_certificate(tmp_path: Path) -> None:
    from test_xar import rebuild

    pem = (FIXTURES / "cms" / "keys" / "ec-p256.x509.pem").read_text()
    ec = "".join(pem.split("-----")[2].split())
    data = rebuild((PKG / "signed.pkg").read_bytes(),
                   lambda x: re.sub(rb"<X509Certificate>[^<]+", b"<X509Certificate>" + ec.encode(),
                                    x, count=1))
    path = tmp_path / "ec.pkg"
    path.write_bytes(data)
    record = inspect(path, digest=False)
    messages = {f.member: f.message for f in record.verification.failures}
    assert messages[RSA] == "its certificate's key is not an RSA key"


@pytest.mark.parametrize("fmt", ["text", "github", "json", "junit"])
def test_member_name_cannot_forge_a_line(tmp_path: Path, fmt: str) -> None:
    # A member named with a newline and an annotation, whose checksum fails: SIG004 names it,
    # and no output format lets it start a line.
    import base64

    from test_xar import rebuild

    name = base64.b64encode(b"x\n::error file=evil::forged\r\x1b[31m").decode().encode()

    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b"<name>Payload</name>", b'<name enctype="base64">' + name + b"</name>")
        return xml.replace(b'<archived-checksum style="sha1">0653', b'<archived-checksum '
                           b'style="sha1">1653', 1)

    path = tmp_path / "hostile.pkg"
    path.write_bytes(rebuild((PKG / "component.pkg").read_bytes(), edit))
    result = run_cli("check", "--format", fmt, str(path))
    assert result.code == 1, result.err
    assert "SIG004" in result.out
    for line in result.out.splitlines():
        assert not line.lstrip().startswith("::error file=evil")
        assert fmt == "github" or not line.lstrip().startswith("::")
        assert "\x1b" not in line
