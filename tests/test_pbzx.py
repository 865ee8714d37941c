"""The pbzx decoder against the xz tool's decoding of the fixture, and hostile pbzx streams."""

from __future__ import annotations

import gzip
import io
import lzma
import os
import struct
import subprocess
import sys

import pytest

from inspector.containers.pbzx import PbzxReader
from inspector.containers.xar import XarArchive
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES

PKG = FIXTURES / "pkg"


def member(pkg: str, name: str = "Payload") -> bytes:
    with XarArchive(PKG / pkg) as xar:
        return xar.read(name, limit=1 << 20)


def decode(data: bytes, read_size: int = -1) -> bytes:
    reader = io.BufferedReader(PbzxReader(io.BytesIO(data), member="P"))
    if read_size < 0:
        return reader.read()
    out = []
    while piece := reader.read(read_size):
        out.append(piece)
    return b"".join(out)


def chunks(data: bytes) -> list[tuple[int, int, bytes]]:
    out, pos = [], 12
    while pos < len(data):
        usize, csize = struct.unpack(">QQ", data[pos:pos + 16])
        out.append((usize, csize, data[pos + 16:pos + 16 + csize]))
        pos += 16 + csize
    return out


def xz_tool(chunk: bytes) -> bytes:
    return subprocess.run(["xz", "-dc"], input=chunk, capture_output=True, check=True).stdout


def test_fixture_has_xz_and_raw_chunks() -> None:
    data = member("pbzx.pkg")
    assert data[:4] == b"pbzx" and struct.unpack(">Q", data[4:12])[0] == 4096
    kinds = {"raw" if usize == csize else "xz" for usize, csize, _ in chunks(data)}
    assert kinds == {"raw", "xz"}


@pytest.mark.parametrize("read_size", [-1, 1, 1000, 4096, 5000])
def test_decodes_like_xz_and_like_the_gzip_payload(read_size: int) -> None:
    data = member("pbzx.pkg")
    by_tool = b"".join(c if u == n else xz_tool(c) for u, n, c in chunks(data))
    decoded = decode(data, read_size)
    assert decoded == by_tool
    # make.sh framed the same cpio stream that component.pkg gzipped
    assert decoded == gzip.decompress(member("component.pkg"))


def test_default_chunk_size_writer_round_trip() -> None:
    raw = os.urandom(3000) + bytes(200_000)
    written = subprocess.run([sys.executable, str(PKG / "pbzx.py")], input=raw,
                             capture_output=True, check=True).stdout
    assert decode(written) == raw


def frame(chunk_size: int, *parts: tuple[int, bytes]) -> bytes:
    return b"pbzx" + struct.pack(">Q", chunk_size) + b"".join(
        struct.pack(">QQ", usize, len(data)) + data for usize, data in parts)


def fails(data: bytes) -> ArtifactError:
    with pytest.raises(ArtifactError) as err:
        decode(data)
    assert err.value.member == "P"
    return err.value


def test_truncated_everywhere() -> None:
    data = member("pbzx.pkg")
    # (a cut right after the header or on a chunk boundary is a shorter valid pbzx: the cpio
    # reader then misses its trailer; see test_cpio)
    for cut in (3, 11, 20, 40, 500, len(data) // 2, len(data) - 1):
        error = fails(data[:cut])
        assert "truncated" in error.problem or "ends early" in error.problem


def test_corrupt_xz() -> None:
    data = bytearray(member("pbzx.pkg"))
    for i in range(60, 70):
        data[i] ^= 0xFF
    fails(bytes(data))


def test_bad_magic_and_chunk_size() -> None:
    assert "magic" in fails(b"pbzy" + bytes(8)).problem
    assert "impossible" in fails(frame(0)).problem
    assert "impossible" in fails(frame(1 << 40)).problem


def test_chunk_larger_than_chunk_size() -> None:
    assert "over the" in fails(frame(16, (1 << 30, b"x" * 4))).problem


def test_declared_length_mismatches() -> None:
    packed = lzma.compress(b"a" * 1000, format=lzma.FORMAT_XZ)
    assert "more than" in fails(frame(4096, (500, packed))).problem
    error = fails(frame(4096, (2000, packed)))
    assert "ends early" in error.problem or "length" in error.problem
    error = fails(frame(4096, (1000, packed + b"\0" * 5)))
    assert "data after" in error.problem or "does not match" in error.problem


def test_empty_pbzx_is_empty() -> None:
    assert decode(frame(4096)) == b""
