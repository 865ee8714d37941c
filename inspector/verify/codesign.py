"""Verify the embedded code signature of a Mach-O file, slice by slice: every CodeDirectory
(SHA-1 and SHA-256 alternates), its page hashes up to the code limit, its special slots, and the
CMS signature over the primary CodeDirectory with the CDHashes attributes that bind the others.

Structure names follow xnu's ``osfmk/kern/cs_blobs.h``. The code is streamed page by page from a
forward-only reader (a zip member is inflated once for the signatures, unless the caller has them
already, and once for the pages); no executable is ever held in memory whole.
"""

from __future__ import annotations

import hashlib
import hmac
import plistlib
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from inspector.containers import der, macho
from inspector.errors import ArtifactError
from inspector.records.verification import Failure

__all__ = [
    "CodeDirectory",
    "SliceResult",
    "cdhashes_of",
    "parse_code_directory",
    "verify_macho",
]

SCHEME = "code-signature"

_CSMAGIC_CODEDIRECTORY = 0xFADE0C02
_CSMAGIC_BLOBWRAPPER = 0xFADE0B01
_SLOT_CODEDIRECTORY = 0
_SLOT_ALTERNATES = range(0x1000, 0x1005)
_SLOT_SIGNATURE = 0x10000
_SLOT_INFO = 1
_SLOT_RESOURCES = 3
_SLOT_APPLICATION = 4
#: Special slots as cs_blobs.h names them (negative in codesign's output).
SLOT_NAMES = {
    1: "Info.plist", 2: "requirements", 3: "CodeResources", 4: "application",
    5: "entitlements", 6: "rep-specific", 7: "DER entitlements", 8: "launch constraints (self)",
    9: "launch constraints (parent)", 10: "launch constraints (responsible)",
    11: "library constraints",
}
_EXTERNAL_SLOTS = (_SLOT_INFO, _SLOT_RESOURCES)
_MAX_SPECIAL_SLOTS = 64
_CS_ADHOC = 0x2

#: CodeDirectory hashType -> (hashlib name, digest size before truncation).
_HASHES = {1: ("sha1", 20), 2: ("sha256", 32), 3: ("sha256", 32), 4: ("sha384", 48),
           5: ("sha512", 64)}
_HASH_NAMES = {1: "sha1", 2: "sha256", 3: "sha256-truncated", 4: "sha384", 5: "sha512"}
#: Signed attributes of Apple's code-signing CMS: a plist of truncated CDHashes, and one
#: (digest algorithm, full CDHash) per CodeDirectory.
CDHASHES_PLIST = "1.2.840.113635.100.9.1"
CDHASHES = "1.2.840.113635.100.9.2"
_DIGEST_OIDS = {
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512",
}
_MAX_READ = 1 << 16  # above any page size Apple uses (4 KiB, 16 KiB)
_SKIP = 1 << 20


@dataclass(frozen=True, slots=True)
class CodeDirectory:
    """One CodeDirectory blob, taken apart. ``blob`` keeps its bytes (header included): the
    CDHash is its digest, and the CMS signs the primary one."""

    slot: int
    blob: bytes
    version: int
    flags: int
    hash_type: int
    hash_size: int
    page_size: int  # 0: one hash over the whole code
    code_limit: int
    n_special: int
    n_code: int
    hash_offset: int

    @property
    def hash_name(self) -> str:
        return _HASH_NAMES.get(self.hash_type, f"type {self.hash_type}")

    @property
    def algorithm(self) -> str | None:
        found = _HASHES.get(self.hash_type)
        return found[0] if found else None

    def digest(self, data: bytes) -> bytes:
        """``data`` hashed as this CodeDirectory hashes, truncated to its hash size."""
        return hashlib.new(self.algorithm or "sha256", data).digest()[: self.hash_size]

    def special(self, slot: int) -> bytes | None:
        """The hash recorded for special slot ``slot`` (1 = Info.plist ...), None past the end."""
        if not 1 <= slot <= self.n_special:
            return None
        start = self.hash_offset - slot * self.hash_size
        return self.blob[start : start + self.hash_size]

    def code_hash(self, page: int) -> bytes:
        start = self.hash_offset + page * self.hash_size
        return self.blob[start : start + self.hash_size]

    def cdhash(self) -> bytes:
        """The CDHash: the blob's digest by its own hash type, full length."""
        return hashlib.new(self.algorithm or "sha256", self.blob).digest()


