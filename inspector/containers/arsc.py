"""The resource table (``resources.arsc``), read lazily: only the entries asked for are decoded.

Opening a table walks its chunk headers once (global string pool, packages, their type and key
pools, the offsets of every type chunk); an entry is decoded when a caller asks for its id. Layout
and checks follow the platform (``ResTable_type``, ``ResTable_entry``, ``ResTable_config`` in
frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from inspector.containers.axml import RES_STRING_POOL_TYPE, T_REFERENCE, T_STRING, StringPool, chunk_header
from inspector.containers.axml import format_value as _format_value
from inspector.densities import density_qualifier
from inspector.errors import ArtifactError
from inspector.limits import charge

__all__ = ["MEMBER", "Config", "Entry", "ResourceTable"]

MEMBER = "resources.arsc"
_TABLE_TYPE = 0x0002
_PACKAGE_TYPE, _TYPE_TYPE = 0x0200, 0x0201
_FLAG_SPARSE, _FLAG_OFFSET16 = 0x01, 0x02
_ENTRY_COMPLEX, _ENTRY_COMPACT = 0x0001, 0x0008
_NO_ENTRY = 0xFFFFFFFF
#: References between resources are a few levels deep; longer chains are cycles or hostile.
MAX_REFERENCE_DEPTH = 32
#: A resource has one value per configuration: a few hundred at most (locales x densities).
MAX_RESOLVED = 10_000
#: A real table has one type chunk per (type, configuration): a few thousand. The cap bounds the
#: work a hostile table of tiny chunks can cause within the member size limit.
MAX_CHUNKS = 65_536
_CONFIG_LEN = 64
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_TYPE_HEADER = struct.Struct("<BBHII")
_ENTRY = struct.Struct("<HHI")
_VALUE = struct.Struct("<HBBI")
_CONFIG = struct.Struct("<IHH2s2sBBHBBBBHHHHBBHHH4s8sBBH")

_ORIENTATIONS = {1: "port", 2: "land", 3: "square"}
_UI_TYPES = {2: "desk", 3: "car", 4: "television", 5: "appliance", 6: "watch", 7: "vrheadset"}
_TOUCH = {1: "notouch", 2: "stylus", 3: "finger"}
_KEYBOARDS = {1: "nokeys", 2: "qwerty", 3: "12key"}
_NAVIGATIONS = {1: "nonav", 2: "dpad", 3: "trackball", 4: "wheel"}
_SIZES = {1: "small", 2: "normal", 3: "large", 4: "xlarge"}


def _unpack_code(raw: bytes, base: str) -> str:
    """A language or region: two ASCII letters, or three letters packed in 15 bits."""
    if raw[0] & 0x80:
        b = ord(base)
        first = raw[1] & 0x1F
        second = ((raw[1] & 0xE0) >> 5) | ((raw[0] & 0x03) << 3)
        third = (raw[0] & 0x7C) >> 2
        return chr(first + b) + chr(second + b) + chr(third + b)
    return raw.rstrip(b"\0").decode("latin-1")


def _ascii(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


class Config(NamedTuple):
    """A ``ResTable_config``: the qualifiers a value applies under (all zero: the default).

    A NamedTuple rather than a frozen dataclass: as immutable, and it costs nothing at import.
    """

    mcc: int = 0
    mnc: int = 0
    language: str = ""
    region: str = ""
    orientation: int = 0
    touchscreen: int = 0
    density: int = 0
    keyboard: int = 0
    navigation: int = 0
    input_flags: int = 0
    screen_width: int = 0
    screen_height: int = 0
    sdk: int = 0
    minor_version: int = 0
    screen_layout: int = 0
    ui_mode: int = 0
    smallest_width_dp: int = 0
    width_dp: int = 0
    height_dp: int = 0
    script: str = ""
    variant: str = ""
    screen_layout2: int = 0
    color_mode: int = 0

    @classmethod
    def parse(cls, raw: bytes) -> Config:
        f = _CONFIG.unpack(raw[:_CONFIG.size].ljust(_CONFIG.size, b"\0"))
        return cls(
            mcc=f[1], mnc=f[2], language=_unpack_code(f[3], "a"), region=_unpack_code(f[4], "0"),
            orientation=f[5], touchscreen=f[6], density=f[7], keyboard=f[8], navigation=f[9],
            input_flags=f[10], screen_width=f[12], screen_height=f[13], sdk=f[14], minor_version=f[15],
            screen_layout=f[16], ui_mode=f[17], smallest_width_dp=f[18], width_dp=f[19],
            height_dp=f[20], script=_ascii(f[21]), variant=_ascii(f[22]), screen_layout2=f[23],
            color_mode=f[24],
        )

    @property
    def is_default(self) -> bool:
        return self == _DEFAULT

    @property
    def locale(self) -> str | None:
        """``language[-Script][-REGION][-variant]`` as aapt2's badging names locales, or None."""
        if not self.language and not self.region:
            return None
        return "-".join(p for p in (self.language, self.script, self.region, self.variant) if p)

    def qualifier(self) -> str:
        """The directory qualifier (``xxhdpi-v4``, ``fr-rCA``, ``anydpi-v26``), in Android's order."""
        q: list[str] = []
        if self.mcc:
            q.append(f"mcc{self.mcc}")
        if self.mnc:
            q.append(f"mnc{self.mnc}")
        if self.language or self.region:
            q.append(f"{self.language}-r{self.region}" if self.region else self.language)
        layout_dir = self.screen_layout & 0xC0
        if layout_dir:
            q.append({0x40: "ldltr", 0x80: "ldrtl"}.get(layout_dir, f"layoutDir_{layout_dir}"))
        if self.smallest_width_dp:
            q.append(f"sw{self.smallest_width_dp}dp")
        if self.width_dp:
            q.append(f"w{self.width_dp}dp")
        if self.height_dp:
            q.append(f"h{self.height_dp}dp")
        size = self.screen_layout & 0x0F
        if size:
            q.append(_SIZES.get(size, f"screenLayoutSize_{size}"))
        long = self.screen_layout & 0x30
        if long:
            q.append({0x10: "notlong", 0x20: "long"}.get(long, f"screenLayoutLong_{long}"))
        round_ = self.screen_layout2 & 0x03
        if round_:
            q.append({1: "notround", 2: "round"}.get(round_, f"screenRound_{round_}"))
        wide = self.color_mode & 0x03
        if wide:
            q.append({1: "nowidecg", 2: "widecg"}.get(wide, f"wideColorGamut_{wide}"))
        hdr = self.color_mode & 0x0C
        if hdr:
            q.append({4: "lowdr", 8: "highdr"}.get(hdr, f"hdr_{hdr}"))
        if self.orientation:
            q.append(_ORIENTATIONS.get(self.orientation, f"orientation_{self.orientation}"))
        ui_type = self.ui_mode & 0x0F
        if ui_type:
            q.append(_UI_TYPES.get(ui_type, f"uiModeType_{ui_type}"))
        night = self.ui_mode & 0x30
        if night:
            q.append({0x10: "notnight", 0x20: "night"}.get(night, f"uiModeNight_{night}"))
        if self.density:
            q.append(density_qualifier(self.density))
        if self.touchscreen:
            q.append(_TOUCH.get(self.touchscreen, f"touchscreen_{self.touchscreen}"))
        keys_hidden = self.input_flags & 0x03
        if keys_hidden:
            q.append({1: "keysexposed", 2: "keyshidden", 3: "keyssoft"}[keys_hidden])
        if self.keyboard:
            q.append(_KEYBOARDS.get(self.keyboard, f"keyboard_{self.keyboard}"))
        nav_hidden = self.input_flags & 0x0C
        if nav_hidden:
            q.append({4: "navexposed", 8: "navhidden"}.get(nav_hidden, f"inputFlagsNavHidden_{nav_hidden}"))
        if self.navigation:
            q.append(_NAVIGATIONS.get(self.navigation, f"navigation_{self.navigation}"))
        if self.screen_width or self.screen_height:
            q.append(f"{self.screen_width}x{self.screen_height}")
        if self.sdk or self.minor_version:
            q.append(f"v{self.sdk}")
            if self.minor_version:
                q.append(f".{self.minor_version}")
        return "-".join(q)


