"""aapt2's protocol buffers inside an App Bundle: the proto XML manifest (``XmlNode``), the
resource table (``resources.pb``, ``ResourceTable``) and ``BundleConfig.pb``.

A small wire-format reader rather than the ``protobuf`` runtime and generated code, because:

- the id fields changed shape between aapt2 versions (a plain ``uint32`` in the first,
  proto2 schema; a wrapped ``PackageId``/``TypeId``/``EntryId`` message since 2017). On the wire
  the two differ only by wire type (varint vs length-delimited), which this reader tells apart in
  one place (:func:`_id`); the runtime would file the other shape under unknown fields;
- a resource table holds thousands of entries and we need three or four of them: the table is
  indexed lazily (packages and types up front, a type's entries the first time it is asked for),
  values are decoded only for the entries looked up;
- no import of the runtime (~35 ms) and no generated module to keep in step with aapt2.

Field numbers are those of aapt2's current ``frameworks/base/tools/aapt2/Resources.proto`` and
``Configuration.proto``; they are written next to each use. Malformed input (a length past the
end, a varint over 10 bytes, a reserved wire type, invalid UTF-8, absurd nesting) raises
:class:`ArtifactError` without a member; the caller names the member.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from inspector.errors import ArtifactError
from inspector.limits import MAX_PROTOBUF_DEPTH, charge

__all__ = [
    "Config",
    "ConfigValue",
    "Entry",
    "FileRef",
    "Item",
    "Primitive",
    "Reference",
    "ResourceTable",
    "XmlAttribute",
    "XmlElement",
    "bundletool_version",
    "parse_xml",
]

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
#: Manifests nest a handful of levels; this only stops a crafted file from exhausting the stack.
_MAX_DEPTH = MAX_PROTOBUF_DEPTH


# -- wire format ---------------------------------------------------------------------------------
def _bad(problem: str) -> ArtifactError:
    return ArtifactError(f"malformed protocol buffer: {problem}")


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise _bad(f"varint at byte {pos} runs past the end of its message (byte {end})")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise _bad(f"varint ending at byte {pos} is longer than 10 bytes")


def _spans(buf: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field number, wire type, a, b)`` for each field of the message in ``buf[pos:end]``.

    varint and fixed fields: ``a`` is the value, ``b`` is 0; length-delimited fields: the payload
    is ``buf[a:b]``. Groups (wire types 3 and 4, unused by aapt2) and types 6-7 are errors.
    """
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _bad(f"field number 0 at byte {pos}")
        if wire == _VARINT:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, 0
        elif wire == _LEN:
            length, pos = _varint(buf, pos, end)
            stop = pos + length
            if stop > end:
                raise _bad(
                    f"field {number} at byte {pos} claims {length} bytes, past the end of its "
                    f"message (byte {end}): truncated or corrupt"
                )
            yield number, wire, pos, stop
            pos = stop
        elif wire == _I32:
            if pos + 4 > end:
                raise _bad(f"fixed32 field {number} at byte {pos} runs past the end")
            yield number, wire, int.from_bytes(buf[pos:pos + 4], "little"), 0
            pos += 4
        elif wire == _I64:
            if pos + 8 > end:
                raise _bad(f"fixed64 field {number} at byte {pos} runs past the end")
            yield number, wire, int.from_bytes(buf[pos:pos + 8], "little"), 0
            pos += 8
        else:
            raise _bad(f"field {number} at byte {pos} has wire type {wire}, which is not valid here")


def _str(buf: bytes, a: int, b: int) -> str:
    try:
        return buf[a:b].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(f"string at byte {a} is not valid UTF-8") from exc


def _id(buf: bytes, wire: int, a: int, b: int) -> int | None:
    """An id field in either shape: a plain ``uint32`` (old schema) or a message whose field 1
    holds it (``PackageId``/``TypeId``/``EntryId``; an empty message means id 0)."""
    if wire == _VARINT:
        return a
    if wire == _LEN:
        value = 0
        for number, w, x, _ in _spans(buf, a, b):
            if number == 1 and w == _VARINT:
                value = x
        return value
    return None


def _int32(value: int) -> int:
    # int32 is sent as a sign-extended 64-bit varint.
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


# -- values ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reference:
    """``Reference``: a resource id (0xPPTTEEEE) and/or a name ``type/entry`` (``package:`` maybe)."""

    id: int
    name: str
    attribute: bool = False  # "?attr/..." rather than "@type/..."


@dataclass(frozen=True, slots=True)
class Primitive:
    """``Primitive``: ``kind`` is the oneof member's name (``int_decimal``, ``boolean``...)."""

    kind: str
    value: int | float | bool | None