def parse_code_directory(slot: int, blob: bytes) -> CodeDirectory:
    """Take a CodeDirectory blob apart; ArtifactError when it is malformed or inconsistent."""
    if len(blob) < 44:
        raise ArtifactError("CodeDirectory is too short")
    (magic, length, version, flags, hash_offset, _ident, n_special, n_code, code_limit,
     hash_size, hash_type, _platform, page_shift, _spare2) = struct.unpack_from(
        ">IIIIIIIIIBBBBI", blob, 0)
    if magic != _CSMAGIC_CODEDIRECTORY or length != len(blob):
        raise ArtifactError(f"slot {slot:#x} holds no CodeDirectory (magic {magic:#x})")
    if hash_type not in _HASHES:
        raise ArtifactError(f"CodeDirectory hash type {hash_type} is unknown")
    if not 0 < hash_size <= _HASHES[hash_type][1]:
        raise ArtifactError(f"CodeDirectory hash size {hash_size} does not fit its hash type")
    if version >= 0x20300 and len(blob) >= 64:
        (limit64,) = struct.unpack_from(">Q", blob, 56)
        code_limit = limit64 or code_limit
    if n_special > _MAX_SPECIAL_SLOTS or page_shift > 30:
        raise ArtifactError("CodeDirectory header is out of range")
    if (hash_offset < n_special * hash_size or hash_offset + n_code * hash_size > len(blob)
            or hash_offset < 44):
        raise ArtifactError("CodeDirectory hashes lie outside it")
    return CodeDirectory(
        slot=slot, blob=blob, version=version, flags=flags, hash_type=hash_type,
        hash_size=hash_size, page_size=(1 << page_shift) if page_shift else 0,
        code_limit=code_limit, n_special=n_special, n_code=n_code, hash_offset=hash_offset,
    )


@dataclass(frozen=True, slots=True)
class SliceResult:
    """What one slice's signature verified to, and what a caller needs from it: the CDHashes
    of its CodeDirectories (nested-code seals name them) and the leaf certificate's DER."""

    arch: str
    failures: tuple[Failure, ...]
    cdhashes: tuple[bytes, ...]
    adhoc: bool
    certificate: bytes | None


def cdhashes_of(directories: Iterable[CodeDirectory]) -> tuple[bytes, ...]:
    """Each CodeDirectory's CDHash truncated to 20 bytes, as CodeResources records them."""
    return tuple(d.cdhash()[:20] for d in directories)