_DEFAULT = Config()


class Entry(NamedTuple):
    """One value of a resource under one configuration; ``complex`` entries (styles, arrays) carry none."""

    config: Config
    key: str | None
    type: int
    data: int
    complex: bool = False


class _Package(NamedTuple):
    id: int
    type_names: StringPool
    keys: StringPool
    type_id_offset: int
    types: dict[int, list[int]]  # type id -> offsets of its ResTable_type chunks


class ResourceTable:
    """A resource table over the member's bytes; construction reads chunk headers only."""

    def __init__(self, data: bytes, *, member: str = MEMBER) -> None:
        self._data = data
        self.member = member
        if len(data) < 12:
            raise ArtifactError(f"resource table of {len(data)} bytes", member=member)
        ctype, header_size, size = chunk_header(data, 0, len(data), "resource table", member)
        if ctype != _TABLE_TYPE or header_size < 12:
            raise ArtifactError(f"not a resource table (chunk type 0x{ctype:04x})", member=member)
        self.strings: StringPool | None = None
        self._packages: dict[int, _Package] = {}
        self._configs: dict[int, Config] = {}
        self._entries: dict[int, list[Entry]] = {}
        self._chunks = 0
        pos = header_size
        while pos + 8 <= size:
            self._count_chunk()
            ctype, _, csize = chunk_header(data, pos, size, "resource table", member)
            if ctype == RES_STRING_POOL_TYPE and self.strings is None:
                self.strings = StringPool(data, pos, size, member)
            elif ctype == _PACKAGE_TYPE:
                package = self._package(pos, csize)
                self._packages.setdefault(package.id, package)
            pos += csize

    def _count_chunk(self) -> None:
        self._chunks += 1
        if self._chunks > MAX_CHUNKS:
            raise ArtifactError(f"more than {MAX_CHUNKS} chunks", member=self.member)

    def _package(self, start: int, size: int) -> _Package:
        data, member = self._data, self.member
        header_size = _U16.unpack_from(data, start + 2)[0]
        if header_size < 284:
            raise ArtifactError(f"package header is {header_size} bytes, under 284", member=member)
        pkg_id = _U32.unpack_from(data, start + 8)[0]
        type_strings, _, key_strings = struct.unpack_from("<III", data, start + 268)
        type_id_offset = _U32.unpack_from(data, start + 284)[0] if header_size >= 288 else 0
        end = start + size
        for offset in (type_strings, key_strings):
            if offset < header_size or offset >= size:
                raise ArtifactError(f"package 0x{pkg_id:02x}: string pool offset {offset} is outside it",
                                    member=member)
        package = _Package(pkg_id, StringPool(data, start + type_strings, end, member),
                           StringPool(data, start + key_strings, end, member), type_id_offset, {})
        pos = start + header_size
        while pos + 8 <= end:
            self._count_chunk()
            ctype, chead, csize = chunk_header(data, pos, end, f"package 0x{pkg_id:02x}", member)
            if ctype == _TYPE_TYPE:
                self._check_type(pos, chead, csize)
                package.types.setdefault(data[pos + 8], []).append(pos)
            pos += csize
        return package

    def _check_type(self, pos: int, header_size: int, size: int) -> None:
        if header_size < 20 + 4:
            raise ArtifactError(f"type chunk at {pos} has a {header_size}-byte header", member=self.member)
        _, flags, _, count, entries_start = _TYPE_HEADER.unpack_from(self._data, pos + 8)
        width = 2 if flags & _FLAG_OFFSET16 and not flags & _FLAG_SPARSE else 4
        if count * width > size - header_size or entries_start > size:
            raise ArtifactError(
                f"type chunk at {pos} claims {count} entries (data at {entries_start}) in {size} bytes",
                member=self.member)

    def _config(self, pos: int) -> Config:
        config = self._configs.get(pos)
        if config is None:
            header_size = _U16.unpack_from(self._data, pos + 2)[0]
            declared = _U32.unpack_from(self._data, pos + 20)[0]
            length = min(declared, header_size - 20, _CONFIG_LEN)
            config = Config.parse(self._data[pos + 20 : pos + 20 + length])
            self._configs[pos] = config
        return config

    def _entry_offset(self, pos: int, index: int) -> int | None:
        """The entry's offset from the type chunk's entries, or None if the chunk lacks it."""
        data = self._data
        header_size = _U16.unpack_from(data, pos + 2)[0]
        _, flags, _, count, _ = _TYPE_HEADER.unpack_from(data, pos + 8)
        base = pos + header_size
        if flags & _FLAG_SPARSE:
            lo, hi = 0, count
            while lo < hi:  # sparse entries are sorted by index
                mid = (lo + hi) // 2
                idx, off = struct.unpack_from("<HH", data, base + 4 * mid)
                if idx == index:
                    return int(off) * 4
                if idx < index:
                    lo = mid + 1
                else:
                    hi = mid
            return None
        if index >= count:
            return None
        if flags & _FLAG_OFFSET16:
            off = _U16.unpack_from(data, base + 2 * index)[0]
            return None if off == 0xFFFF else off * 4
        off = _U32.unpack_from(data, base + 4 * index)[0]
        return None if off == _NO_ENTRY else off

    def entries(self, res_id: int) -> list[Entry]:
        """Every configuration's value of ``res_id``, in table order (empty if the table lacks it)."""
        found = self._entries.get(res_id)
        if found is None:
            found = self._entries[res_id] = self._decode_entries(res_id)
        return found

    def _decode_entries(self, res_id: int) -> list[Entry]:
        package = self._packages.get(res_id >> 24)
        if package is None:
            return []
        type_id, index = (res_id >> 16) & 0xFF, res_id & 0xFFFF
        data, member = self._data, self.member
        out = []
        chunks = package.types.get(type_id, ())
        # Each id looks into every configuration's chunk of its type: tens in a real table, tens of
        # thousands in a crafted one, for each id a manifest names.
        charge("resource entries", len(chunks))
        for pos in chunks:
            off = self._entry_offset(pos, index)
            if off is None:
                continue
            size = _U32.unpack_from(data, pos + 4)[0]
            entries_start = _U32.unpack_from(data, pos + 16)[0]
            at = pos + entries_start + off
            if entries_start + off + 8 > size:
                raise ArtifactError(f"entry 0x{res_id:08x} lies outside its type chunk", member=member)
            config = self._config(pos)
            esize, flags, key = _ENTRY.unpack_from(data, at)
            if flags & _ENTRY_COMPACT:
                out.append(Entry(config, package.keys.get(esize), flags >> 8, key))
            elif flags & _ENTRY_COMPLEX:
                out.append(Entry(config, package.keys.get(key), 0, 0, complex=True))
            elif esize < 8:
                continue  # the platform's VerifyResTableEntry refuses it: the resource lacks this value
            else:
                if entries_start + off + esize + 8 > size:
                    raise ArtifactError(f"value of 0x{res_id:08x} lies outside its type chunk", member=member)
                _, _, vtype, value = _VALUE.unpack_from(data, at + esize)
                out.append(Entry(config, package.keys.get(key), vtype, value))
        return out

    def name(self, res_id: int) -> str | None:
        """``@type/key`` of the resource, if the table has it."""
        package = self._packages.get(res_id >> 24)
        found = self.entries(res_id)
        if package is None or not found:
            return None
        type_name = package.type_names.get(((res_id >> 16) & 0xFF) - 1 - package.type_id_offset)
        key = next((e.key for e in found if e.key is not None), None)
        if type_name is None or key is None:
            return None
        return f"@{type_name}/{key}"

    def format(self, entry: Entry) -> str:
        """An entry's value as text: the pool string for strings, ``format_value`` for the rest."""
        if entry.type == T_STRING:
            value = self.strings.get(entry.data) if self.strings is not None else None
            return value if value is not None else ""
        return _format_value(entry.type, entry.data)

    def resolve(self, res_id: int) -> list[tuple[Config, str | None]]:
        """``(config, value)`` for every configuration, references followed (to all their configurations).

        A complex entry resolves to None. A reference back into the chain is dropped, not followed.
        Every entry visited counts against one budget, so a table whose references fan out (each
        configuration naming another many-configuration resource) cannot make this loop for long.
        """
        out: list[tuple[Config, str | None]] = []
        self._resolve(res_id, (), out, [MAX_RESOLVED])
        return out

    def _resolve(self, res_id: int, chain: tuple[int, ...], out: list[tuple[Config, str | None]],
                 budget: list[int]) -> None:
        if len(chain) >= MAX_REFERENCE_DEPTH:
            raise ArtifactError(f"references from 0x{chain[0]:08x} run deeper than {MAX_REFERENCE_DEPTH}",
                                member=self.member)
        chain = (*chain, res_id)
        entries = self.entries(res_id)
        budget[0] -= len(entries)
        if budget[0] < 0:
            raise ArtifactError(f"0x{chain[0]:08x} resolves through more than {MAX_RESOLVED} values",
                                member=self.member)
        for entry in entries:
            if entry.complex:
                out.append((entry.config, None))
            elif entry.type == T_REFERENCE:
                if entry.data and entry.data not in chain:
                    self._resolve(entry.data, chain, out, budget)
            else:
                out.append((entry.config, self.format(entry)))
