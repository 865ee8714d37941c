"""Builders of small Android binary structures for tests: string pools, resource tables, XML chunks.

Layouts are ResourceTypes.h's. The tables built here are checked against androguard (the oracle)
before anything is asserted of our reader; nothing here decides what a value should decode to.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SPARSE, OFFSET16 = 0x01, 0x02
T_REFERENCE, T_STRING, T_INT_BOOLEAN, T_INT_DEC = 0x01, 0x03, 0x12, 0x10


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def string_pool(strings: list[str], *, utf8: bool = False) -> bytes:
    body = b""
    offsets = []
    for s in strings:
        offsets.append(len(body))
        if utf8:
            enc = s.encode("utf-8")
            body += _len8(len(s)) + _len8(len(enc)) + enc + b"\0"
        else:
            enc = s.encode("utf-16-le")
            n = len(enc) // 2
            body += (struct.pack("<H", n) if n < 0x8000 else struct.pack("<HH", 0x8000 | n >> 16, n & 0xFFFF))
            body += enc + b"\0\0"
    body = _pad4(body)
    start = 28 + 4 * len(strings)
    header = struct.pack("<HHIIIIII", 1, 28, start + len(body), len(strings), 0,
                         0x100 if utf8 else 0, start, 0)
    return header + struct.pack(f"<{len(strings)}I", *offsets) + body


def _len8(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x80 | n >> 8, n & 0xFF])


def pack_code(code: str, base: str) -> bytes:
    """A language or region as ResTable_config stores it (three letters packed in 15 bits)."""
    if len(code) == 3:
        a, b, c = (ord(ch) - ord(base) for ch in code)
        return bytes([0x80 | (c << 2) | (b >> 3), ((b & 0x7) << 5) | a])
    return code.encode("ascii").ljust(2, b"\0")


@dataclass(frozen=True)
class Cfg:
    language: str = ""
    region: str = ""
    script: str = ""
    density: int = 0
    sdk: int = 0

    def pack(self) -> bytes:
        raw = bytearray(64)
        struct.pack_into("<I", raw, 0, 64)
        raw[8:10] = pack_code(self.language, "a") if self.language else b"\0\0"
        raw[10:12] = pack_code(self.region, "0") if self.region else b"\0\0"
        struct.pack_into("<H", raw, 14, self.density)
        struct.pack_into("<H", raw, 24, self.sdk)
        raw[36:40] = self.script.encode("ascii").ljust(4, b"\0")
        return bytes(raw)


@dataclass
class Table:
    """``types[type name][config] = [(key, value type, data) or None per entry index]``."""

    strings: list[str]
    keys: list[str]
    types: dict[str, dict[Cfg, list[tuple[int, int, int] | None]]] = field(default_factory=dict)
    package_id: int = 0x7F

    def build(self, *, flags: int = 0, compact: bool = False) -> bytes:
        type_names = list(self.types)
        parts = []  # joined once: tables of tens of thousands of chunks are built too
        for type_index, name in enumerate(type_names, start=1):
            configs = self.types[name]
            count = max(len(v) for v in configs.values())
            parts.append(struct.pack("<HHIBBHI", 0x0202, 16, 16 + 4 * count, type_index, 0, 0, count))
            parts.append(b"\0" * (4 * count))
            for cfg, entries in configs.items():
                parts.append(_type_chunk(type_index, cfg, entries, flags, compact))
        chunks = b"".join(parts)
        type_pool, key_pool = string_pool(type_names), string_pool(self.keys)
        header_size = 288
        name = "com.example".encode("utf-16-le").ljust(256, b"\0")
        package_body = type_pool + key_pool + chunks
        package = struct.pack("<HHII", 0x0200, header_size, header_size + len(package_body), self.package_id)
        package += name + struct.pack("<IIIII", header_size, len(type_names), header_size + len(type_pool),
                                      len(self.keys), 0)
        package += package_body
        pool = string_pool(self.strings)
        return struct.pack("<HHII", 0x0002, 12, 12 + len(pool) + len(package), 1) + pool + package


def _type_chunk(type_id: int, cfg: Cfg, entries: list[tuple[int, int, int] | None], flags: int,
                compact: bool) -> bytes:
    body = b""
    offsets: list[int | None] = []
    for entry in entries:
        if entry is None:
            offsets.append(None)
            continue
        offsets.append(len(body))
        key, vtype, data = entry
        if compact:
            body += struct.pack("<HHI", key, 0x0008 | vtype << 8, data)
        else:
            body += struct.pack("<HHI", 8, 0, key) + struct.pack("<HBBI", 8, 0, vtype, data)
    if flags & SPARSE:
        present = [(i, o) for i, o in enumerate(offsets) if o is not None]
        index = b"".join(struct.pack("<HH", i, o // 4) for i, o in present)
        count = len(present)
    elif flags & OFFSET16:
        index = _pad4(b"".join(struct.pack("<H", 0xFFFF if o is None else o // 4) for o in offsets))
        count = len(offsets)
    else:
        index = b"".join(struct.pack("<I", 0xFFFFFFFF if o is None else o) for o in offsets)
        count = len(offsets)
    header_size = 20 + 64
    start = header_size + len(index)
    header = struct.pack("<HHIBBHII", 0x0201, header_size, start + len(body), type_id, flags, 0, count, start)
    return header + cfg.pack() + index + body


def xml_chunk(ctype: int, body: bytes, header_size: int = 16) -> bytes:
    """An XML node chunk: line number 1, no comment, then ``body`` (the node's extension)."""
    return struct.pack("<HHIII", ctype, header_size, header_size + len(body), 1, 0xFFFFFFFF) + body


def start_element(name: int, attrs: list[tuple[int, int, int, int, int]] = ()) -> bytes:  # type: ignore[assignment]
    """``attrs``: (namespace, name, raw string, value type, data) string indexes and values."""
    ext = struct.pack("<IIHHHHHH", 0xFFFFFFFF, name, 20, 20, len(attrs), 0, 0, 0)
    for ns, attr_name, raw, vtype, data in attrs:
        ext += struct.pack("<IIIHBBI", ns, attr_name, raw, 8, 0, vtype, data)
    return xml_chunk(0x0102, ext)


def end_element(name: int) -> bytes:
    return xml_chunk(0x0103, struct.pack("<II", 0xFFFFFFFF, name))


def document(pool: bytes, resource_ids: list[int], nodes: bytes) -> bytes:
    res_map = struct.pack("<HHI", 0x0180, 8, 8 + 4 * len(resource_ids)) + struct.pack(
        f"<{len(resource_ids)}I", *resource_ids)
    body = pool + res_map + nodes
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


ANDROID_NS = "http://schemas.android.com/apk/res/android"


def deep_link_manifest(schemes: int, hosts: int, paths: int, *, permissions: int = 0) -> bytes:
    """A binary manifest whose one browsable filter lists ``schemes`` schemes, ``hosts`` hosts and
    ``paths`` paths in separate ``<data>`` elements (Android matches every combination: a product
    of them), and ``permissions`` uses-permission elements, each name twice in a row
    (``android.permission.P0``, ``P0``, ``P1``, ``P1``...)."""
    fixed = ["manifest", "application", "activity", "intent-filter", "action", "category", "data",
             ANDROID_NS, "name", "scheme", "host", "path", "android.intent.action.VIEW",
             "android.intent.category.BROWSABLE", ".Main", "package", "com.example.links",
             "uses-permission"]
    values = ([f"s{i}" for i in range(schemes)] + [f"h{i}.example" for i in range(hosts)]
              + [f"/p{i}" for i in range(paths)])
    names = [f"android.permission.P{i}" for i in range((permissions + 1) // 2)]
    strings = fixed + values + names
    index = {s: i for i, s in enumerate(fixed)}
    ns, none = index[ANDROID_NS], 0xFFFFFFFF

    def attr(name: str, value: int, namespace: int = ns) -> tuple[int, int, int, int, int]:
        return (namespace, index[name], value, T_STRING, value)

    def leaf(tag: str, *attrs: tuple[int, int, int, int, int]) -> bytes:
        return start_element(index[tag], list(attrs)) + end_element(index[tag])

    datas = b""
    for n in range(len(values)):
        kind = "scheme" if n < schemes else "host" if n < schemes + hosts else "path"
        datas += leaf("data", attr(kind, len(fixed) + n))
    first_name = len(fixed) + len(values)
    nodes = (start_element(index["manifest"], [attr("package", index["com.example.links"], none)])
             + b"".join(leaf("uses-permission", attr("name", first_name + i // 2))
                        for i in range(permissions))
             + start_element(index["application"])
             + start_element(index["activity"], [attr("name", index[".Main"])])
             + start_element(index["intent-filter"])
             + leaf("action", attr("name", index["android.intent.action.VIEW"]))
             + leaf("category", attr("name", index["android.intent.category.BROWSABLE"]))
             + datas
             + end_element(index["intent-filter"]) + end_element(index["activity"])
             + end_element(index["application"]) + end_element(index["manifest"]))
    return document(string_pool(strings), [], nodes)
