"""Read the code signature (``LC_CODE_SIGNATURE``) of a Mach-O executable, thin or fat.

Only the headers, the load commands and the signature region are read, in file order, so the
reader works on a forward-seeking stream such as a deflated zip member. Structure names follow
Apple's ``<mach-o/loader.h>``, ``<mach-o/fat.h>`` and xnu's ``osfmk/kern/cs_blobs.h``.
"""

from __future__ import annotations

import itertools
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from inspector.errors import ArtifactError
from inspector.limits import (
    MAX_ARCHS,
    MAX_BLOBS,
    MAX_CMS_BLOB_BYTES,
    MAX_KEPT_STRING,
    MAX_NCMDS,
    MAX_SIGNATURE,
    MAX_SIGNATURE_BYTES_TOTAL,
    MAX_SIZEOFCMDS,
)

__all__ = [
    "CS_ADHOC",
    "CodeSignature",
    "SignedSlice",
    "code_signatures",
    "is_macho",
    "read_code_signatures",
    "read_signed_slices",
    "superblob_entries",
]

# Mach-O and fat magics as the first four bytes appear on disk.
_THIN_MAGICS = {
    b"\xce\xfa\xed\xfe": ("<", False),  # MH_MAGIC, little-endian 32-bit
    b"\xcf\xfa\xed\xfe": ("<", True),  # MH_MAGIC_64, little-endian 64-bit
    b"\xfe\xed\xfa\xce": (">", False),  # MH_MAGIC, big-endian 32-bit (PowerPC)
    b"\xfe\xed\xfa\xcf": (">", True),  # MH_MAGIC_64, big-endian 64-bit
}
_FAT_MAGICS = {
    b"\xca\xfe\xba\xbe": (">", False),  # FAT_MAGIC: what lipo writes
    b"\xbe\xba\xfe\xca": ("<", False),  # FAT_CIGAM: the same header written little-endian
    b"\xca\xfe\xba\xbf": (">", True),  # FAT_MAGIC_64: 64-bit offsets and sizes
    b"\xbf\xba\xfe\xca": ("<", True),
}

_LC_CODE_SIGNATURE = 0x1D
_LC_ENCRYPTION_INFO = 0x21
_LC_ENCRYPTION_INFO_64 = 0x2C
_LC_REQ_DYLD = 0x80000000

# Code-signing blob magics (cs_blobs.h); every blob is big-endian, whatever the CPU.
_CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
_CSMAGIC_CODEDIRECTORY = 0xFADE0C02
_CSMAGIC_BLOBWRAPPER = 0xFADE0B01
_CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xFADE7171
_CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xFADE7172

_CSSLOT_CODEDIRECTORY = 0
_CSSLOT_ENTITLEMENTS = 5
_CSSLOT_DER_ENTITLEMENTS = 7
_CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000
_CSSLOT_SIGNATURESLOT = 0x10000

#: CodeDirectory flag: signed without a certificate ("codesign -s -" or the linker's own signature).
CS_ADHOC = 0x2
_CD_VERSION_TEAMID = 0x20200

_HASH_TYPES = {1: "sha1", 2: "sha256", 3: "sha256-truncated", 4: "sha384", 5: "sha512"}

_CPU_ARCH_ABI64 = 0x01000000
_CPU_ARCH_ABI64_32 = 0x02000000
_CPU_TYPE_X86 = 7
_CPU_TYPE_ARM = 12
_CPU_TYPE_POWERPC = 18
_CPU_SUBTYPE_MASK = 0xFF000000
_ARM_SUBTYPES = {
    5: "armv4t",
    6: "armv6",
    7: "armv5",
    9: "armv7",
    10: "armv7f",
    11: "armv7s",
    12: "armv7k",
    13: "armv8",
    14: "armv6m",
    15: "armv7m",
    16: "armv7em",
}

