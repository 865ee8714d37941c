"""Android binary XML (the compiled ``AndroidManifest.xml``): chunks, string pool, element tree.

Follows the platform's reader (``ResXMLTree`` in frameworks/base/libs/androidfw/ResourceTypes.cpp):
chunk sizes are checked before anything inside them is read, strings are decoded on demand, and
where Android is tolerant (a string without its terminator, unknown chunks, chunks with padding)
this reader is too. Everything else is one :class:`~inspector.errors.ArtifactError` naming the member.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from inspector.errors import ArtifactError
from inspector.limits import charge

__all__ = [
    "RES_STRING_POOL_TYPE",
    "RES_XML_TYPE",
    "T_ATTRIBUTE",
    "T_DYNAMIC_REFERENCE",
    "T_FLOAT",
    "T_INT_BOOLEAN",
    "T_INT_DEC",
    "T_INT_HEX",
    "T_NULL",
    "T_REFERENCE",
    "T_STRING",
    "StringPool",
    "XmlAttribute",
    "XmlElement",
    "chunk_header",
    "format_value",
    "read_xml",
]

RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
_XML_START_NAMESPACE, _XML_END_NAMESPACE = 0x0100, 0x0101
_XML_START_ELEMENT, _XML_END_ELEMENT, _XML_CDATA = 0x0102, 0x0103, 0x0104
_XML_RESOURCE_MAP = 0x0180
_UTF8_FLAG = 0x100
_NO_INDEX = 0xFFFFFFFF

# Res_value data types (ResourceTypes.h).
T_NULL, T_REFERENCE, T_ATTRIBUTE, T_STRING, T_FLOAT = 0x00, 0x01, 0x02, 0x03, 0x04
T_DIMENSION, T_FRACTION, T_DYNAMIC_REFERENCE, T_DYNAMIC_ATTRIBUTE = 0x05, 0x06, 0x07, 0x08
T_INT_DEC, T_INT_HEX, T_INT_BOOLEAN = 0x10, 0x11, 0x12
_T_FIRST_COLOR, _T_LAST_COLOR, _T_LAST_INT = 0x1C, 0x1F, 0x1F

#: Real manifests nest a handful of levels; the cap keeps a hostile file from building a deep tree.
MAX_DEPTH = 256

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_CHUNK = struct.Struct("<HHI")
_POOL = struct.Struct("<IIIII")
_ATTR_EXT = struct.Struct("<IIHHHHHH")
_ATTR = struct.Struct("<IIIHBBI")
_NS_EXT = struct.Struct("<II")
_DIMENSION_UNITS = ("px", "dip", "sp", "pt", "in", "mm")
_FRACTION_UNITS = ("%", "%p")
_RADIX = (1.0 / (1 << 8), 1.0 / (1 << 15), 1.0 / (1 << 23), 1.0 / (1 << 31))


def chunk_header(data: bytes, offset: int, end: int, what: str, member: str) -> tuple[int, int, int]:
    """``(type, header size, size)`` of the chunk at ``offset``, checked to lie within ``end``.

    The checks are the platform's ``validate_chunk``: a header of at least 8 bytes, inside the
    chunk, and a chunk inside its parent. Sizes need not be multiples of 4 (aapt2 accepts odd ones).
    """
    if offset + 8 > end:
        raise ArtifactError(f"{what}: chunk header at {offset} overruns the data ({end} bytes)",
                            member=member)
    ctype, header_size, size = _CHUNK.unpack_from(data, offset)
    if header_size < 8 or header_size > size or size > end - offset:
        raise ArtifactError(
            f"{what}: chunk 0x{ctype:04x} at {offset} has header size {header_size} and size {size},"
            f" but {end - offset} bytes remain", member=member)
    return ctype, header_size, size


class StringPool:
    """A ``ResStringPool`` chunk: UTF-8 or UTF-16 strings, decoded on first use.

    ``get`` returns None where the platform's ``stringAt`` returns NULL (index out of range, a
    string running past the pool, a missing terminator): callers treat that as an absent string.
    """

    __slots__ = ("_budget", "_cache", "_count", "_data", "_member", "_offsets", "_pool_end", "_strings",
                 "_utf8")

    def __init__(self, data: bytes, offset: int, end: int, member: str) -> None:
        _, header_size, size = chunk_header(data, offset, end, "string pool", member)
        if header_size < 28:
            raise ArtifactError(f"string pool header is {header_size} bytes, under 28", member=member)
        count, style_count, flags, strings_start, styles_start = _POOL.unpack_from(data, offset + 8)
        if count * 4 > size - header_size or style_count * 4 > size - header_size - count * 4:
            raise ArtifactError(
                f"string pool claims {count} strings and {style_count} styles in {size} bytes",
                member=member)
        self._data = data
        self._utf8 = bool(flags & _UTF8_FLAG)
        self._count: int = count
        self._offsets = offset + header_size
        self._cache: dict[int, str | None] = {}
        pool_end = offset + size
        if style_count and strings_start < styles_start < size:
            pool_end = offset + styles_start
        if count and strings_start >= size:
            raise ArtifactError(f"string pool data starts at {strings_start}, past its {size} bytes",
                                member=member)
        self._strings = offset + strings_start
        self._pool_end = pool_end
        self._member = member
        # Offsets may share bytes: many indexes naming one long string would decode it again and
        # again. Real pools decode to about their own size; a few times that is plenty.
        self._budget = 4 * size + (1 << 20)

    def __len__(self) -> int:
        return self._count

    def get(self, index: int) -> str | None:
        if index >= self._count or index < 0:
            return None
        try:
            return self._cache[index]
        except KeyError:
            pass
        value = self._decode(index)
        if value is not None:
            self._budget -= len(value)
            if self._budget < 0:
                raise ArtifactError("string pool decodes to far more text than it holds (overlapping "
                                    "strings)", member=self._member)
        self._cache[index] = value
        return value

    def _decode(self, index: int) -> str | None:
        data = self._data
        pos = self._strings + _U32.unpack_from(data, self._offsets + 4 * index)[0]
        end = self._pool_end
        if self._utf8:
            if pos + 2 > end:
                return None
            n = data[pos]
            pos += 1
            if n & 0x80:
                pos += 1  # two-byte UTF-16 length; the UTF-8 byte length that follows is what counts
            if pos + 1 > end:
                return None
            n = data[pos]
            pos += 1
            if n & 0x80:
                if pos + 1 > end:
                    return None
                n = ((n & 0x7F) << 8) | data[pos]
                pos += 1
            if pos + n >= end or data[pos + n] != 0:
                return None
            return data[pos : pos + n].decode("utf-8", "replace")
        if pos + 2 > end:
            return None
        n = _U16.unpack_from(data, pos)[0]
        pos += 2
        if n & 0x8000:
            if pos + 2 > end:
                return None
            n = ((n & 0x7FFF) << 16) | _U16.unpack_from(data, pos)[0]
            pos += 2
        stop = pos + 2 * n
        if stop + 2 > end or data[stop] or data[stop + 1]:
            return None
        return data[pos:stop].decode("utf-16-le", "replace")


class XmlAttribute(NamedTuple):
    """One attribute as stored: names and the raw string resolved, the typed value left as typed."""

    namespace: str | None  # the namespace URI
    name: str | None
    resource_id: int | None  # from the resource map; the platform matches attributes by this
    raw: str | None  # the string the developer wrote, when aapt kept it
    type: int
    data: int
    string: str | None = None  # the pool string a T_STRING value points to


class XmlElement:
    """One element; ``children`` in document order (filled in as the document is read)."""

    __slots__ = ("attributes", "children", "name", "namespace")

    def __init__(self, namespace: str | None, name: str | None,
                 attributes: tuple[XmlAttribute, ...]) -> None:
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
        self.children: list[XmlElement] = []

    def __repr__(self) -> str:
        return f"XmlElement({self.name!r}, {len(self.attributes)} attributes, {len(self.children)} children)"


def _complex(data: int) -> float:
    mantissa = (data >> 8) & 0xFFFFFF
    if mantissa & 0x800000:
        mantissa -= 1 << 24
    return mantissa * _RADIX[(data >> 4) & 3]


def format_value(vtype: int, data: int) -> str:
    """The text form of a non-string ``Res_value``, as androguard and ``aapt2 dump`` spell most types."""
    android = "android:" if data >> 24 == 1 else ""
    if vtype == T_ATTRIBUTE:
        return f"?{android}{data:08X}"
    if vtype == T_REFERENCE:
        return f"@{android}{data:08X}"
    if vtype == T_FLOAT:
        return f"{struct.unpack('<f', _U32.pack(data))[0]:f}"
    if vtype == T_INT_HEX:
        return f"0x{data:08X}"
    if vtype == T_INT_BOOLEAN:
        return "false" if data == 0 else "true"
    if vtype == T_DIMENSION:
        unit = data & 0xF
        return f"{_complex(data):f}{_DIMENSION_UNITS[unit] if unit < 6 else ''}"
    if vtype == T_FRACTION:
        unit = data & 0xF
        return f"{_complex(data) * 100:f}{_FRACTION_UNITS[unit] if unit < 2 else ''}"
    if _T_FIRST_COLOR <= vtype <= _T_LAST_COLOR:
        return f"#{data:08X}"
    if T_INT_DEC <= vtype <= _T_LAST_INT:
        return str(data - (1 << 32) if data & 0x80000000 else data)
    return f"<0x{data:X}, type 0x{vtype:02X}>"


class _Doc:
    """The chunks before the first element: the string pool and the resource map."""

    def __init__(self, data: bytes, member: str) -> None:
        self.data = data
        self.member = member
        self.pool: StringPool | None = None
        self.map_start = self.map_count = 0

    def string(self, index: int) -> str | None:
        if index == _NO_INDEX or self.pool is None:
            return None
        return self.pool.get(index)

    def resource_id(self, index: int) -> int | None:
        if index >= self.map_count:
            return None
        return int(_U32.unpack_from(self.data, self.map_start + 4 * index)[0])

    def attributes(self, offset: int, header_size: int, size: int) -> tuple[XmlAttribute, ...]:
        data, member = self.data, self.member
        ext = offset + header_size
        if size - header_size < _ATTR_EXT.size:
            raise ArtifactError(f"element at {offset} is {size} bytes, too small", member=member)
        _, _, start, stride, count, _, _, _ = _ATTR_EXT.unpack_from(data, ext)
        if count and (stride < _ATTR.size or start + stride * count > size - header_size):
            raise ArtifactError(
                f"element at {offset}: {count} attributes of {stride} bytes do not fit its {size} bytes",
                member=member)
        out = []
        pos = ext + start
        for _ in range(count):
            ns, name, raw, _, _, vtype, value = _ATTR.unpack_from(data, pos)
            pos += stride
            out.append(XmlAttribute(
                namespace=self.string(ns), name=self.string(name), resource_id=self.resource_id(name),
                raw=self.string(raw), type=vtype, data=value,
                string=self.string(value) if vtype == T_STRING else None,
            ))
        return tuple(out)


def read_xml(data: bytes, *, member: str = "AndroidManifest.xml") -> XmlElement:
    """The root element of an Android binary XML document; ArtifactError if it is not one."""
    if len(data) < 8:
        raise ArtifactError(f"not Android binary XML ({len(data)} bytes)", member=member)
    # The platform does not check the first chunk's type (tampered APKs zero it); only its sizes.
    _, header_size, size = _CHUNK.unpack_from(data, 0)
    if header_size < 8 or header_size > size or size > len(data):
        raise ArtifactError(
            f"corrupt binary XML (header size {header_size}, size {size}, {len(data)} bytes of data)",
            member=member)
    end = size
    doc = _Doc(data, member)
    pos = header_size
    root: XmlElement | None = None
    stack: list[XmlElement] = []
    # Android stops at the first node that does not validate (BAD_DOCUMENT) and keeps what it read;
    # before the first element, a bad chunk makes the whole document unreadable.
    while pos + 8 <= end:
        try:
            ctype, header_size, size = chunk_header(data, pos, end, "binary XML", member)
        except ArtifactError:
            if root is None:
                raise
            break
        if ctype == RES_STRING_POOL_TYPE:
            if doc.pool is None:
                doc.pool = StringPool(data, pos, end, member)
        elif ctype == _XML_RESOURCE_MAP:
            doc.map_start, doc.map_count = pos + header_size, (size - header_size) // 4
        elif ctype == _XML_START_ELEMENT:
            charge("XML elements")
            if header_size < 16:
                raise ArtifactError(f"element node at {pos} has a {header_size}-byte header", member=member)
            ns, name = _NS_EXT.unpack_from(data, pos + header_size) if size - header_size >= 8 else (0, 0)
            element = XmlElement(doc.string(ns), doc.string(name), doc.attributes(pos, header_size, size))
            if stack:
                if len(stack) >= MAX_DEPTH:
                    raise ArtifactError(f"elements nest deeper than {MAX_DEPTH} levels", member=member)
                stack[-1].children.append(element)
                stack.append(element)
            elif root is None:
                root = element
                stack.append(element)
            # A second top-level element is not part of the document Android reads: skip its subtree.
        elif ctype == _XML_END_ELEMENT and stack:
            stack.pop()
        pos += size
    if root is None:
        raise ArtifactError("binary XML holds no element", member=member)
    return root
