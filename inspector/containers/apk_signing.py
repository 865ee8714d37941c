"""The APK Signing Block (schemes v2, v3, v3.1): find it before the central directory, list signers.

Layout (little endian): u64 size, pairs of (u64 length, u32 id, value), u64 size again, then the
16-byte magic ``APK Sig Block 42``; the block ends exactly where the central directory starts.
Only structure is read here: which schemes are present, the certificates each signer carries, and
the stored digests, signatures and keys that ``inspector.verify.apk_signing_block`` checks.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import NamedTuple

from inspector.errors import ArtifactError
from inspector.limits import MAX_SIGNING_BLOCK_BYTES

__all__ = [
    "CONTENT_DIGESTS",
    "MAGIC",
    "SCHEME_IDS",
    "SIGNATURE_ALGORITHMS",
    "BlockSigner",
    "LineageEntry",
    "SigningBlock",
    "algorithm_name",
    "parse_lineage",
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


class SignatureAlgorithm(NamedTuple):
    """A signature algorithm id of the v2/v3 schemes: the key type, the hash, the RSA padding,
    and the content digest algorithm id it goes with."""

    name: str
    key: str  # "RSA", "EC", "DSA"
    hash: str  # hashlib name
    padding: str | None  # "pss" or "pkcs1" for RSA
    content_digest: int


#: Content digest algorithm ids: 1 MiB chunks with SHA-256 / SHA-512, and the 4 KiB verity tree.
CHUNKED_SHA256, CHUNKED_SHA512, VERITY_CHUNKED_SHA256 = 1, 2, 3
CONTENT_DIGESTS = {CHUNKED_SHA256: "CHUNKED_SHA256", CHUNKED_SHA512: "CHUNKED_SHA512",
                   VERITY_CHUNKED_SHA256: "VERITY_CHUNKED_SHA256"}

SIGNATURE_ALGORITHMS = {
    0x0101: SignatureAlgorithm("RSA_PSS_WITH_SHA256", "RSA", "sha256", "pss", CHUNKED_SHA256),
    0x0102: SignatureAlgorithm("RSA_PSS_WITH_SHA512", "RSA", "sha512", "pss", CHUNKED_SHA512),
    0x0103: SignatureAlgorithm("RSA_PKCS1_V1_5_WITH_SHA256", "RSA", "sha256", "pkcs1",
                               CHUNKED_SHA256),
    0x0104: SignatureAlgorithm("RSA_PKCS1_V1_5_WITH_SHA512", "RSA", "sha512", "pkcs1",
                               CHUNKED_SHA512),
    0x0201: SignatureAlgorithm("ECDSA_WITH_SHA256", "EC", "sha256", None, CHUNKED_SHA256),
    0x0202: SignatureAlgorithm("ECDSA_WITH_SHA512", "EC", "sha512", None, CHUNKED_SHA512),
    0x0301: SignatureAlgorithm("DSA_WITH_SHA256", "DSA", "sha256", None, CHUNKED_SHA256),
    0x0421: SignatureAlgorithm("VERITY_RSA_PKCS1_V1_5_WITH_SHA256", "RSA", "sha256", "pkcs1",
                               VERITY_CHUNKED_SHA256),
    0x0423: SignatureAlgorithm("VERITY_ECDSA_WITH_SHA256", "EC", "sha256", None,
                               VERITY_CHUNKED_SHA256),
    0x0425: SignatureAlgorithm("VERITY_DSA_WITH_SHA256", "DSA", "sha256", None,
                               VERITY_CHUNKED_SHA256),
}


def algorithm_name(ident: int) -> str:
    """apksig's name for a signature algorithm id, or ``0x....`` for one it does not know."""
    known = SIGNATURE_ALGORITHMS.get(ident)
    return known.name if known else f"0x{ident:04x}"


# Container structures, not records: NamedTuples, which cost a tenth of a dataclass to create
# at start-up (this module is on every APK run).
class LineageEntry(NamedTuple):
    """One node of a proof-of-rotation lineage as stored: ``signed_data`` (the length-prefixed
    certificate and ``signed_algorithm``, the algorithm the previous node's key signed it with) is
    what ``signature`` signs, with the previous node's key; ``algorithm`` is the one this node's
    key uses for the next node."""

    certificate: bytes  # DER
    signed_data: bytes
    signed_algorithm: int
    flags: int
    algorithm: int
    signature: bytes


