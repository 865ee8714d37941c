"""The APK Signing Block (schemes v2, v3, v3.1): find it before the central directory, list signers.

Layout (little endian): u64 size, pairs of (u64 length, u32 id, value), u64 size again, then the
16-byte magic ``APK Sig Block 42``; the block ends exactly where the central directory starts.
Only structure is read here: which schemes are present and the certificates each signer carries.
Verifying digests would mean reading the whole APK, which is apksigner's job, not a pre-flight's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import NamedTuple

from inspector.errors import ArtifactError
from inspector.limits import MAX_SIGNING_BLOCK_BYTES

__all__ = [
    "MAGIC",
    "SCHEME_IDS",
    "BlockSigner",
    "SigningBlock",
    "parse_signing_block",
    "read_signing_block",
]

MAGIC = b"APK Sig Block 42"
MEMBER = "APK Signing Block"
SCHEME_IDS = {0x7109871A: "v2", 0xF05368C0: "v3", 0x1B93AD61: "v3.1"}
_PADDING_ID = 0x42726577
_SOURCE_STAMP_IDS = (0x6DFF800D, 0x2B09189E)
_PROOF_OF_ROTATION = 0x3BA06F8C
#: Real blocks are kilobytes (padded to 4 KiB); refuse to read absurd claims.
_MAX_BLOCK = MAX_SIGNING_BLOCK_BYTES


# Container structures, not records: NamedTuples, which cost a tenth of a dataclass to create
# at start-up (this module is on every APK run).
class BlockSigner(NamedTuple):
    scheme: str
    certificates: tuple[bytes, ...]  # DER, signing certificate first
    min_sdk: int | None = None
    max_sdk: int | None = None
    lineage: tuple[bytes, ...] = ()  # DER, oldest first (v3 proof-of-rotation)


class SigningBlock(NamedTuple):
    ids: tuple[int, ...]
    signers: tuple[BlockSigner, ...]

    @property
    def schemes(self) -> tuple[str, ...]:
        return tuple(SCHEME_IDS[i] for i in SCHEME_IDS if i in self.ids)

    @property
    def source_stamp(self) -> bool:
        return any(i in self.ids for i in _SOURCE_STAMP_IDS)


class _Buf:
    """A little-endian cursor that turns every overrun into an ArtifactError."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> memoryview:
        if n < 0 or n > self.remaining():
            raise ArtifactError(
                f"{self.what}: length {n} overruns the {self.remaining()} bytes left", member=MEMBER
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def prefixed(self, what: str) -> _Buf:
        return _Buf(self.take(self.u32()), what)

    def sequence(self, what: str) -> Iterator[_Buf]:
        while self.remaining():
            yield self.prefixed(what)


def read_signing_block(read_raw: Callable[[int, int], bytes], cd_offset: int) -> bytes | None:
    """The raw block (size field to magic) ending at ``cd_offset``, or None if there is none.

    ``read_raw(offset, size)`` reads bytes of the archive file.
    """
    if cd_offset < 32:
        return None
    footer = read_raw(cd_offset - 24, 24)
    if len(footer) != 24 or footer[8:] != MAGIC:
        return None
    size = struct.unpack("<Q", footer[:8])[0]
    if size < 24 or size > _MAX_BLOCK or size + 8 > cd_offset:
        raise ArtifactError(f"block size {size} is impossible here", member=MEMBER)
    block = read_raw(cd_offset - size - 8, size + 8)
    if len(block) != size + 8 or struct.unpack("<Q", block[:8])[0] != size:
        raise ArtifactError("the two size fields of the block disagree", member=MEMBER)
    return bytes(block)


def _lineage(attr: _Buf) -> tuple[bytes, ...]:
    attr.u32()  # format version
    certs = []
    for node in attr.sequence("lineage node"):
        signed = node.prefixed("lineage signed data")
        certs.append(bytes(signed.prefixed("lineage certificate").data))
    return tuple(certs)


def _signer(scheme: str, signer: _Buf) -> BlockSigner:
    signed = signer.prefixed(f"{scheme} signed data")
    signed.prefixed(f"{scheme} digests")
    certs = tuple(bytes(c.data) for c in signed.prefixed(f"{scheme} certificates").sequence("certificate"))
    min_sdk = max_sdk = None
    lineage: tuple[bytes, ...] = ()
    if scheme != "v2":
        min_sdk, max_sdk = signed.u32(), signed.u32()
        for attr in signed.prefixed(f"{scheme} attributes").sequence("attribute"):
            if attr.u32() == _PROOF_OF_ROTATION:
                lineage = _lineage(attr)
    return BlockSigner(scheme=scheme, certificates=certs, min_sdk=min_sdk, max_sdk=max_sdk,
                       lineage=lineage)


def parse_signing_block(block: bytes) -> SigningBlock:
    """Parse a block returned by :func:`read_signing_block`."""
    buf = _Buf(block, "signing block")
    buf.u64()
    pairs = _Buf(buf.take(len(block) - 8 - 24), "signing block pairs")
    ids: list[int] = []
    signers: list[BlockSigner] = []
    while pairs.remaining():
        length = pairs.u64()
        if length < 4:
            raise ArtifactError(f"pair length {length} is too small", member=MEMBER)
        pair = _Buf(pairs.take(length), "signing block pair")
        pair_id = pair.u32()
        ids.append(pair_id)
        scheme = SCHEME_IDS.get(pair_id)
        if scheme is None:
            continue
        for signer in pair.prefixed(f"{scheme} signers").sequence(f"{scheme} signer"):
            signers.append(_signer(scheme, signer))
    return SigningBlock(ids=tuple(i for i in ids if i != _PADDING_ID), signers=tuple(signers))