def verify_macho(open_member: Callable[[], BinaryIO], size: int, member: str,
                 externals: Mapping[int, bytes | None], *,
                 slices: tuple[macho.SignedSlice, ...] | None = None) -> tuple[SliceResult, ...]:
    """Verify every signed slice of the Mach-O ``member`` of ``size`` bytes.

    ``open_member`` returns a fresh stream at the file's start: it is called once for the
    signatures, unless ``slices`` gives what :func:`macho.read_signed_slices` returned for this
    same file, and once for the pages, unless no slice has a CodeDirectory to check them
    against. ``externals`` gives the bytes the special slots of files outside the executable
    cover: slot 1 (the bundle's Info.plist) and slot 3 (its ``_CodeSignature/CodeResources``),
    None for a file the bundle lacks; a slot not given is treated as a missing file. Returns
    ``()`` for an unsigned file. Raises ArtifactError when the file or its signature cannot be
    read at all.
    """
    if slices is None:
        with open_member() as fh:
            slices = macho.read_signed_slices(fh, size)
    if not slices:
        return ()
    parsed = [_parse_slice(s, member) for s in slices]
    if any(p.directories for p in parsed):
        with open_member() as fh:
            stream = _Forward(fh)
            for signed, (directories, failures, _cms, _blobs) in zip(slices, parsed,
                                                                    strict=True):
                failures.extend(_verify_pages(stream, signed, directories, member))
    results = []
    for signed, (directories, failures, cms, blobs) in zip(slices, parsed, strict=True):
        failures.extend(_verify_specials(signed, directories, blobs, externals, member))
        adhoc = not cms or any(d.flags & _CS_ADHOC for d in directories)
        certificate = None
        if not cms and directories and not any(d.flags & _CS_ADHOC for d in directories):
            # codesign -s - and the linker flag what they sign without a certificate; a
            # certificate signature whose CMS is gone is a stripped one.
            failures.append(_fail(member, f"{signed.arch}: no CMS signature, yet the "
                                          "CodeDirectory is not flagged ad-hoc",
                                  slot="signature"))
        elif not adhoc and directories:
            certificate = _verify_cms(cms, directories, signed.arch, member, failures)
        results.append(SliceResult(signed.arch, tuple(failures), cdhashes_of(directories),
                                   adhoc, certificate))
    return tuple(results)


def _parse_slice(signed: macho.SignedSlice, member: str) -> _Parsed:
    blobs = macho.superblob_entries(signed.signature, signed.arch)
    failures: list[Failure] = []
    directories = []
    for slot in (_SLOT_CODEDIRECTORY, *_SLOT_ALTERNATES):
        if slot not in blobs:
            continue
        try:
            directories.append(parse_code_directory(slot, blobs[slot][1]))
        except ArtifactError as exc:
            failures.append(_fail(member, f"{signed.arch}: {exc.problem}", slot=f"{slot:#x}"))
    if _SLOT_CODEDIRECTORY not in blobs:
        failures.append(_fail(member, f"{signed.arch}: the signature has no CodeDirectory"))
    cms = b""
    if _SLOT_SIGNATURE in blobs:
        wrapper_magic, wrapper = blobs[_SLOT_SIGNATURE]
        if wrapper_magic != _CSMAGIC_BLOBWRAPPER:
            failures.append(_fail(member, f"{signed.arch}: the signature slot holds magic "
                                          f"{wrapper_magic:#x}, not a CMS wrapper"))
        else:
            cms = wrapper[8:]
    return _Parsed(directories, failures, cms, blobs)


class _Parsed(NamedTuple):
    directories: list[CodeDirectory]
    failures: list[Failure]
    cms: bytes
    blobs: dict[int, tuple[int, bytes]]


def _verify_specials(signed: macho.SignedSlice, directories: list[CodeDirectory],
                     blobs: Mapping[int, tuple[int, bytes]], externals: Mapping[int, bytes | None],
                     member: str) -> list[Failure]:
    failures = []
    internal = {slot: data for slot, (_m, data) in blobs.items()
                if 0 < slot < _SLOT_ALTERNATES.start}
    for cd in directories:
        where = f"{signed.arch} {cd.hash_name}"
        for slot in range(1, cd.n_special + 1):
            expected = cd.special(slot)
            assert expected is not None
            name = SLOT_NAMES.get(slot, f"special slot {slot}")
            empty = not any(expected)
            if slot in _EXTERNAL_SLOTS:
                data = externals.get(slot)
                if data is None:
                    if not empty:
                        failures.append(_fail(member, f"{where}: the signature covers {name}, "
                                                      "which the bundle lacks", slot=f"-{slot} {name}"))
                    continue
            else:
                data = internal.get(slot)
                if data is not None and slot == _SLOT_APPLICATION:
                    data = data[8:]  # the application slot hashes the wrapper's payload
                if data is None:
                    if not empty:
                        failures.append(_fail(member, f"{where}: the signature covers a {name} "
                                                      "blob that is absent", slot=f"-{slot} {name}"))
                    continue
            if not hmac.compare_digest(cd.digest(data), expected):
                failures.append(_fail(member, f"{where}: {name} does not match its hash in the "
                                              "CodeDirectory", slot=f"-{slot} {name}"))
        for slot in sorted(internal):
            if slot > cd.n_special:
                name = SLOT_NAMES.get(slot, f"special slot {slot}")
                failures.append(_fail(member, f"{where}: the {name} blob is not covered by the "
                                              "CodeDirectory", slot=f"-{slot} {name}"))
    return failures


