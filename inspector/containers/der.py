"""ASN.1 DER (and the BER that CMS blobs use) read as a tree of tag-length-value nodes.

Enough of X.690 for X.509 certificates and CMS SignedData: identifier octets (high tag numbers
included), definite lengths, indefinite lengths and constructed strings (BER, which some signing
tools write), and the decoders for the universal types those structures hold. Every length is
checked against its enclosing node and nesting is capped, so a hostile blob ends in one
ArtifactError; the caller names the member.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inspector.errors import ArtifactError
from inspector.limits import MAX_DER_CHILDREN, MAX_OID_ARC_OCTETS, MAX_OID_BYTES, charge

__all__ = [
    "BIT_STRING",
    "BOOLEAN",
    "CONTEXT",
    "GENERALIZED_TIME",
    "INTEGER",
    "MAX_DEPTH",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "SET",
    "UNIVERSAL",
    "UTC_TIME",
    "Node",
    "decode_integer",
    "decode_oid",
    "decode_string",
    "decode_time",
    "read",
]

UNIVERSAL, APPLICATION, CONTEXT, PRIVATE = 0, 1, 2, 3
BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 1, 2, 3, 4, 5, 6
UTF8_STRING, SEQUENCE, SET = 12, 16, 17
NUMERIC_STRING, PRINTABLE_STRING, TELETEX_STRING, IA5_STRING = 18, 19, 20, 22
UTC_TIME, GENERALIZED_TIME, VISIBLE_STRING, UNIVERSAL_STRING, BMP_STRING = 23, 24, 26, 28, 30

_YEAR_DIGITS = {UTC_TIME: 2, GENERALIZED_TIME: 4}

#: Nesting of one structure: a certificate is about eight levels deep, a CMS blob about twelve.
MAX_DEPTH = 64

# How each string type's bytes become text. TeletexString (T.61) is in practice written as
# Latin-1 by the tools that still use it, which is how OpenSSL and asn1crypto read it too.
_CODECS = {
    UTF8_STRING: "utf-8",
    NUMERIC_STRING: "ascii",
    PRINTABLE_STRING: "ascii",
    TELETEX_STRING: "latin-1",
    IA5_STRING: "ascii",
    VISIBLE_STRING: "ascii",
    UNIVERSAL_STRING: "utf-32-be",
    BMP_STRING: "utf-16-be",
}


class Node:
    """One TLV: where it starts, where its content starts and ends, and what its tag says."""

    __slots__ = ("_data", "_depth", "_inner_end", "body", "cls", "constructed", "end", "start", "tag")

    def __init__(self, data: bytes, cls: int, constructed: bool, tag: int, start: int, body: int,
                 end: int, inner_end: int, depth: int) -> None:
        self._data = data
        self.cls = cls
        self.constructed = constructed
        self.tag = tag
        self.start = start
        self.body = body
        self.end = end
        # The end of the content: before the end-of-contents octets when the length is indefinite.
        self._inner_end = inner_end
        self._depth = depth

    def __repr__(self) -> str:
        return f"<Node class {self.cls} tag {self.tag} at {self.start}, {self.end - self.start} bytes>"

    def is_(self, tag: int, cls: int = UNIVERSAL) -> bool:
        return self.tag == tag and self.cls == cls

    @property
    def encoded(self) -> bytes:
        """The whole encoding, header included (a certificate's DER, for its fingerprint)."""
        return self._data[self.start:self.end]

    @property
    def content(self) -> bytes:
        """The content octets; a constructed string (BER) is its segments joined."""
        if not self.constructed:
            return self._data[self.body:self._inner_end]
        return b"".join(child.content for child in self.children())

    def children(self, limit: int = MAX_DER_CHILDREN, what: str = "values") -> list[Node]:
        """The nodes inside a constructed node, in order; more than ``limit`` of them (``what``
        names them in the error) is refused as they are read, before the list grows past it."""
        if not self.constructed:
            raise ArtifactError(f"ASN.1: expected a constructed value at offset {self.start}")
        out: list[Node] = []
        pos = self.body
        while pos < self._inner_end:
            if len(out) >= limit:
                raise ArtifactError(f"ASN.1: more than {limit} {what} in the value at offset {self.start}")
            child = _read(self._data, pos, self._inner_end, self._depth + 1)
            out.append(child)
            pos = child.end
        return out

    def expect(self, tag: int, what: str, cls: int = UNIVERSAL) -> Node:
        """This node, if it has the tag ``what`` names; an ArtifactError otherwise."""
        if not self.is_(tag, cls):
            raise ArtifactError(f"ASN.1: expected {what} at offset {self.start}, found class "
                                f"{self.cls} tag {self.tag}")
        return self


def read(data: bytes, *, whole: bool = True) -> Node:
    """The node at the start of ``data``; with ``whole``, it must span all of ``data``."""
    node = _read(data, 0, len(data), 0)
    if whole and node.end != len(data):
        raise ArtifactError(f"ASN.1: {len(data) - node.end} bytes after the end of the value")
    return node


def _read(data: bytes, pos: int, limit: int, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise ArtifactError(f"ASN.1: nested deeper than {MAX_DEPTH} levels")
    # Every header read counts, the ones skipped to find an indefinite length's end included: BER
    # nested indefinitely is walked once per level, and only the budget bounds that.
    charge("ASN.1 elements")
    start = pos
    if pos + 2 > limit:
        raise ArtifactError(f"ASN.1: truncated header at offset {start}")
    first = data[pos]
    pos += 1
    cls, constructed, tag = first >> 6, bool(first & 0x20), first & 0x1F
    if tag == 0x1F:
        tag = 0
        for _ in range(4):
            if pos >= limit:
                raise ArtifactError(f"ASN.1: truncated tag at offset {start}")
            octet = data[pos]
            pos += 1
            tag = (tag << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        else:
            raise ArtifactError(f"ASN.1: tag number too long at offset {start}")
    if pos >= limit:
        raise ArtifactError(f"ASN.1: truncated length at offset {start}")
    length = data[pos]
    pos += 1
    if length == 0x80:
        if not constructed:
            raise ArtifactError(f"ASN.1: indefinite length on a primitive value at offset {start}")
        body = pos
        while True:
            if pos + 2 > limit:
                raise ArtifactError(f"ASN.1: no end-of-contents for the value at offset {start}")
            if data[pos] == 0 and data[pos + 1] == 0:
                return Node(data, cls, constructed, tag, start, body, pos + 2, pos, depth)
            pos = _read(data, pos, limit, depth + 1).end
    if length & 0x80:
        count = length & 0x7F
        if count > 8 or pos + count > limit:
            raise ArtifactError(f"ASN.1: bad length at offset {start}")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > limit:
        raise ArtifactError(f"ASN.1: value at offset {start} runs {end - limit} bytes past its container")
    return Node(data, cls, constructed, tag, start, pos, end, end, depth)


def decode_integer(node: Node) -> int:
    """A two's-complement INTEGER (serial numbers can be negative in the wild)."""
    content = node.expect(INTEGER, "an INTEGER").content
    if not content:
        raise ArtifactError(f"ASN.1: empty INTEGER at offset {node.start}")
    return int.from_bytes(content, "big", signed=True)


def decode_oid(node: Node) -> str:
    """An OBJECT IDENTIFIER in dotted form."""
    content = node.expect(OID, "an OBJECT IDENTIFIER").content
    if not content or content[-1] & 0x80:
        raise ArtifactError(f"ASN.1: malformed OBJECT IDENTIFIER at offset {node.start}")
    if len(content) > MAX_OID_BYTES:
        raise ArtifactError(f"ASN.1: OBJECT IDENTIFIER of {len(content)} bytes at offset {node.start} "
                            f"(limit {MAX_OID_BYTES})")
    arcs: list[int] = []
    value = 0
    octets = 0
    for octet in content:
        # Shifting an ever larger number makes a long arc cost the square of its length; a UUID
        # arc (2.25.x, 128 bits) takes 19 octets.
        octets += 1
        if octets > MAX_OID_ARC_OCTETS:
            raise ArtifactError(f"ASN.1: OBJECT IDENTIFIER arc of more than {MAX_OID_ARC_OCTETS} "
                                f"octets at offset {node.start}")
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
            octets = 0
    head = arcs[0]
    first = min(head // 40, 2)
    return ".".join(map(str, [first, head - 40 * first, *arcs[1:]]))


def decode_string(node: Node) -> str:
    """A character string of any of the universal string types."""
    codec = _CODECS.get(node.tag) if node.cls == UNIVERSAL else None
    if codec is None:
        raise ArtifactError(f"ASN.1: expected a string at offset {node.start}, found tag {node.tag}")
    try:
        return node.content.decode(codec)
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"ASN.1: string at offset {node.start} is not valid {codec}") from exc


def decode_time(node: Node) -> datetime:
    """A UTCTime or GeneralizedTime, as an aware UTC datetime.

    UTCTime's two-digit year is 1950-2049 (RFC 5280). A year Python cannot hold (0000) reads as
    0001-01-01, the earliest datetime; a local time (no zone) is taken as UTC.
    """
    year_digits = _YEAR_DIGITS.get(node.tag) if node.cls == UNIVERSAL else None
    if year_digits is None:
        raise ArtifactError(f"ASN.1: expected a time at offset {node.start}, found tag {node.tag}")
    text = node.content
    try:
        return _time(text.decode("ascii"), year_digits)
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise ArtifactError(f"ASN.1: malformed time {text[:32]!r} at offset {node.start}") from exc


def _time(text: str, year_digits: int) -> datetime:
    offset = timedelta(0)
    if year_digits == 2 and not text.endswith("Z") and text[-5:-4] not in ("+", "-"):
        raise ValueError("a UTCTime needs a zone")
    if text.endswith("Z"):
        text = text[:-1]
    elif len(text) > 5 and text[-5] in "+-":
        sign = -1 if text[-5] == "-" else 1
        hours, minutes = int(text[-4:-2]), int(text[-2:])
        if hours > 23 or minutes > 59:
            raise ValueError("bad offset")
        offset = sign * timedelta(hours=hours, minutes=minutes)
        text = text[:-5]
    fraction = 0.0
    if year_digits == 4 and ("." in text or "," in text):
        text, _, digits = text.replace(",", ".").partition(".")
        if not digits.isdigit():
            raise ValueError("bad fraction")
        fraction = float("0." + digits)
    allowed = (10, 12) if year_digits == 2 else (10, 12, 14)
    if not text.isdigit() or len(text) not in allowed:
        raise ValueError("bad length")
    year = int(text[:year_digits])
    if year_digits == 2:
        year += 2000 if year < 50 else 1900
    fields = [int(text[i:i + 2]) for i in range(year_digits, len(text), 2)]
    month, day, hour = fields[0], fields[1], fields[2]
    minute = fields[3] if len(fields) > 3 else 0
    second = fields[4] if len(fields) > 4 else 0
    if year == 0:
        return datetime(1, 1, 1, tzinfo=UTC)
    when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    when += timedelta(seconds=fraction) - offset
    return when