@dataclass(frozen=True, slots=True)
class FileRef:
    """``FileReference``: a path relative to the module (``res/mipmap-xxhdpi-v4/ic.png``)."""

    path: str
    type: int = 0  # 1 PNG, 2 binary XML, 3 proto XML


#: What an ``Item`` decodes to: a string (``String``, ``RawString``, ``StyledString`` text), a
#: reference, a primitive, a file, or None for an ``Id`` placeholder or an empty item.
Item = Reference | Primitive | FileRef | str | None

# Primitive's oneof (Resources.proto): field -> (name, how the payload is encoded)
_PRIMITIVES = {
    1: "null", 2: "empty", 3: "float", 4: "dimension_deprecated", 5: "fraction_deprecated",
    6: "int_decimal", 7: "int_hexadecimal", 8: "boolean", 9: "color_argb8", 10: "color_rgb8",
    11: "color_argb4", 12: "color_rgb4", 13: "dimension", 14: "fraction",
}


def _reference(buf: bytes, a: int, b: int) -> Reference:
    # Reference: type = 1 (0 REFERENCE, 1 ATTRIBUTE), id = 2, name = 3
    rid, name, kind = 0, "", 0
    for number, wire, x, y in _spans(buf, a, b):
        if number == 1 and wire == _VARINT:
            kind = x
        elif number == 2 and wire == _VARINT:
            rid = x & 0xFFFFFFFF
        elif number == 3 and wire == _LEN:
            name = _str(buf, x, y)
    return Reference(rid, name, attribute=kind == 1)


def _primitive(buf: bytes, a: int, b: int) -> Primitive | None:
    result: Primitive | None = None
    for number, wire, x, _ in _spans(buf, a, b):
        kind = _PRIMITIVES.get(number)
        if kind is None:
            continue
        value: int | float | bool | None
        if kind in ("null", "empty"):
            value = None
        elif wire == _I32 and kind in ("float", "dimension_deprecated", "fraction_deprecated"):
            value = struct.unpack("<f", x.to_bytes(4, "little"))[0]
        elif wire != _VARINT:
            continue
        elif kind == "boolean":
            value = x != 0
        elif kind == "int_decimal":
            value = _int32(x)
        else:
            value = x & 0xFFFFFFFF
        result = Primitive(kind, value)  # a oneof: the last member on the wire wins
    return result


def _item(buf: bytes, a: int, b: int) -> Item:
    # Item oneof: ref = 1, str = 2, raw_str = 3, styled_str = 4, file = 5, id = 6, prim = 7
    result: Item = None
    for number, wire, x, y in _spans(buf, a, b):
        if wire != _LEN:
            continue  # flag_status (8) and friends
        if number == 1:
            result = _reference(buf, x, y)
        elif number in (2, 3, 4):
            text = ""
            for n, w, s, t in _spans(buf, x, y):  # String/RawString/StyledString: value = 1
                if n == 1 and w == _LEN:
                    text = _str(buf, s, t)
            result = text
        elif number == 5:
            path, ftype = "", 0
            for n, w, s, t in _spans(buf, x, y):  # FileReference: path = 1, type = 2
                if n == 1 and w == _LEN:
                    path = _str(buf, s, t)
                elif n == 2 and w == _VARINT:
                    ftype = s
            result = FileRef(path, ftype)
        elif number == 6:
            result = None
        elif number == 7:
            result = _primitive(buf, x, y)
    return result


# -- XML -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class XmlAttribute:
    """``XmlAttribute``: the source text ``value`` and, when aapt2 compiled it, ``item``."""

    namespace_uri: str
    name: str
    value: str
    resource_id: int = 0
    item: Item = None


@dataclass(frozen=True, slots=True)
class XmlElement:
    """``XmlElement``, without its text nodes (a manifest's facts are all in attributes)."""

    namespace_uri: str
    name: str
    attributes: tuple[XmlAttribute, ...]
    children: tuple[XmlElement, ...]
    namespaces: tuple[tuple[str, str], ...] = ()  # (prefix, uri) declared here


def _attribute(buf: bytes, a: int, b: int) -> XmlAttribute:
    # XmlAttribute: namespace_uri = 1, name = 2, value = 3, source = 4, resource_id = 5,
    # compiled_item = 6
    ns = name = value = ""
    rid = 0
    item: Item = None
    for number, wire, x, y in _spans(buf, a, b):
        if wire == _LEN:
            if number == 1:
                ns = _str(buf, x, y)
            elif number == 2:
                name = _str(buf, x, y)
            elif number == 3:
                value = _str(buf, x, y)
            elif number == 6:
                item = _item(buf, x, y)
        elif number == 5 and wire == _VARINT:
            rid = x & 0xFFFFFFFF
    return XmlAttribute(ns, name, value, rid, item)


