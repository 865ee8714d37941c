"""The xar reader against bsdtar's view of every PKG fixture, and against hostile archives."""

from __future__ import annotations

import hashlib
import os
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.containers.xar import MAX_TOC_BYTES, XarArchive
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES, ROOT, corpus

PKG = FIXTURES / "pkg"
REF = ROOT / "tests" / "reference" / "pkg"
HEADER = struct.Struct(">4sHHQQI")
GOOD = ["component", "product", "multi", "pbzx", "bzip2", "noapp", "signed"]


def listing(name: str) -> dict[str, tuple[str, int]]:
    """``bsdtar -tvf`` as recorded: member -> (mode string, size)."""
    out = {}
    for line in (REF / f"{name}.tvf.txt").read_text().splitlines():
        fields = line.split()
        out[fields[-1]] = (fields[0], int(fields[4]))
    return out


def toc_of(data: bytes) -> bytes:
    _, hsize, _, toc_len, _, _ = HEADER.unpack(data[:28])
    return zlib.decompress(data[hsize:hsize + toc_len])


def rebuild(data: bytes, edit: Callable[[bytes], bytes] = lambda x: x, *,
            named: str | None = None, toc_size: int | None = None) -> bytes:
    """Re-pack a bsdtar-made xar (sha1 TOC checksum at heap offset 0) after editing its TOC XML,
    with a correct checksum; ``named`` switches to header algorithm 3 with that hash name."""
    _, hsize, version, toc_len, _, _ = HEADER.unpack(data[:28])
    xml = zlib.decompress(data[hsize:hsize + toc_len])
    heap = data[hsize + toc_len + 20:]
    header_size, algorithm, name_field = 28, 1, b""
    if named:
        grow = hashlib.new(named).digest_size - 20
        xml = re.sub(rb"<offset>(\d+)</offset>",
                     lambda m: b"<offset>%d</offset>" % (int(m[1]) + grow if int(m[1]) else 0),
                     xml)
        xml = xml.replace(b'<checksum style="sha1">', f'<checksum style="{named}">'.encode())
        xml = xml.replace(b"<size>20</size>", b"<size>%d</size>" % (20 + grow), 1)
        name_field = named.encode().ljust(36, b"\0")
        header_size, algorithm = 28 + len(name_field), 3
    xml = edit(xml)
    packed = zlib.compress(xml)
    digest = hashlib.new(named or "sha1", packed).digest()
    head = HEADER.pack(b"xar!", header_size, version, len(packed),
                       len(xml) if toc_size is None else toc_size, algorithm)
    return head + name_field + packed + digest + heap


def write(tmp_path: Path, data: bytes, name: str = "x.pkg") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def open_error(path: Path) -> ArtifactError:
    with pytest.raises(ArtifactError) as info:
        XarArchive(path).close()
    return info.value


# -- the fixtures, as bsdtar sees them ------------------------------------------------------------
@pytest.mark.parametrize("name", GOOD)
def test_members_match_bsdtar(name: str) -> None:
    expected = listing(name)
    with XarArchive(PKG / f"{name}.pkg") as xar:
        assert xar.names == list(expected)
        for member, (mode, size) in expected.items():
            info = xar.info(member)
            assert info.is_dir == mode.startswith("d")
            assert info.size == size
        assert xar.warnings == []


def test_corpus_members_match_bsdtar() -> None:
    path = corpus("macos", "MacAppOnly.pkg")
    with XarArchive(path) as xar:
        assert xar.names == list(listing("MacAppOnly"))
        assert xar.read("Distribution") == (REF / "MacAppOnly.Distribution.xml").read_bytes()
        assert xar.info("Distribution").encoding == "application/x-gzip"
        assert xar.toc_checksum_algorithm == "sha1"


@pytest.mark.parametrize(("name", "member", "encoding"), [
    ("component", "PackageInfo", "application/octet-stream"),
    ("product", "Distribution", "application/x-gzip"),
    ("product", "Fixture.pkg/PackageInfo", "application/x-gzip"),
    ("multi", "Tool.pkg/PackageInfo", "application/x-gzip"),
    ("bzip2", "PackageInfo", "application/x-bzip2"),
    ("signed", "Distribution", "application/x-gzip"),
])
def test_members_decode_like_bsdtar(name: str, member: str, encoding: str) -> None:
    with XarArchive(PKG / f"{name}.pkg") as xar:
        assert xar.info(member).encoding == encoding
        reference = REF / f"{name}.{member.replace('/', '.')}.xml"
        assert xar.read(member) == reference.read_bytes()


def test_payload_streams_decode_in_small_reads() -> None:
    # The bzip2-encoded Payload, read a few bytes at a time, equals the stored one.
    with XarArchive(PKG / "component.pkg") as stored, XarArchive(PKG / "bzip2.pkg") as bz:
        expected = stored.read("Payload")
        with bz.open("Payload") as stream:
            pieces = []
            while piece := stream.read(7):
                pieces.append(piece)
        assert b"".join(pieces) == expected
        assert len(expected) == listing("component")["Payload"][1]


