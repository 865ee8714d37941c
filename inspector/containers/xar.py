"""Read a xar archive (a macOS flat package) in place: header, zlib TOC, then members on demand.

The TOC is untrusted XML: it is size-capped and parsed with defusedxml (no DTD, no entities); its
checksum is computed and read from the heap (``toc_checksum``, ``toc_checksum_stored``) for
inspector.verify.xar to compare: a mismatch is a verification failure, not an unreadable file.
Members are streamed from the file through their decoder (stored, zlib, bzip2); the heap itself
is never loaded.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import hashlib
import io
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from inspector.containers._file import ArtifactFile
from inspector.errors import ArtifactError
from inspector.limits import MAX_PKG_SIGNATURES, MAX_TOC_BYTES, MAX_XML_ELEMENTS, charge, parse_int

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "MAX_TOC_BYTES",
    "XarArchive",
    "XarMember",
    "XarSignature",
    "is_xar",
    "parse_xml",
]

MAGIC = b"xar!"
_HEADER = struct.Struct(">4sHHQQI")  # magic, header size, version, toc len, toc size, cksum alg
#: Checksum styles as xar writes them -> hashlib names.
CHECKSUM_ALGORITHMS = {"sha1": "sha1", "sha256": "sha256", "sha512": "sha512", "md5": "md5",
                       "sha224": "sha224", "sha384": "sha384"}
#: Header algorithm numbers as Apple's xar defines them (XAR_CKSUM_SHA256 = 3, SHA512 = 4); a
#: header longer than 28 bytes with 3 is mackyle's xar naming its algorithm instead.
_HEADER_ALGORITHMS = {0: None, 1: "sha1", 2: "md5", 3: "sha256", 4: "sha512"}
_CHUNK = 1 << 18

_STORED = ("application/octet-stream", "")
_ZLIB = "application/x-gzip"
_BZIP2 = "application/x-bzip2"


def is_xar(head: bytes) -> bool:
    return head[:4] == MAGIC


class _CountingBuilder(TreeBuilder):
    """The tree builder, refusing the element past the limit while the tree is being built."""

    def __init__(self, member: str | None) -> None:
        super().__init__()
        self.member = member
        self.count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.count += 1
        if self.count > MAX_XML_ELEMENTS:
            raise ArtifactError(f"XML holds more than {MAX_XML_ELEMENTS} elements", member=self.member)
        return super().start(tag, attrs)


def parse_xml(data: bytes, *, member: str | None) -> Element:
    """Parse untrusted XML with defusedxml: any DTD or entity is refused, failures are ArtifactErrors.

    Elements are counted as they are built (:data:`MAX_XML_ELEMENTS` a document, and the
    artifact's budget across documents).
    """
    builder = _CountingBuilder(member)
    try:
        parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
        parser.feed(data)
        root: Element = parser.close()
    except defusedxml.DefusedXmlException as exc:
        raise ArtifactError(f"XML declares a DTD or entities (refused: {exc})",
                            member=member) from exc
    except (ParseError, ValueError, UnicodeDecodeError, LookupError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know.
        raise ArtifactError(f"not well-formed XML ({exc})", member=member) from exc
    charge("XML elements", builder.count)
    return root


def _local(tag: str) -> str:
    # Signatures put KeyInfo in the xmldsig namespace: compare local names only.
    return tag.rsplit("}", 1)[-1]


def _child(elem: Element, name: str) -> Element | None:
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _text(elem: Element | None, name: str) -> str | None:
    if elem is None:
        return None
    c = _child(elem, name)
    if c is None or c.text is None:
        return None
    return c.text.strip()


def _int(elem: Element, name: str, what: str) -> int:
    value = _text(elem, name)
    if value is None:
        raise ArtifactError(f"TOC: {what} has no <{name}>", member="TOC")
    try:
        number = parse_int(value, 10)
    except ValueError:
        raise ArtifactError(f"TOC: {what} <{name}> is not a number: {value[:40]!r}",
                            member="TOC") from None
    if number < 0:
        raise ArtifactError(f"TOC: {what} <{name}> is negative", member="TOC")
    return number


@dataclass(frozen=True, slots=True)
class XarMember:
    """One ``<file>`` of the TOC. ``offset`` is absolute in the file; ``length`` is the stored
    (encoded) size, ``size`` the decoded size; both 0 for a directory or an empty file."""

    name: str
    type: str
    offset: int
    length: int
    size: int
    encoding: str
    extracted_checksum: tuple[str, str] | None = None  # (style, lower-case hex)
    archived_checksum: tuple[str, str] | None = None  # (style, lower-case hex) of the stored bytes

    @property
    def is_dir(self) -> bool:
        return self.type == "directory"

    @property
    def is_stored(self) -> bool:
        """Stored as is: the archived bytes are the extracted bytes."""
        return self.encoding in _STORED


@dataclass(frozen=True, slots=True)
class XarSignature:
    """A ``<signature>`` (style RSA) or ``<x-signature>`` (style CMS) element of the TOC: where its
    bytes sit (absolute offset, size) and the DER certificates of its ``KeyInfo``, leaf first."""

    element: str
    style: str
    offset: int
    size: int
    certificates: tuple[bytes, ...]


class XarArchive(ArtifactFile):
    """An open xar archive; use as a context manager. Member names are ``/``-joined paths."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        try:
            self._size = os.fstat(self._fh.fileno()).st_size
            self._read_toc()
        except BaseException:
            self._fh.close()
            raise

    # -- reading the header and the TOC ---------------------------------------------------
    def _read_toc(self) -> None:
        head = self.read_raw(0, _HEADER.size)
        if len(head) < 4 or head[:4] != MAGIC:
            raise ArtifactError("not a xar archive (no 'xar!' magic)", member="header")
        if len(head) < _HEADER.size:
            raise ArtifactError(f"truncated xar header ({len(head)} of 28 bytes)", member="header")
        _, header_size, version, toc_len, toc_size, algorithm = _HEADER.unpack(head)
        if header_size < _HEADER.size or header_size > 4096 or header_size > self._size:
            raise ArtifactError(f"xar header size {header_size} is impossible", member="header")
        if version != 1:
            self.warnings.append(f"xar version {version} (only version 1 is known)")
        if toc_len == 0 or toc_len > self._size - header_size:
            raise ArtifactError(
                f"TOC length {toc_len} does not fit in the file "
                f"({self._size - header_size} bytes after the header)", member="header")
        if toc_size == 0 or toc_size > MAX_TOC_BYTES:
            raise ArtifactError(
                f"TOC claims {toc_size} bytes uncompressed (limit {MAX_TOC_BYTES})",
                member="header")
        if toc_len > MAX_TOC_BYTES:
            raise ArtifactError(f"TOC is {toc_len} bytes compressed (limit {MAX_TOC_BYTES})",
                                member="header")
        if algorithm == 3 and header_size > _HEADER.size:
            # mackyle's xar: 3 is XAR_CKSUM_OTHER, its name in the header's extra bytes.
            raw_name = self.read_raw(_HEADER.size, header_size - _HEADER.size)
            name = raw_name.split(b"\0", 1)[0].decode("ascii", "replace").lower()
            if name not in CHECKSUM_ALGORITHMS:
                raise ArtifactError(f"unknown TOC checksum algorithm {name!r}", member="header")
            self.toc_checksum_algorithm: str | None = CHECKSUM_ALGORITHMS[name]
        elif algorithm in _HEADER_ALGORITHMS:
            self.toc_checksum_algorithm = _HEADER_ALGORITHMS[algorithm]
        else:
            raise ArtifactError(f"unknown TOC checksum algorithm number {algorithm}",
                                member="header")
        compressed = self.read_raw(header_size, toc_len)
        if len(compressed) != toc_len:
            raise ArtifactError("file is truncated inside the TOC", member="TOC")
        inflater = zlib.decompressobj()
        try:
            xml = inflater.decompress(compressed, toc_size + 1)
            if len(xml) <= toc_size:
                xml += inflater.flush()
        except zlib.error as exc:
            raise ArtifactError(f"TOC is not a valid zlib stream ({exc})", member="TOC") from exc
        if len(xml) > toc_size or inflater.unconsumed_tail:
            raise ArtifactError(f"TOC inflates beyond its declared {toc_size} bytes",
                                member="TOC")
        if not inflater.eof:
            raise ArtifactError("TOC zlib stream is truncated", member="TOC")
        if len(xml) != toc_size:
            self.warnings.append(
                f"TOC inflates to {len(xml)} bytes, header says {toc_size}")
        self.heap_start: int = header_size + toc_len
        root = parse_xml(xml, member="TOC")
        toc = _child(root, "toc") if _local(root.tag) == "xar" else None
        if toc is None:
            raise ArtifactError("TOC XML has no <xar><toc>", member="TOC")
        self.toc = toc
        self.toc_checksum_style: str | None = None
        self.toc_checksum_stored: bytes | None = None
        self.toc_checksum = self._toc_checksum(toc, compressed)
        self._members: dict[str, XarMember] = {}
        self._walk(toc, "", 0)
        self.signatures = tuple(self._signatures(toc))

    def _heap_range(self, offset: int, size: int, what: str) -> int:
        """Absolute offset of a heap range, refusing ranges that leave the file."""
        start = self.heap_start + offset
        if start + size > self._size:
            # The member names what it is; the message says only what is wrong with it.
            raise ArtifactError(
                f"data lies outside the file (heap offset {offset} + {size} bytes, "
                f"file has {self._size - self.heap_start} heap bytes)", member=what)
        return start

    def _toc_checksum(self, toc: Element, compressed: bytes) -> bytes | None:
        """The checksum of the compressed TOC by the header's algorithm; the copy the heap holds
        goes to ``toc_checksum_stored``. A checksum that cannot even be located is an error."""
        elem = _child(toc, "checksum")
        algorithm = self.toc_checksum_algorithm
        if elem is not None:
            self.toc_checksum_style = (elem.get("style") or "").lower() or None
        if algorithm is None:
            self.warnings.append("the TOC has no checksum (algorithm 'none')")
            return None
        if elem is None:
            raise ArtifactError("header names a TOC checksum but the TOC has no <checksum>",
                                member="TOC")
        style = self.toc_checksum_style
        if style and CHECKSUM_ALGORITHMS.get(style) != algorithm:
            self.warnings.append(f"TOC checksum style {style!r} differs from the header's "
                                 f"{algorithm!r} (the header's is used, as xar does)")
        offset = _int(elem, "offset", "<checksum>")
        size = _int(elem, "size", "<checksum>")
        digest = hashlib.new(algorithm, compressed).digest()
        if size != len(digest):
            raise ArtifactError(f"TOC checksum size {size} is not that of {algorithm}",
                                member="TOC checksum")
        self.toc_checksum_stored = self.read_raw(
            self._heap_range(offset, size, "TOC checksum"), size)
        return digest

    @property
    def toc_checksum_matches(self) -> bool | None:
        """Whether the heap's copy of the TOC checksum is that of the TOC (None: no checksum)."""
        if self.toc_checksum is None:
            return None
        return self.toc_checksum == self.toc_checksum_stored

    def _name(self, elem: Element) -> str:
        name_elem = _child(elem, "name")
        if name_elem is None:
            raise ArtifactError("TOC: a <file> has no <name>", member="TOC")
        text = name_elem.text or ""
        if name_elem.get("enctype") == "base64":
            try:
                text = base64.b64decode(text, validate=False).decode("utf-8", "replace")
            except (binascii.Error, ValueError) as exc:
                raise ArtifactError("TOC: undecodable base64 <name>", member="TOC") from exc
        if not text or "/" in text or text in (".", ".."):
            raise ArtifactError(f"TOC: unusable member name {text[:80]!r}", member="TOC")
        return text

    def _walk(self, parent: Element, prefix: str, depth: int) -> None:
        if depth > 64:
            raise ArtifactError("TOC nests <file> elements more than 64 deep", member="TOC")
        for elem in parent:
            if _local(elem.tag) != "file":
                continue
            name = prefix + self._name(elem)
            kind = _text(elem, "type") or "file"
            member = self._member(elem, name, kind)
            if name in self._members:
                self.warnings.append(f"duplicate member {name!r} in the TOC (the first is used)")
            else:
                self._members[name] = member
            self._walk(elem, name + "/", depth + 1)

    def _member(self, elem: Element, name: str, kind: str) -> XarMember:
        data = _child(elem, "data")
        if data is None:
            return XarMember(name, kind, 0, 0, 0, "application/octet-stream")
        try:
            offset = _int(data, "offset", "<data>")
            length = _int(data, "length", "<data>")
            size = _int(data, "size", "<data>")
        except ArtifactError as exc:
            exc.member = name  # the member, not "TOC": the message then names it once
            raise
        enc = _child(data, "encoding")
        encoding = (enc.get("style") if enc is not None else None) or "application/octet-stream"
        start = self._heap_range(offset, length, name)
        return XarMember(name, kind, start, length, size, encoding,
                         _checksum(data, "extracted-checksum"), _checksum(data, "archived-checksum"))

    def _signatures(self, toc: Element) -> Iterator[XarSignature]:
        count = 0
        for elem in toc:
            tag = _local(elem.tag)
            if tag not in ("signature", "x-signature"):
                continue
            count += 1
            if count > MAX_PKG_SIGNATURES:
                # Apple writes one, or two (<signature> and <x-signature>); each is read and its
                # certificates decoded.
                raise ArtifactError(f"TOC holds more than {MAX_PKG_SIGNATURES} signatures", member="TOC")
            style = elem.get("style") or "?"
            offset = _int(elem, "offset", f"<{tag}>")
            size = _int(elem, "size", f"<{tag}>")
            start = self._heap_range(offset, size, f"<{tag} style={style!r}>")
            certs: list[bytes] = []
            for node in elem.iter():
                if _local(node.tag) == "X509Certificate" and node.text:
                    try:
                        certs.append(base64.b64decode("".join(node.text.split()), validate=True))
                    except (binascii.Error, ValueError) as exc:
                        raise ArtifactError(f"<{tag}> X509Certificate is not base64",
                                            member="TOC") from exc
            yield XarSignature(tag, style, start, size, tuple(certs))

    # -- members ---------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    @property
    def names(self) -> list[str]:
        return list(self._members)

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def info(self, name: str) -> XarMember:
        try:
            return self._members[name]
        except KeyError:
            raise ArtifactError("no such member in the archive", member=name) from None

    def files(self) -> Iterator[XarMember]:
        return (m for m in self._members.values() if not m.is_dir)

    def open(self, name: str) -> io.BufferedReader:
        """A buffered, decoded stream of one member, read lazily from the file."""
        member = self.info(name)
        if member.is_dir:
            raise ArtifactError("is a directory, not a file", member=name)
        factory = _decoder_for(member)
        raw = _RangeReader(self._fh, member.offset, member.length)
        return io.BufferedReader(_DecodingReader(raw, factory, member), buffer_size=_CHUNK)

    def read(self, name: str, *, limit: int = 16 << 20, verify: bool = True) -> bytes:
        """The whole decoded member, refused over ``limit`` bytes; its extracted checksum is
        verified when ``verify`` and the TOC gives one."""
        member = self.info(name)
        if member.size > limit:
            raise ArtifactError(f"member is {member.size} bytes (limit {limit})", member=name)
        with self.open(name) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise ArtifactError(f"member decodes to over {limit} bytes", member=name)
        if verify and member.extracted_checksum:
            style, expected = member.extracted_checksum
            algorithm = CHECKSUM_ALGORITHMS.get(style)
            if algorithm is None:
                self.warnings.append(f"{name}: extracted-checksum style {style!r} not checked")
            elif hashlib.new(algorithm, data).hexdigest() != expected:
                raise ArtifactError(f"{style} of the extracted data does not match the TOC's "
                                    "extracted-checksum", member=name)
        return data


def _checksum(data: Element, name: str) -> tuple[str, str] | None:
    elem = _child(data, name)
    if elem is None or not elem.text:
        return None
    return (elem.get("style") or "").lower(), elem.text.strip().lower()


class _RangeReader:
    """Reads ``length`` bytes from ``offset`` of a shared file handle, seeking before each read
    so that several member streams may be open at once."""

    def __init__(self, fh: BinaryIO, offset: int, length: int) -> None:
        self._fh = fh
        self._pos = offset
        self._left = length

    @property
    def left(self) -> int:
        return self._left

    def read(self, size: int) -> bytes:
        size = min(size, self._left)
        if size <= 0:
            return b""
        self._fh.seek(self._pos)
        data = self._fh.read(size)
        self._pos += len(data)
        self._left -= len(data)
        if not data:
            self._left = 0  # the file shrank under us: let the decoder report the truncation
        return data


class _Stored:
    """Marks a stored member: its bytes pass through the decoding reader unchanged."""


def _decoder_for(member: XarMember) -> Callable[[], Any]:
    encoding = member.encoding
    if encoding in _STORED:
        return _Stored
    if encoding == _ZLIB:
        return zlib.decompressobj
    if encoding == _BZIP2:
        return bz2.BZ2Decompressor
    raise ArtifactError(f"unsupported xar encoding {encoding!r}", member=member.name)


class _DecodingReader(io.RawIOBase):
    """The decoded bytes of one member; raises ArtifactError on corrupt or truncated data and
    when the data decodes to more than the TOC's ``size`` (a bomb guard)."""

    def __init__(self, raw: _RangeReader, factory: Callable[[], Any], member: XarMember) -> None:
        self._raw = raw
        self._dec = factory()
        self._member = member
        self._pending = b""
        self._produced = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _fail(self, problem: str, cause: BaseException | None = None) -> ArtifactError:
        error = ArtifactError(problem, member=self._member.name)
        error.__cause__ = cause
        return error

    def _step(self, want: int) -> bytes:
        dec = self._dec
        if isinstance(dec, _Stored):
            out: bytes = self._raw.read(max(want, _CHUNK))
            if not out:
                self._done = True
            return out
        while True:
            if isinstance(dec, bz2.BZ2Decompressor):
                data = self._raw.read(_CHUNK) if dec.needs_input else b""
                starved = dec.needs_input and not data
            else:
                data = dec.unconsumed_tail or self._raw.read(_CHUNK)
                starved = not data
            try:
                out = dec.decompress(data, want)
            except (zlib.error, OSError, EOFError, ValueError) as exc:
                raise self._fail(f"member data is corrupt ({self._member.encoding}: {exc})",
                                 exc) from exc
            if dec.eof:
                self._done = True
                return out
            if out:
                return out
            if starved:
                raise self._fail("member data is truncated (the compressed stream ends early)")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if not self._pending and not self._done:
            self._pending = self._step(len(view))
            self._produced += len(self._pending)
            if self._produced > self._member.size:
                raise self._fail(f"member decodes to more than the {self._member.size} bytes "
                                 "the TOC declares")
            if self._done and self._produced != self._member.size:
                raise self._fail(f"member decodes to {self._produced} bytes, the TOC declares "
                                 f"{self._member.size} (truncated or corrupt)")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
