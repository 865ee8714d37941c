"""The APK Signing Block reader: structure, v3 lineage, v3.1 by id, and hostile blocks."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from inspector.certs import certificate_from_der
from inspector.containers.apk_signing import (
    MAGIC,
    SCHEME_IDS,
    parse_signing_block,
    read_signing_block,
)
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES, corpus
from tests.tool_outputs import REFERENCE, read_recorded


def _block(path: Path) -> bytes:
    with ZipArchive(path) as z:
        raw = read_signing_block(z.read_raw, z.central_directory_offset)
    assert raw is not None
    return raw


def _pairs(block: bytes) -> list[tuple[int, bytes]]:
    body = block[8:-24]
    out, pos = [], 0
    while pos < len(body):
        (length,) = struct.unpack_from("<Q", body, pos)
        (pair_id,) = struct.unpack_from("<I", body, pos + 8)
        out.append((pair_id, body[pos + 12 : pos + 8 + length]))
        pos += 8 + length
    return out


def _assemble(pairs: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack("<QI", len(v) + 4, i) + v for i, v in pairs)
    size = len(body) + 8 + 16
    return struct.pack("<Q", size) + body + struct.pack("<Q", size) + MAGIC


def test_v3_lineage_matches_apksigner_lineage() -> None:
    block = parse_signing_block(_block(FIXTURES / "apk" / "rotated-v3-lineage.apk"))
    v3 = [s for s in block.signers if s.scheme == "v3"]
    assert len(v3) == 1
    lineage = [certificate_from_der(n.certificate) for n in v3[0].lineage]
    assert len(lineage) == 2
    recorded = read_recorded(REFERENCE / "apk" / "rotated-v3-lineage.lineage.txt").body
    for cert in lineage:
        assert cert.sha256 in recorded
    # the newest certificate of the lineage is the one that signs v3
    assert certificate_from_der(v3[0].certificates[0]).sha256 == lineage[-1].sha256


def _recorded_capabilities(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(certificate SHA-256, capability names) per node, as ``apksigner lineage -v`` prints them."""
    names = {"installed data": "installed-data", "shared UID": "shared-uid",
             "permission": "permission", "rollback": "rollback", "auth": "auth"}
    nodes: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if "in lineage certificate SHA-256 digest:" in line:
            nodes.append((line.rsplit(" ", 1)[1], []))
        elif line.startswith("Has ") and line.rstrip().endswith("true"):
            label = line[len("Has "):line.index(" capability")]
            nodes[-1][1].append(names[label])
    return [(sha, tuple(caps)) for sha, caps in nodes]


@pytest.mark.parametrize("path", [
    FIXTURES / "apk" / "rotated-v3-lineage.apk",
    "corpus:golden-aligned-v1v2v3-lineage-out.apk",
])
def test_lineage_capabilities_match_apksigner_lineage(path: Path | str) -> None:
    from inspector import inspect
    if isinstance(path, str):
        name = path.split(":", 1)[1]
        path = corpus("android", name)
        reference = REFERENCE / "apk" / f"corpus-{Path(name).stem}.lineage.txt"
    else:
        reference = REFERENCE / "apk" / f"{path.stem}.lineage.txt"
    record = inspect(path, digest=False, verify=False)
    (v3,) = [s for s in record.signing.signers if s.scheme == "v3"]
    ours = [(n.certificate.sha256, n.capabilities) for n in v3.lineage]
    assert ours == _recorded_capabilities(read_recorded(reference).body)
    assert v3.lineage_certificates == tuple(n.certificate for n in v3.lineage)


def test_v31_is_the_v3_format_under_its_own_id() -> None:
    # No tool here signs v3.1 (Debian's apksigner is 31.0.2); v3.1 uses the v3 block format under
    # id 0x1b93ad61, so a real v3 pair re-labelled is a faithful v3.1 pair.
    raw = _block(FIXTURES / "apk" / "signed-v1v2v3.apk")
    pairs = _pairs(raw)
    v3 = next(v for i, v in pairs if i == 0xF05368C0)
    block = parse_signing_block(_assemble([*pairs, (0x1B93AD61, v3)]))
    assert block.schemes == ("v2", "v3", "v3.1")
    (v31,) = [s for s in block.signers if s.scheme == "v3.1"]
    assert v31.min_sdk is not None
    assert SCHEME_IDS[0x1B93AD61] == "v3.1"


def test_corpus_lineage_apk() -> None:
    block = parse_signing_block(_block(corpus("android", "golden-aligned-v1v2v3-lineage-out.apk")))
    assert block.schemes == ("v2", "v3")
    v3 = next(s for s in block.signers if s.scheme == "v3")
    assert len(v3.lineage) == 2


@pytest.mark.parametrize("cut", [8, 20, 40, 100])
def test_truncated_pairs_are_a_clear_error(cut: int) -> None:
    raw = _block(FIXTURES / "apk" / "signed-v1v2v3.apk")
    pairs = _pairs(raw)
    pair_id, value = pairs[0]
    broken = _assemble([(pair_id, value[:cut])])
    with pytest.raises(ArtifactError) as info:
        parse_signing_block(broken)
    assert info.value.member == "APK Signing Block"


def test_impossible_size_is_a_clear_error() -> None:
    fake = b"\0" * 64 + struct.pack("<Q", 1 << 40) + MAGIC

    def read_raw(offset: int, size: int) -> bytes:
        return fake[offset : offset + size]

    with pytest.raises(ArtifactError):
        read_signing_block(read_raw, len(fake))


def test_no_block_in_a_v1_only_apk() -> None:
    with ZipArchive(corpus("android", "golden-aligned-v1-out.apk")) as z:
        assert read_signing_block(z.read_raw, z.central_directory_offset) is None