def test_signatures_in_the_toc() -> None:
    with XarArchive(PKG / "signed.pkg") as xar:
        sigs = xar.signatures
        assert [(s.element, s.style) for s in sigs] == [("signature", "RSA"),
                                                         ("x-signature", "CMS")]
        fingerprints = re.findall(r"sha256 Fingerprint=([0-9A-F:]+)",
                                  (REF / "signed.certs.txt").read_text())
        for sig in sigs:
            assert [hashlib.sha256(c).hexdigest() for c in sig.certificates] == [
                f.replace(":", "").lower() for f in fingerprints]
        assert sigs[0].size == 256
        assert xar.read_raw(sigs[1].offset, 2)[0] == 0x30  # a DER SEQUENCE: the CMS blob
    with XarArchive(PKG / "product.pkg") as xar:
        assert xar.signatures == ()


def test_named_checksum_algorithm(tmp_path: Path) -> None:
    for name in ("sha256", "sha512", "md5"):
        path = write(tmp_path, rebuild((PKG / "component.pkg").read_bytes(), named=name))
        with XarArchive(path) as xar:
            assert xar.toc_checksum_algorithm == name
            assert xar.read("PackageInfo") == (REF / "component.PackageInfo.xml").read_bytes()


# -- corrupt and hostile archives ------------------------------------------------------------
def test_corrupt_toc_fixture() -> None:
    error = open_error(PKG / "corrupt-toc.pkg")
    assert error.member == "TOC"
    assert "zlib" in error.problem
    # bsdtar refuses it too
    assert "exit 1" in (REF / "corrupt-toc.tvf.txt").read_text()


def test_bad_checksum_fixture() -> None:
    # A TOC checksum that does not match is a verification failure (inspector.verify.xar), not
    # an unreadable archive: the reader hands both copies over. bsdtar refuses the archive.
    with XarArchive(PKG / "bad-checksum.pkg") as xar:
        assert xar.toc_checksum_matches is False
        assert xar.toc_checksum is not None and xar.toc_checksum_stored is not None
        assert xar.toc_checksum_stored[0] == xar.toc_checksum[0] ^ 0xFF  # what make.sh flipped
        assert xar.toc_checksum_stored[1:] == xar.toc_checksum[1:]
    with XarArchive(PKG / "component.pkg") as xar:
        assert xar.toc_checksum_matches is True
    assert "Sumcheck error" in (REF / "bad-checksum.tvf.txt").read_text()


@pytest.mark.parametrize("cut", [3, 10, 27, 40, 200])
def test_truncated_before_the_heap(tmp_path: Path, cut: int) -> None:
    data = (PKG / "product.pkg").read_bytes()
    error = open_error(write(tmp_path, data[:cut]))
    assert error.member in ("header", "TOC", "TOC checksum")


def test_truncated_inside_the_heap_names_the_member(tmp_path: Path) -> None:
    data = (PKG / "product.pkg").read_bytes()
    error = open_error(write(tmp_path, data[:-100]))
    assert error.member == "Fixture.pkg/Payload"
    assert "outside the file" in error.problem


def test_random_bytes_after_the_magic(tmp_path: Path) -> None:
    data = b"xar!" + os.urandom(4000)
    assert open_error(write(tmp_path, data)).member in ("header", "TOC")


def test_not_xar(tmp_path: Path) -> None:
    assert "magic" in open_error(write(tmp_path, b"PK\x03\x04" + bytes(100))).problem


def test_toc_longer_than_the_file(tmp_path: Path) -> None:
    data = bytearray((PKG / "component.pkg").read_bytes())
    struct.pack_into(">Q", data, 8, len(data))
    error = open_error(write(tmp_path, bytes(data)))
    assert error.member == "header" and "does not fit" in error.problem


def test_huge_uncompressed_toc_claim(tmp_path: Path) -> None:
    data = bytearray((PKG / "component.pkg").read_bytes())
    struct.pack_into(">Q", data, 16, 1 << 40)
    error = open_error(write(tmp_path, bytes(data)))
    assert error.member == "header" and str(MAX_TOC_BYTES) in error.problem


def test_toc_inflating_past_its_claim(tmp_path: Path) -> None:
    data = rebuild((PKG / "component.pkg").read_bytes(), toc_size=100)
    error = open_error(write(tmp_path, data))
    assert error.member == "TOC" and "beyond" in error.problem


def test_billion_laughs_toc(tmp_path: Path) -> None:
    laughs = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    bomb = b'<?xml version="1.0"?><!DOCTYPE xar [' + laughs + b"]><xar><toc>&lol9;</toc></xar>"
    data = rebuild((PKG / "component.pkg").read_bytes(), lambda _: bomb)
    error = open_error(write(tmp_path, data))
    assert error.member == "TOC" and "DTD or entities" in error.problem