# Java class files share 0xcafebabe; their "count" is the class-file version (45 and up), which is
# how file(1) tells them apart.
_JAVA_CLASS_MIN_VERSION = 45
_SKIP_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CodeSignature:
    """The embedded signature of one architecture's slice.

    ``cd_hash_type`` and ``flags`` are those of the primary CodeDirectory (slot 0); signatures made
    for old iOS versions add a SHA-256 CodeDirectory in an alternate slot, listed in
    ``cd_hash_types``. Blob fields hold the payload without the 8-byte blob header.
    """

    arch: str
    identifier: str | None
    team_id: str | None
    cd_hash_type: str | None
    entitlements: bytes | None
    der_entitlements: bytes | None
    cms: bytes | None
    flags: int = 0
    cd_hash_types: tuple[str, ...] = ()

    @property
    def adhoc(self) -> bool:
        """True when no certificate signed this slice (no or empty CMS, or the CS_ADHOC flag)."""
        return not self.cms or bool(self.flags & CS_ADHOC)


def is_macho(head: bytes) -> bool:
    """True if ``head`` (at least the first 8 bytes of a file) starts like a Mach-O or fat file."""
    magic = head[:4]
    if magic in _THIN_MAGICS:
        return True
    if magic in _FAT_MAGICS and len(head) >= 8:
        endian, _ = _FAT_MAGICS[magic]
        count: int = struct.unpack(endian + "I", head[4:8])[0]
        return 0 < count < _JAVA_CLASS_MIN_VERSION
    return False


def read_code_signatures(fh: BinaryIO, size: int) -> tuple[CodeSignature, ...]:
    """Read the code signature of every architecture in the Mach-O file ``fh`` of ``size`` bytes.

    ``fh`` must be positioned at the start of the file; it is only ever seeked forward. Returns one
    record per signed architecture, in file order, and ``()`` for an unsigned file. Anything
    malformed raises :class:`ArtifactError` naming the problem.
    """
    return code_signatures(read_signed_slices(fh, size))


def code_signatures(slices: Iterable[SignedSlice]) -> tuple[CodeSignature, ...]:
    """The code signature of each slice :func:`read_signed_slices` returned, in its order (what
    :func:`read_code_signatures` returns for the same file). Raises :class:`ArtifactError` naming
    the problem when a signature region is malformed."""
    return tuple(_parse_superblob(s.signature, s.arch) for s in slices)


@dataclass(frozen=True, slots=True)
class SignedSlice:
    """Where one architecture's slice lies in the file and its raw signature region.

    ``signature`` is the region ``LC_CODE_SIGNATURE`` names (page-padded, SuperBlob first);
    ``signature_offset`` is its offset from the slice's start, which is also where the code that
    the CodeDirectory's page hashes cover ends for every signer Apple ships.
    """

    arch: str
    offset: int
    length: int
    signature_offset: int
    signature: bytes
    #: ``(cryptoff, cryptsize)`` from the slice's start when ``LC_ENCRYPTION_INFO`` says the
    #: range is FairPlay-encrypted (cryptid != 0), else None.
    encrypted: tuple[int, int] | None = None


def read_signed_slices(fh: BinaryIO, size: int) -> tuple[SignedSlice, ...]:
    """The signature region of every signed slice of the Mach-O file ``fh``, in file order.

    Same reading as :func:`read_code_signatures` (forward only, the same limits), but the
    regions are returned raw for a verifier to take apart.
    """
    reader = _Reader(fh, size)
    head = reader.read_at(0, 8, "Mach-O header")
    if head[:4] in _THIN_MAGICS:
        slices = [(0, size)]
    elif head[:4] in _FAT_MAGICS:
        slices = _fat_slices(reader, head)
    else:
        raise ArtifactError("not a Mach-O executable (unknown magic " + head[:4].hex() + ")")
    signed: list[SignedSlice] = []
    for offset, length in slices:
        found = _signed_slice(reader, offset, length)
        if reader.signature_bytes > MAX_SIGNATURE_BYTES_TOTAL:
            raise ArtifactError(f"code signatures of {reader.signature_bytes} bytes over "
                                f"{len(signed) + 1} slices: more than the "
                                f"{MAX_SIGNATURE_BYTES_TOTAL >> 20} MiB read per executable")
        if found is not None:
            signed.append(found)
    return tuple(signed)


