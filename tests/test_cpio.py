"""The cpio reader and payload decompression against cpio's own listings, and hostile payloads."""

from __future__ import annotations

import gzip
import io
import os
import plistlib
import stat

import pytest

from inspector.containers.cpio import CpioReader, GzipReader, payload_kind, payload_stream
from inspector.containers.xar import XarArchive
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES, ROOT

PKG = FIXTURES / "pkg"
REF = ROOT / "tests" / "reference" / "pkg"


def cpio_listing(name: str) -> list[tuple[str, str, int]]:
    """``cpio -itv`` as recorded: (name as stored, mode string, size)."""
    rows = []
    for line in (REF / name).read_text().splitlines():
        fields = line.split(None, 8)
        rows.append((fields[8], fields[0], int(fields[4])))
    return rows


def entries(stream: io.BufferedIOBase) -> list[tuple[str, str, int]]:
    out = []
    for entry in CpioReader(stream):
        out.append((entry.name, stat.filemode(entry.mode), entry.size))
    return out


def payload(pkg: str, member: str = "Payload") -> bytes:
    with XarArchive(PKG / pkg) as xar:
        return xar.read(member, limit=1 << 20)


@pytest.mark.parametrize(("pkg", "member", "kind", "reference"), [
    ("component.pkg", "Payload", "gzip", "component.payload.txt"),
    ("product.pkg", "Fixture.pkg/Payload", "gzip", "product.Fixture.pkg.payload.txt"),
    ("multi.pkg", "Tool.pkg/Payload", "gzip", "multi.Tool.pkg.payload.txt"),
    ("pbzx.pkg", "Payload", "pbzx", "pbzx.payload.txt"),
    ("noapp.pkg", "Payload", "cpio", "noapp.payload.txt"),
])
def test_payload_entries_match_cpio(pkg: str, member: str, kind: str, reference: str) -> None:
    with XarArchive(PKG / pkg) as xar, xar.open(member) as raw:
        found, stream = payload_stream(raw, member=member)
        assert found == kind
        assert entries(stream) == cpio_listing(reference)


def test_newc_matches_cpio() -> None:
    with open(PKG / "newc.cpio", "rb") as fh:
        assert entries(fh) == cpio_listing("newc.cpio.txt")


def test_body_is_the_info_plist_cpio_extracts() -> None:
    expected = plistlib.loads((REF / "component.Info.plist.xml").read_bytes())
    stream = io.BytesIO(gzip.decompress(payload("component.pkg")))
    reader = CpioReader(stream)
    for entry in reader:
        if entry.name == "./Applications/Fixture.app/Contents/Info.plist":
            body = reader.read(1 << 20)
            break
    else:
        pytest.fail("Info.plist not found")
    assert body.startswith(b"bplist00")
    assert plistlib.loads(body) == expected


def test_newc_bodies() -> None:
    reader = CpioReader(io.BytesIO((PKG / "newc.cpio").read_bytes()))
    bodies = {e.name: reader.read(1 << 20) for e in reader if e.is_file}
    assert bodies["usr/local/share/doc/fixture-tool/README"] == (
        FIXTURES / "pkg" / "src" / "tool" / "README").read_bytes()