def test_external_entity_toc(tmp_path: Path) -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE xar [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<xar><toc>&x;</toc></xar>")
    error = open_error(write(tmp_path, rebuild((PKG / "component.pkg").read_bytes(),
                                               lambda _: xxe)))
    assert "refused" in error.problem


def test_toc_not_xml(tmp_path: Path) -> None:
    data = rebuild((PKG / "component.pkg").read_bytes(), lambda x: x[:-30])
    error = open_error(write(tmp_path, data))
    assert error.member == "TOC" and "XML" in error.problem


def test_heap_offset_out_of_range(tmp_path: Path) -> None:
    def far(xml: bytes) -> bytes:
        return re.sub(rb"<offset>(\d+)</offset>(\s*<size>\d+</size>\s*<encoding)",
                      rb"<offset>99999999999</offset>\2", xml)

    assert b"99999999999" in far(toc_of((PKG / "component.pkg").read_bytes()))
    error = open_error(write(tmp_path, rebuild((PKG / "component.pkg").read_bytes(), far)))
    assert error.member in ("Payload", "PackageInfo")
    assert "outside the file" in error.problem


def test_non_numeric_length(tmp_path: Path) -> None:
    data = rebuild((PKG / "component.pkg").read_bytes(),
                   lambda x: x.replace(b"<length>", b"<length>x", 1))
    error = open_error(write(tmp_path, data))
    assert error.member == "PackageInfo" and "not a number" in error.problem


def test_member_larger_than_declared_size(tmp_path: Path) -> None:
    # a bomb guard: the TOC says PackageInfo decodes to 10 bytes, the data holds more
    def shrink(xml: bytes) -> bytes:
        head, _, tail = xml.partition(b"<name>PackageInfo</name>")
        return head + b"<name>PackageInfo</name>" + re.sub(rb"<size>\d+</size>",
                                                           b"<size>10</size>", tail, count=1)

    path = write(tmp_path, rebuild((PKG / "product.pkg").read_bytes(), shrink))
    with XarArchive(path) as xar, pytest.raises(ArtifactError) as info:
        xar.read("Fixture.pkg/PackageInfo")
    assert info.value.member == "Fixture.pkg/PackageInfo"
    assert "more than the 10 bytes" in info.value.problem


def test_corrupt_zlib_member(tmp_path: Path) -> None:
    data = bytearray((PKG / "product.pkg").read_bytes())
    with XarArchive(PKG / "product.pkg") as xar:
        info = xar.info("Distribution")
    for i in range(info.offset + 10, info.offset + 20):
        data[i] ^= 0x55
    with XarArchive(write(tmp_path, bytes(data))) as xar, pytest.raises(ArtifactError) as err:
        xar.read("Distribution")
    assert err.value.member == "Distribution"


def test_truncated_zlib_member(tmp_path: Path) -> None:
    def cut(xml: bytes) -> bytes:  # Distribution's stored length, minus 50 bytes
        return re.sub(rb"<length>(\d+)</length>",
                      lambda m: b"<length>%d</length>" % (int(m[1]) - 50), xml, count=1)

    with XarArchive(write(tmp_path, rebuild((PKG / "product.pkg").read_bytes(), cut))) as xar:
        assert xar.names[0] == "Distribution"
        with pytest.raises(ArtifactError) as err:
            xar.read("Distribution")
    assert err.value.member == "Distribution" and "truncated" in err.value.problem


def test_extracted_checksum_mismatch(tmp_path: Path) -> None:
    def alter(xml: bytes) -> bytes:
        return re.sub(rb'(<extracted-checksum style="sha1">)([0-9a-f])',
                      lambda m: m[1] + (b"0" if m[2] != b"0" else b"1"), xml)

    with XarArchive(write(tmp_path, rebuild((PKG / "component.pkg").read_bytes(), alter))) as xar:
        with pytest.raises(ArtifactError) as err:
            xar.read("PackageInfo")
        assert err.value.member == "PackageInfo" and "extracted-checksum" in err.value.problem
        assert xar.read("PackageInfo", verify=False)


def test_unknown_encoding(tmp_path: Path) -> None:
    data = rebuild((PKG / "component.pkg").read_bytes(),
                   lambda x: x.replace(b"application/octet-stream", b"application/x-lzma", 1))
    with XarArchive(write(tmp_path, data)) as xar, pytest.raises(ArtifactError) as err:
        xar.open(xar.names[0])
    assert "unsupported xar encoding" in err.value.problem


def test_member_lookup_errors() -> None:
    with XarArchive(PKG / "product.pkg") as xar:
        with pytest.raises(ArtifactError) as err:
            xar.read("Nope")
        assert err.value.member == "Nope"
        with pytest.raises(ArtifactError):
            xar.open("Fixture.pkg")
        with pytest.raises(ArtifactError):
            xar.read("Fixture.pkg/Payload", limit=100)