def _verify_pages(stream: _Forward, signed: macho.SignedSlice,
                  directories: list[CodeDirectory], member: str) -> list[Failure]:
    """Hash the slice's code once per distinct (page size, code limit), feeding every
    CodeDirectory of that shape, and compare page by page."""
    failures: list[Failure] = []
    groups: dict[tuple[int, int], list[CodeDirectory]] = {}
    for cd in directories:
        where = f"{signed.arch} {cd.hash_name}"
        if cd.code_limit > signed.length:
            failures.append(_fail(member, f"{where}: code limit {cd.code_limit} lies past the "
                                          f"slice's {signed.length} bytes"))
            continue
        expected = -(-cd.code_limit // cd.page_size) if cd.page_size else int(cd.code_limit > 0)
        if cd.n_code != expected:
            failures.append(_fail(member, f"{where}: {cd.n_code} page hashes for a code limit of "
                                          f"{cd.code_limit} bytes ({expected} pages)"))
            continue
        groups.setdefault((cd.page_size, cd.code_limit), []).append(cd)
    for (page_size, limit), group in sorted(groups.items(), key=lambda g: g[0][1]):
        bad = {id(cd): 0 for cd in group}
        first_bad: dict[int, int] = {}
        stream.seek(signed.offset)
        step = page_size or limit
        for page, start in enumerate(range(0, limit, step)):
            hashers = [hashlib.new(cd.algorithm or "sha256") for cd in group]
            remaining = min(step, limit - start)
            while remaining:
                # One page per read (a whole-code "page" in pieces): the code is never in
                # memory beyond that.
                piece = stream.read(min(remaining, _MAX_READ))
                if not piece:
                    raise ArtifactError(f"truncated Mach-O: the code of the {signed.arch} slice "
                                        "is cut short")
                for hasher in hashers:
                    hasher.update(piece)
                remaining -= len(piece)
            if _in_range(start, min(step, limit - start), signed.encrypted):
                continue  # FairPlay-encrypted: the hashes are of the decrypted code
            for cd, hasher in zip(group, hashers, strict=True):
                if not hmac.compare_digest(hasher.digest()[: cd.hash_size], cd.code_hash(page)):
                    bad[id(cd)] += 1
                    first_bad.setdefault(id(cd), page)
        for cd in group:
            if bad[id(cd)]:
                more = f" (and {bad[id(cd)] - 1} more)" if bad[id(cd)] > 1 else ""
                failures.append(_fail(
                    member, f"{signed.arch} {cd.hash_name}: code page hash mismatch{more}",
                    slot="code", page=first_bad[id(cd)]))
    return failures


def _in_range(start: int, length: int, encrypted: tuple[int, int] | None) -> bool:
    if encrypted is None:
        return False
    offset, size = encrypted
    return start < offset + size and offset < start + length


def _verify_cms(cms: bytes, directories: list[CodeDirectory], arch: str, member: str,
                failures: list[Failure]) -> bytes | None:
    """Verify the CMS over the primary CodeDirectory and its CDHashes attributes; returns the
    first signer's certificate DER."""
    from inspector.verify.cms import verify_signed_data

    primary = next((d for d in directories if d.slot == _SLOT_CODEDIRECTORY), None)
    if primary is None:
        return None
    try:
        signers = verify_signed_data(cms, primary.blob, scheme=SCHEME)
    except ArtifactError as exc:
        failures.append(_fail(member, f"{arch}: CMS signature unreadable: {exc.problem}",
                              slot="signature"))
        return None
    if not signers:
        failures.append(_fail(member, f"{arch}: the CMS signature has no signer",
                              slot="signature"))
        return None
    for signer in signers:
        for failure in signer.verification.failures:
            failures.append(_fail(member, f"{arch}: {failure.message}", slot="signature"))
        failures.extend(_check_cdhashes(signer.attributes, directories, arch, member))
    return signers[0].certificate


def _check_cdhashes(attributes: Mapping[str, tuple[bytes, ...]],
                    directories: list[CodeDirectory], arch: str, member: str) -> list[Failure]:
    """The CDHashes attributes must name exactly this signature's CodeDirectories; with more
    than one CodeDirectory, one of them must be present (it is what binds the alternates)."""
    failures = []
    plist_values = attributes.get(CDHASHES_PLIST, ())
    full_values = attributes.get(CDHASHES, ())
    if len(directories) > 1 and not plist_values and not full_values:
        failures.append(_fail(member, f"{arch}: {len(directories)} CodeDirectories but no "
                                      "CDHashes attribute binds the alternates to the signature",
                              slot="signature"))
    if plist_values:
        listed = _plist_cdhashes(plist_values[0])
        wanted = list(cdhashes_of(directories))
        if listed is None:
            failures.append(_fail(member, f"{arch}: the CDHashes plist attribute is unreadable",
                                  slot="signature"))
        elif listed != wanted:
            failures.append(_fail(member, f"{arch}: the CDHashes plist attribute does not name "
                                          "this signature's CodeDirectories", slot="signature"))
    if full_values:
        by_algorithm = {d.algorithm: d.cdhash() for d in directories}
        for value in full_values:
            pair = _digest_pair(value)
            if pair is None or pair[0] not in by_algorithm or (
                    by_algorithm[pair[0]] != pair[1]):
                failures.append(_fail(member, f"{arch}: a CDHashes attribute value does not "
                                              "match a CodeDirectory", slot="signature"))
    return failures


def _plist_cdhashes(value: bytes) -> list[bytes] | None:
    try:
        node = der.read(value)
        if not node.is_(der.OCTET_STRING):
            return None
        plist = plistlib.loads(node.content)
    except (ArtifactError, ValueError, plistlib.InvalidFileException, xml.parsers.expat.ExpatError):
        return None
    hashes = plist.get("cdhashes") if isinstance(plist, dict) else None
    if not isinstance(hashes, list) or not all(isinstance(h, bytes) for h in hashes):
        return None
    return hashes


def _digest_pair(value: bytes) -> tuple[str, bytes] | None:
    try:
        oid_node, digest_node = der.read(value).children()[:2]
        return _DIGEST_OIDS.get(der.decode_oid(oid_node), "?"), digest_node.content
    except (ArtifactError, ValueError, IndexError):
        return None


def _fail(member: str, message: str, *, slot: str | None = None,
          page: int | None = None) -> Failure:
    return Failure(SCHEME, message, member=member, slot=slot, page=page)


class _Forward:
    """A stream moved only forward; seeking back reopens nothing and is refused. Skips are read
    in 1 MiB steps so a zip member never inflates 16 MB at once (ZipExtFile.seek would)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.position = 0

    def seek(self, offset: int) -> None:
        if offset < self.position:
            raise ArtifactError("Mach-O slices overlap")
        while self.position < offset:
            got = len(self.read(min(offset - self.position, _SKIP)))
            if got == 0:
                raise ArtifactError("truncated Mach-O: a slice lies past the end of the file")

    def read(self, n: int) -> bytes:
        try:
            data = self.fh.read(n)
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
            raise ArtifactError(f"cannot read Mach-O code ({exc})") from exc
        self.position += len(data)
        return data