class CountingReader(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = self._inner.readinto(buffer)
        self.consumed += n
        return n


def odc(name: str, body: bytes, mode: int = 0o100644, size: int | None = None) -> bytes:
    name_bytes = name.encode() + b"\0"
    header = (b"070707" + b"%06o" % 0 + b"%06o" % 1 + b"%06o" % mode + b"%06o" % 0 * 2
              + b"%06o" % 1 + b"%06o" % 0 + b"%011o" % 0 + b"%06o" % len(name_bytes)
              + b"%011o" % (len(body) if size is None else size))
    return header + name_bytes + body


TRAILER = odc("TRAILER!!!", b"")


def test_stops_early() -> None:
    # A first small file, then 8 MiB of random bytes: finding the first must not read the rest.
    big = odc("./first", b"hello") + odc("./big", os.urandom(8 << 20)) + TRAILER
    packed = gzip.compress(big, compresslevel=1)
    counter = CountingReader(packed)
    _, stream = payload_stream(io.BufferedReader(counter))
    reader = CpioReader(stream)
    entry = next(iter(reader))
    assert (entry.name, reader.read(10)) == ("./first", b"hello")
    assert counter.consumed <= 2 << 20  # read in 1 MiB steps: one or two of eight


def test_multi_member_gzip() -> None:
    data = odc("./a", b"A" * 100) + odc("./b", b"B" * 100) + TRAILER
    packed = gzip.compress(data[:150]) + gzip.compress(data[150:])
    stream = io.BufferedReader(GzipReader(io.BytesIO(packed)))
    assert stream.read() == data


def test_gzip_trailing_zeros_are_ignored() -> None:
    data = odc("./a", b"x") + TRAILER
    stream = io.BufferedReader(GzipReader(io.BytesIO(gzip.compress(data) + bytes(512))))
    assert stream.read() == data


# -- hostile ---------------------------------------------------------------------------------
def read_all(data: bytes, member: str = "x.pkg/Payload") -> None:
    _, stream = payload_stream(io.BufferedReader(io.BytesIO(data)), member=member)
    for _ in CpioReader(stream, member=member):
        pass


def test_truncated_gzip() -> None:
    packed = payload("component.pkg")
    with pytest.raises(ArtifactError) as err:
        read_all(packed[: len(packed) // 2])
    assert err.value.member == "x.pkg/Payload" and "truncated" in err.value.problem


def test_corrupt_gzip() -> None:
    packed = bytearray(payload("component.pkg"))
    for i in range(100, 120):
        packed[i] ^= 0xA5
    with pytest.raises(ArtifactError) as err:
        read_all(bytes(packed))
    assert err.value.member == "x.pkg/Payload"


def test_absurd_size() -> None:
    data = odc("./huge", b"tiny", size=0o77777777777)
    with pytest.raises(ArtifactError) as err:
        read_all(data)
    assert err.value.member == "x.pkg/Payload" and "truncated" in err.value.problem
    reader = CpioReader(io.BytesIO(data), member="P")
    next(iter(reader))
    with pytest.raises(ArtifactError) as err:
        reader.read(1 << 20)
    assert err.value.member == "P" and "limit" in err.value.problem


@pytest.mark.parametrize("bad", [
    b"070707" + b"zz" * 35,  # non-octal fields
    odc("./a", b"x")[:-20],  # cut inside the header/name
    b"070707" + b"0" * 53 + b"000000" + b"0" * 11,  # name size 0
    b"070707" + b"0" * 53 + b"777777" + b"0" * 11,  # name size 262143
    odc("./a", b"x") + b"garbage!" * 20,  # no next header
    odc("./a", b"x"),  # no trailer
])
def test_bad_headers(bad: bytes) -> None:
    with pytest.raises(ArtifactError) as err:
        read_all(bad)
    assert err.value.member == "x.pkg/Payload"


def test_payload_kinds() -> None:
    assert payload_kind(b"\x1f\x8b\x08\x00\x00\x00") == "gzip"
    assert payload_kind(b"pbzx\x00\x00") == "pbzx"
    assert payload_kind(b"070707") == "cpio"
    assert payload_kind(b"070701") == "cpio"
    assert payload_kind(b"BZh91A") is None
    with pytest.raises(ArtifactError) as err:
        payload_stream(io.BufferedReader(io.BytesIO(os.urandom(64) + b"x")), member="P")
    assert err.value.member == "P" and "neither" in err.value.problem
    with pytest.raises(ArtifactError) as err:
        payload_stream(io.BufferedReader(io.BytesIO(b"")), member="P")
    assert "empty" in err.value.problem