class _Reader:
    """Bounds-checked reads from a stream that may only move forward cheaply."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self.signature_bytes = 0  # over every slice: MAX_SIGNATURE_BYTES_TOTAL

    def read_at(self, offset: int, length: int, what: str) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ArtifactError(
                f"truncated Mach-O: {what} ({length} bytes at offset {offset}) "
                f"runs past the end of the file ({self.size} bytes)"
            )
        try:
            self._move_to(offset)
            data = self.fh.read(length)
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
            # What a zip member raises for a corrupt deflate stream or a bad CRC.
            raise ArtifactError(f"cannot read Mach-O {what} ({exc})") from exc
        if len(data) != length:
            raise ArtifactError(f"truncated Mach-O: {what} is cut short")
        return data

    def _move_to(self, offset: int) -> None:
        position = self.fh.tell()
        if position == offset:
            return
        if offset < position or not isinstance(self.fh, zipfile.ZipExtFile):
            self.fh.seek(offset)
            return
        # ZipExtFile.seek inflates its way forward in 16 MB reads (Python 3.11), each held in
        # memory at once; small reads take the same time and keep the peak small.
        remaining = offset - position
        while remaining > 0:
            step = len(self.fh.read(min(remaining, _SKIP_CHUNK)))
            if step == 0:
                return  # the caller's read comes up short and reports the truncation
            remaining -= step


def _fat_slices(reader: _Reader, head: bytes) -> list[tuple[int, int]]:
    endian, wide = _FAT_MAGICS[head[:4]]
    (count,) = struct.unpack(endian + "I", head[4:8])
    if count == 0 or count > MAX_ARCHS:
        raise ArtifactError(f"fat Mach-O claims {count} architectures (at most {MAX_ARCHS})")
    entry = struct.Struct(endian + ("iiQQII" if wide else "iiIII"))
    table = reader.read_at(8, count * entry.size, "fat architecture table")
    slices = []
    for index in range(count):
        fields = entry.unpack_from(table, index * entry.size)
        offset, length = fields[2], fields[3]
        if offset < 8 + len(table) or offset + length > reader.size:
            raise ArtifactError(
                f"fat Mach-O architecture {index} ({length} bytes at offset {offset}) "
                f"lies outside the file ({reader.size} bytes)"
            )
        slices.append((offset, length))
    # Visit slices in file order so a deflated stream is only ever read forward.
    slices.sort()
    for (first, first_len), (second, _) in itertools.pairwise(slices):
        if first + first_len > second:
            raise ArtifactError("fat Mach-O architectures overlap")
    return slices


def _signed_slice(reader: _Reader, base: int, length: int) -> SignedSlice | None:
    head = reader.read_at(base, 28, "Mach-O header")
    if head[:4] not in _THIN_MAGICS:
        raise ArtifactError(f"fat Mach-O slice at offset {base} is not a Mach-O (magic {head[:4].hex()})")
    endian, wide = _THIN_MAGICS[head[:4]]
    cputype, cpusubtype, _filetype, ncmds, sizeofcmds, _flags = struct.unpack(endian + "IIIIII", head[4:28])
    arch = _arch_name(cputype, cpusubtype)
    if ncmds > MAX_NCMDS or sizeofcmds > MAX_SIZEOFCMDS:
        raise ArtifactError(
            f"Mach-O ({arch}) claims {ncmds} load commands in {sizeofcmds} bytes "
            f"(at most {MAX_NCMDS} in {MAX_SIZEOFCMDS})"
        )
    header_size = 32 if wide else 28
    if header_size + sizeofcmds > length:
        raise ArtifactError(f"Mach-O ({arch}) load commands run past the end of the file")
    commands = reader.read_at(base + header_size, sizeofcmds, "load commands")
    location = _find_code_signature(commands, ncmds, endian, arch)
    if location is None:
        return None
    dataoff, datasize = location
    if datasize > MAX_SIGNATURE:
        raise ArtifactError(
            f"Mach-O ({arch}) code signature of {datasize} bytes is larger than {MAX_SIGNATURE >> 20} MiB"
        )
    if dataoff < header_size + sizeofcmds or dataoff + datasize > length:
        raise ArtifactError(
            f"Mach-O ({arch}) code signature ({datasize} bytes at offset {dataoff}) lies outside the file"
        )
    reader.signature_bytes += datasize
    if reader.signature_bytes > MAX_SIGNATURE_BYTES_TOTAL:
        return None  # the caller reports it, before anything is read
    blob = reader.read_at(base + dataoff, datasize, "code signature")
    return SignedSlice(arch, base, length, dataoff, blob,
                       _encrypted_range(commands, ncmds, endian))


def _encrypted_range(commands: bytes, ncmds: int, endian: str) -> tuple[int, int] | None:
    # _find_code_signature has checked every command's size already.
    position = 0
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from(endian + "II", commands, position)
        if cmd in (_LC_ENCRYPTION_INFO, _LC_ENCRYPTION_INFO_64) and cmdsize >= 20:
            cryptoff, cryptsize, cryptid = struct.unpack_from(endian + "III", commands,
                                                              position + 8)
            if cryptid:
                return cryptoff, cryptsize
        position += cmdsize
    return None


def _find_code_signature(commands: bytes, ncmds: int, endian: str, arch: str) -> tuple[int, int] | None:
    position = 0
    found = None
    for index in range(ncmds):
        if position + 8 > len(commands):
            raise ArtifactError(f"Mach-O ({arch}) load command {index} runs past sizeofcmds")
        cmd, cmdsize = struct.unpack_from(endian + "II", commands, position)
        if cmdsize < 8 or position + cmdsize > len(commands):
            raise ArtifactError(f"Mach-O ({arch}) load command {index} has a bad size ({cmdsize} bytes)")
        if cmd & ~_LC_REQ_DYLD == _LC_CODE_SIGNATURE:
            if cmdsize < 16:
                raise ArtifactError(f"Mach-O ({arch}) LC_CODE_SIGNATURE is too short")
            if found is not None:
                raise ArtifactError(f"Mach-O ({arch}) has more than one LC_CODE_SIGNATURE")
            found = struct.unpack_from(endian + "II", commands, position + 8)
        position += cmdsize
    return found


def _parse_superblob(blob: bytes, arch: str) -> CodeSignature:
    blobs = superblob_entries(blob, arch)
    return _signature_of(blobs, arch)


def superblob_entries(blob: bytes, arch: str) -> dict[int, tuple[int, bytes]]:
    """The blobs of an embedded-signature SuperBlob: ``{slot: (magic, blob with its header)}``.

    Raises ArtifactError when the SuperBlob or its index is malformed.
    """
    if len(blob) < 12:
        raise ArtifactError(f"code signature ({arch}) is too short for a SuperBlob")
    magic, length, count = struct.unpack_from(">III", blob, 0)
    if magic != _CSMAGIC_EMBEDDED_SIGNATURE:
        raise ArtifactError(
            f"code signature ({arch}) is not an embedded-signature SuperBlob (magic {magic:#x})"
        )
    # LC_CODE_SIGNATURE's datasize is page-padded; the SuperBlob says how much of it is real.
    if length < 12 or length > len(blob):
        raise ArtifactError(
            f"code signature ({arch}) SuperBlob length {length} exceeds its {len(blob)}-byte region"
        )
    if count > MAX_BLOBS or 12 + 8 * count > length:
        raise ArtifactError(f"code signature ({arch}) SuperBlob index of {count} entries is bad")
    blob = blob[:length]
    blobs: dict[int, tuple[int, bytes]] = {}
    for index in range(count):
        slot, offset = struct.unpack_from(">II", blob, 12 + 8 * index)
        if offset < 12 + 8 * count or offset + 8 > length:
            raise ArtifactError(
                f"code signature ({arch}) SuperBlob slot {slot:#x} points outside it (offset {offset})"
            )
        sub_magic, sub_length = struct.unpack_from(">II", blob, offset)
        if sub_length < 8 or offset + sub_length > length:
            raise ArtifactError(
                f"code signature ({arch}) blob in slot {slot:#x} ({sub_length} bytes at "
                f"offset {offset}) runs past the SuperBlob"
            )
        blobs[slot] = (sub_magic, blob[offset : offset + sub_length])
    return blobs


def _signature_of(blobs: dict[int, tuple[int, bytes]], arch: str) -> CodeSignature:
    def payload(slot: int, expected: int) -> bytes | None:
        if slot not in blobs:
            return None
        sub_magic, data = blobs[slot]
        if len(data) - 8 > MAX_CMS_BLOB_BYTES:
            # A CMS blob or entitlements plist is kilobytes; each kept one stays in memory.
            raise ArtifactError(f"code signature ({arch}) slot {slot:#x} holds {len(data) - 8} "
                                f"bytes (at most {MAX_CMS_BLOB_BYTES})")
        if sub_magic != expected:
            raise ArtifactError(
                f"code signature ({arch}) slot {slot:#x} holds magic {sub_magic:#x}, expected {expected:#x}"
            )
        return data[8:]

    primary = None
    if _CSSLOT_CODEDIRECTORY in blobs:
        primary = _parse_code_directory(blobs[_CSSLOT_CODEDIRECTORY][1], arch)
    # Alternate CodeDirectories (slots 0x1000-0x1004) carry stronger hashes beside a SHA-1 one.
    alternates = [
        _parse_code_directory(data, arch)
        for slot, (_magic, data) in sorted(blobs.items())
        if _CSSLOT_ALTERNATE_CODEDIRECTORIES <= slot < _CSSLOT_ALTERNATE_CODEDIRECTORIES + 5
    ]
    directories = [d for d in (primary, *alternates) if d is not None]
    return CodeSignature(
        arch=arch,
        identifier=primary.identifier if primary else None,
        team_id=primary.team_id if primary else None,
        cd_hash_type=primary.hash_type if primary else None,
        entitlements=payload(_CSSLOT_ENTITLEMENTS, _CSMAGIC_EMBEDDED_ENTITLEMENTS),
        der_entitlements=payload(_CSSLOT_DER_ENTITLEMENTS, _CSMAGIC_EMBEDDED_DER_ENTITLEMENTS),
        cms=payload(_CSSLOT_SIGNATURESLOT, _CSMAGIC_BLOBWRAPPER),
        flags=primary.flags if primary else 0,
        cd_hash_types=tuple(d.hash_type for d in directories if d.hash_type),
    )


@dataclass(frozen=True, slots=True)
class _CodeDirectory:
    identifier: str | None
    team_id: str | None
    hash_type: str | None
    flags: int


def _parse_code_directory(data: bytes, arch: str) -> _CodeDirectory:
    # magic, length, version, flags, hashOffset, identOffset, nSpecialSlots, nCodeSlots,
    # codeLimit, hashSize, hashType, platform, pageSize, spare2 (44 bytes); scatterOffset
    # (version >= 0x20100), teamOffset (>= 0x20200) follow.
    if len(data) < 44:
        raise ArtifactError(f"code signature ({arch}) CodeDirectory is too short")
    magic, _length, version, flags, _hash_off, ident_off = struct.unpack_from(">IIIIII", data, 0)
    if magic != _CSMAGIC_CODEDIRECTORY:
        raise ArtifactError(f"code signature ({arch}) holds magic {magic:#x} where a CodeDirectory belongs")
    hash_type = data[37]
    team_off = 0
    if version >= _CD_VERSION_TEAMID:
        if len(data) < 52:
            raise ArtifactError(f"code signature ({arch}) CodeDirectory is too short")
        (team_off,) = struct.unpack_from(">I", data, 48)
    return _CodeDirectory(
        identifier=_c_string(data, ident_off, arch, "identifier"),
        team_id=_c_string(data, team_off, arch, "team id") if team_off else None,
        hash_type=_HASH_TYPES.get(hash_type, f"type {hash_type}"),
        flags=flags,
    )


def _c_string(data: bytes, offset: int, arch: str, what: str) -> str | None:
    if offset == 0:
        return None
    end = data.find(b"\0", offset) if offset < len(data) else -1
    if end < 0:
        raise ArtifactError(f"code signature ({arch}) CodeDirectory {what} lies outside it")
    return data[offset : min(end, offset + MAX_KEPT_STRING)].decode("utf-8", "replace")


def _arch_name(cputype: int, cpusubtype: int) -> str:
    subtype = cpusubtype & ~_CPU_SUBTYPE_MASK
    if cputype == _CPU_TYPE_ARM | _CPU_ARCH_ABI64:
        return "arm64e" if subtype == 2 else "arm64"
    if cputype == _CPU_TYPE_ARM | _CPU_ARCH_ABI64_32:
        return "arm64_32"
    if cputype == _CPU_TYPE_X86 | _CPU_ARCH_ABI64:
        return "x86_64h" if subtype == 8 else "x86_64"
    if cputype == _CPU_TYPE_X86:
        return "i386"
    if cputype == _CPU_TYPE_ARM:
        return _ARM_SUBTYPES.get(subtype, "arm")
    if cputype == _CPU_TYPE_POWERPC:
        return "ppc"
    if cputype == _CPU_TYPE_POWERPC | _CPU_ARCH_ABI64:
        return "ppc64"
    return f"cpu {cputype:#x}"