def _element(buf: bytes, a: int, b: int, depth: int) -> XmlElement:
    if depth > _MAX_DEPTH:
        raise _bad(f"XML elements nested deeper than {_MAX_DEPTH} levels")
    charge("XML elements")
    # XmlElement: namespace_declaration = 1, namespace_uri = 2, name = 3, attribute = 4, child = 5
    ns = name = ""
    attrs: list[XmlAttribute] = []
    children: list[XmlElement] = []
    namespaces: list[tuple[str, str]] = []
    for number, wire, x, y in _spans(buf, a, b):
        if wire != _LEN:
            continue
        if number == 1:
            prefix = uri = ""
            for n, w, s, t in _spans(buf, x, y):  # XmlNamespace: prefix = 1, uri = 2
                if w == _LEN and n == 1:
                    prefix = _str(buf, s, t)
                elif w == _LEN and n == 2:
                    uri = _str(buf, s, t)
            namespaces.append((prefix, uri))
        elif number == 2:
            ns = _str(buf, x, y)
        elif number == 3:
            name = _str(buf, x, y)
        elif number == 4:
            attrs.append(_attribute(buf, x, y))
        elif number == 5:
            child = _node(buf, x, y, depth + 1)
            if child is not None:
                children.append(child)
    return XmlElement(ns, name, tuple(attrs), tuple(children), tuple(namespaces))


def _node(buf: bytes, a: int, b: int, depth: int) -> XmlElement | None:
    # XmlNode oneof: element = 1, text = 2; source = 3
    element = None
    for number, wire, x, y in _spans(buf, a, b):
        if number == 1 and wire == _LEN:
            element = _element(buf, x, y, depth)
        elif number == 2 and wire == _LEN:
            _str(buf, x, y)  # validated, not kept
    return element


def parse_xml(data: bytes) -> XmlElement:
    """The root element of a proto XML document (``XmlNode``), e.g. a module's manifest."""
    root = _node(data, 0, len(data), 0)
    if root is None:
        raise _bad("XmlNode has no root element" if data else "empty XmlNode")
    return root


# -- resource table --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Config:
    """The qualifiers of one value (``Configuration``). ``other`` is true when any qualifier
    besides locale, density, SDK version and product is set (night, land, sw600dp...)."""

    locale: str = ""
    density: int = 0
    sdk_version: int = 0
    product: str = ""
    other: bool = False

    @property
    def is_default(self) -> bool:
        return not (self.locale or self.density or self.sdk_version or self.other)