class BlockSigner(NamedTuple):
    scheme: str
    certificates: tuple[bytes, ...]  # DER, signing certificate first
    min_sdk: int | None = None
    max_sdk: int | None = None
    lineage: tuple[LineageEntry, ...] = ()  # oldest first (v3 proof-of-rotation)
    # What verification needs, as stored: the signed data the signatures cover, the content
    # digests and signatures as (algorithm id, bytes), the SubjectPublicKeyInfo, the signed
    # attributes as (id, value), and (v3) the SDK range repeated outside the signed data.
    signed_data: bytes = b""
    digests: tuple[tuple[int, bytes], ...] = ()
    signatures: tuple[tuple[int, bytes], ...] = ()
    public_key: bytes = b""
    attributes: tuple[tuple[int, bytes], ...] = ()
    outer_min_sdk: int | None = None
    outer_max_sdk: int | None = None
    #: Why the signer could not be read (its fields are then empty): a verification failure,
    #: not an unreadable file, as apksig treats a malformed signer.
    error: str | None = None


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


def parse_lineage(value: bytes | memoryview) -> tuple[LineageEntry, ...]:
    """The nodes of a proof-of-rotation attribute value (u32 version, then length-prefixed nodes)."""
    attr = _Buf(value, "lineage")
    version = attr.u32()
    if version != 1:
        raise ArtifactError(f"lineage version {version} is unknown", member=MEMBER)
    nodes = []
    for node in attr.sequence("lineage node"):
        signed_raw = node.prefixed("lineage signed data")
        signed = _Buf(signed_raw.data, "lineage signed data")
        cert = bytes(signed.prefixed("lineage certificate").data)
        signed_algorithm = signed.u32()
        flags, algorithm = node.u32(), node.u32()
        signature = bytes(node.prefixed("lineage signature").data)
        nodes.append(LineageEntry(cert, bytes(signed_raw.data), signed_algorithm, flags, algorithm,
                                  signature))
    return tuple(nodes)


def _pairs(buf: _Buf, what: str) -> tuple[tuple[int, bytes], ...]:
    out = []
    for item in buf.sequence(what):
        ident = item.u32()
        out.append((ident, bytes(item.prefixed(what).data)))
    return tuple(out)


def _signer(scheme: str, signer: _Buf) -> BlockSigner:
    signed_raw = signer.prefixed(f"{scheme} signed data")
    signed = _Buf(signed_raw.data, f"{scheme} signed data")
    digests = _pairs(signed.prefixed(f"{scheme} digests"), f"{scheme} digest")
    certs = tuple(bytes(c.data) for c in signed.prefixed(f"{scheme} certificates").sequence("certificate"))
    min_sdk = max_sdk = outer_min = outer_max = None
    if scheme != "v2":
        min_sdk, max_sdk = signed.u32(), signed.u32()
    attributes = []
    for attr in signed.prefixed(f"{scheme} attributes").sequence("attribute"):
        ident = attr.u32()
        attributes.append((ident, bytes(attr.take(attr.remaining()))))
    lineage: tuple[LineageEntry, ...] = ()
    for ident, value in attributes:
        if ident == _PROOF_OF_ROTATION and scheme != "v2":
            lineage = parse_lineage(value)
    if scheme != "v2":
        outer_min, outer_max = signer.u32(), signer.u32()
    signatures = _pairs(signer.prefixed(f"{scheme} signatures"), f"{scheme} signature")
    public_key = bytes(signer.prefixed(f"{scheme} public key").data)
    return BlockSigner(scheme=scheme, certificates=certs, min_sdk=min_sdk, max_sdk=max_sdk,
                       lineage=lineage, signed_data=bytes(signed_raw.data), digests=digests,
                       signatures=signatures, public_key=public_key,
                       attributes=tuple(attributes), outer_min_sdk=outer_min,
                       outer_max_sdk=outer_max)


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
            try:
                signers.append(_signer(scheme, signer))
            except ArtifactError as exc:
                signers.append(BlockSigner(scheme=scheme, certificates=(),
                                           error=f"malformed signer ({exc.problem})"))
    return SigningBlock(ids=tuple(i for i in ids if i != _PADDING_ID), signers=tuple(signers))