@dataclass(frozen=True, slots=True)
class ConfigValue:
    config: Config
    item: Item  # None for a compound value (style, array, plural...) or an Id


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource: its full id, ``type``/``name`` and its value per configuration."""

    id: int
    type: str
    name: str
    values: tuple[ConfigValue, ...]


def _config(buf: bytes, a: int, b: int) -> Config:
    # Configuration: locale = 3, density = 18, sdk_version = 24, product = 25; all else "other"
    locale = product = ""
    density = sdk = 0
    other = False
    for number, wire, x, y in _spans(buf, a, b):
        if number == 3 and wire == _LEN:
            locale = _str(buf, x, y)
        elif number == 18 and wire == _VARINT:
            density = x
        elif number == 24 and wire == _VARINT:
            sdk = x
        elif number == 25 and wire == _LEN:
            product = _str(buf, x, y)
        elif (wire == _VARINT and x) or (wire == _LEN and y > x):
            other = True
    return Config(locale, density, sdk, product, other)


def _config_value(buf: bytes, a: int, b: int) -> ConfigValue:
    # ConfigValue: config = 1, value = 2; Value: item = 4, compound_value = 5
    config = Config()
    item: Item = None
    for number, wire, x, y in _spans(buf, a, b):
        if wire != _LEN:
            continue
        if number == 1:
            config = _config(buf, x, y)
        elif number == 2:
            for n, w, s, t in _spans(buf, x, y):
                if n == 4 and w == _LEN:
                    item = _item(buf, s, t)
    return ConfigValue(config, item)


@dataclass(slots=True)
class _Type:
    id: int
    name: str
    span: tuple[int, int]
    # entry id -> (name, span), filled on first use
    entries: dict[int, tuple[str, tuple[int, int]]] | None = None
    by_name: dict[str, int] | None = None


class ResourceTable:
    """A ``ResourceTable`` read lazily: packages and types are indexed when it is opened, a
    type's entries the first time one of them is asked for, values only for those asked for."""

    def __init__(self, data: bytes) -> None:
        self._buf = data
        self.packages: dict[int, str] = {}
        self._types: dict[tuple[int, int], _Type] = {}
        self._type_names: dict[tuple[int, str], int] = {}
        self._decoded: dict[int, Entry | None] = {}
        # ResourceTable: source_pool = 1, package = 2 (overlayable, tool_fingerprint... skipped)
        for number, wire, a, b in _spans(data, 0, len(data)):
            if number == 2 and wire == _LEN:
                self._package(a, b)

    def _package(self, a: int, b: int) -> None:
        # Package: package_id = 1, package_name = 2, type = 3
        buf = self._buf
        pid: int | None = None
        name = ""
        types: list[tuple[int, int]] = []
        for number, wire, x, y in _spans(buf, a, b):
            if number == 1:
                pid = _id(buf, wire, x, y)
            elif number == 2 and wire == _LEN:
                name = _str(buf, x, y)
            elif number == 3 and wire == _LEN:
                types.append((x, y))
        if pid is None:
            return  # no id assigned: nothing can refer to it by id
        self.packages.setdefault(pid, name)
        for x, y in types:
            # Type: type_id = 1, name = 2, entry = 3
            tid: int | None = None
            tname = ""
            for number, wire, s, t in _spans(buf, x, y):
                if number == 1:
                    tid = _id(buf, wire, s, t)
                elif number == 2 and wire == _LEN:
                    tname = _str(buf, s, t)
            if tid is not None and (pid, tid) not in self._types:
                self._types[(pid, tid)] = _Type(tid, tname, (x, y))
                self._type_names.setdefault((pid, tname), tid)

    def _index(self, t: _Type) -> None:
        buf = self._buf
        entries: dict[int, tuple[str, tuple[int, int]]] = {}
        by_name: dict[str, int] = {}
        for number, wire, x, y in _spans(buf, *t.span):
            if number != 3 or wire != _LEN:
                continue
            # Entry: entry_id = 1, name = 2 (then visibility, ..., config_value = 6)
            eid: int | None = None
            ename = ""
            for n, w, s, u in _spans(buf, x, y):
                if n == 1:
                    eid = _id(buf, w, s, u)
                elif n == 2 and w == _LEN:
                    ename = _str(buf, s, u)
                if eid is not None and ename:
                    break
            if eid is not None:
                entries.setdefault(eid, (ename, (x, y)))
                by_name.setdefault(ename, eid)
        t.entries, t.by_name = entries, by_name

    def _entry(self, pid: int, t: _Type, eid: int) -> Entry | None:
        res_id = (pid << 24) | (t.id << 16) | eid
        if res_id in self._decoded:  # a resource named many times is decoded once
            return self._decoded[res_id]
        if t.entries is None:
            self._index(t)
        assert t.entries is not None
        found = t.entries.get(eid)
        entry = None
        if found is not None:
            name, (a, b) = found
            buf = self._buf
            values = tuple(
                _config_value(buf, x, y)
                for number, wire, x, y in _spans(buf, a, b)
                if number == 6 and wire == _LEN
            )
            charge("resource entries", 1 + len(values))
            entry = Entry(res_id, t.name, name, values)
        self._decoded[res_id] = entry
        return entry

    def entry(self, res_id: int) -> Entry | None:
        """The entry with id ``0xPPTTEEEE``, or None if the table has none."""
        pid, tid, eid = res_id >> 24, (res_id >> 16) & 0xFF, res_id & 0xFFFF
        t = self._types.get((pid, tid))
        return None if t is None else self._entry(pid, t, eid)

    def find(self, type_name: str, name: str, package_id: int | None = None) -> Entry | None:
        """The entry ``type_name/name`` (in ``package_id``, or the first package that has it)."""
        for (pid, tname), tid in self._type_names.items():
            if tname != type_name or (package_id is not None and pid != package_id):
                continue
            t = self._types[(pid, tid)]
            if t.by_name is None:
                self._index(t)
            assert t.by_name is not None
            eid = t.by_name.get(name)
            if eid is not None:
                return self._entry(pid, t, eid)
        return None


# -- BundleConfig.pb ------------------------------------------------------------------------------
def bundletool_version(data: bytes) -> str | None:
    """``BundleConfig.bundletool.version`` (bundletool = 1, Bundletool.version = 2), if set."""
    version = None
    for number, wire, a, b in _spans(data, 0, len(data)):
        if number == 1 and wire == _LEN:
            for n, w, x, y in _spans(data, a, b):
                if n == 2 and w == _LEN:
                    version = _str(data, x, y)
    return version
