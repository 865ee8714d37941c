"""Stream-decode Apple's pbzx: the chunked xz framing of newer installer payloads.

Layout: ``pbzx``, a big-endian u64 chunk size, then chunks of (u64 uncompressed length, u64 stored
length, data). Each chunk's data is a complete xz stream, or the raw bytes when the stored length
equals the uncompressed length. Decoded a slice at a time: memory stays bounded whatever the size.
"""

from __future__ import annotations

import io
import lzma
import struct
from typing import Any, BinaryIO

from inspector.errors import ArtifactError
from inspector.limits import MAX_PBZX_CHUNK, MAX_XZ_MEMORY, charge

__all__ = ["MAGIC", "MAX_CHUNK", "PbzxReader"]

MAGIC = b"pbzx"
#: Apple writes 16 MiB chunks; a larger declared chunk is not a real payload.
MAX_CHUNK = MAX_PBZX_CHUNK
_U64 = struct.Struct(">Q")
_PAIR = struct.Struct(">QQ")
_SLICE = 1 << 18


class PbzxReader(io.RawIOBase):
    """The decoded bytes of a pbzx stream read from ``raw`` (positioned at the magic)."""

    def __init__(self, raw: BinaryIO, *, member: str = "Payload") -> None:
        self._raw = raw
        self._member = member
        head = self._exact(12, "header")
        if head[:4] != MAGIC:
            raise self._fail("not a pbzx stream (no 'pbzx' magic)")
        (self._chunk_size,) = _U64.unpack(head[4:])
        if not 0 < self._chunk_size <= MAX_CHUNK:
            raise self._fail(f"pbzx chunk size {self._chunk_size} is impossible")
        self._left_in = 0  # stored bytes of the current chunk still to read
        self._left_out = 0  # decoded bytes of the current chunk still to produce
        self._dec: Any = None  # LZMADecompressor, or None for a raw chunk
        self._chunks = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fail(self, problem: str, cause: BaseException | None = None) -> ArtifactError:
        error = ArtifactError(problem, member=self._member)
        error.__cause__ = cause
        return error

    def _xz_error(self, exc: lzma.LZMAError) -> ArtifactError:
        if "memory" in str(exc).lower():
            return self._fail(f"pbzx chunk {self._chunks - 1}: its xz stream needs more than "
                              f"{MAX_XZ_MEMORY >> 20} MiB to decode (limit)", exc)
        return self._fail(f"pbzx chunk {self._chunks - 1}: corrupt xz data ({exc})", exc)

    def _exact(self, n: int, what: str) -> bytes:
        data = self._raw.read(n)
        if len(data) != n:
            raise self._fail(f"pbzx stream is truncated (in the {what})")
        return data

    def _next_chunk(self) -> bool:
        head = self._raw.read(_PAIR.size)
        if not head:
            return False
        if len(head) != _PAIR.size:
            raise self._fail(f"pbzx stream is truncated (in chunk {self._chunks} header)")
        usize, csize = _PAIR.unpack(head)
        if usize > self._chunk_size or csize > self._chunk_size + (1 << 16):
            raise self._fail(f"pbzx chunk {self._chunks} claims {usize} bytes decoded / {csize} "
                             f"stored, over the {self._chunk_size}-byte chunk size")
        self._chunks += 1
        self._left_in, self._left_out = csize, usize
        # Apple stores a chunk that xz could not shrink as is: same length in and out.
        # The memory limit refuses an xz block that declares a dictionary far beyond Apple's 8 MiB
        # (liblzma would allocate up to 4 GiB for it before decoding a byte).
        self._dec = None if csize == usize else lzma.LZMADecompressor(format=lzma.FORMAT_XZ,
                                                                      memlimit=MAX_XZ_MEMORY)
        return True

    def _drain(self) -> None:
        # xz emits all output before its index and footer: feed those and insist on a clean end.
        dec = self._dec
        while not dec.eof:
            data = self._raw.read(min(_SLICE, self._left_in)) if self._left_in else b""
            if not data and dec.needs_input:
                raise self._fail(f"pbzx chunk {self._chunks - 1}: xz stream ends early")
            self._left_in -= len(data)
            try:
                extra = dec.decompress(data, 1)
            except lzma.LZMAError as exc:
                raise self._xz_error(exc) from exc
            if extra:
                raise self._fail(f"pbzx chunk {self._chunks - 1} decodes to more than its "
                                 "declared length")
        if dec.unused_data:
            raise self._fail(f"pbzx chunk {self._chunks - 1}: data after its xz stream")

    def _produce(self, want: int) -> bytes:
        while self._left_out == 0:
            if self._dec is not None and not self._dec.eof:
                self._drain()
            if self._left_in:
                raise self._fail(f"pbzx chunk {self._chunks - 1} decodes to fewer bytes than "
                                 "its stored data holds")
            if not self._next_chunk():
                self._eof = True
                return b""
        if self._dec is None:
            data = self._raw.read(min(want, self._left_out, self._left_in))
            if not data:
                raise self._fail(f"pbzx stream is truncated (in chunk {self._chunks - 1})")
            self._left_in -= len(data)
            self._left_out -= len(data)
            return data
        dec = self._dec
        while True:
            data = b""
            if dec.needs_input and self._left_in:
                data = self._raw.read(min(_SLICE, self._left_in))
                if not data:
                    raise self._fail(f"pbzx stream is truncated (in chunk {self._chunks - 1})")
                self._left_in -= len(data)
            elif dec.needs_input:
                raise self._fail(f"pbzx chunk {self._chunks - 1}: xz stream ends early")
            try:
                out: bytes = dec.decompress(data, min(want, self._left_out + 1))
            except lzma.LZMAError as exc:
                raise self._xz_error(exc) from exc
            charge("bytes inflated", len(out))
            if len(out) > self._left_out:
                raise self._fail(f"pbzx chunk {self._chunks - 1} decodes to more than its "
                                 "declared length")
            self._left_out -= len(out)
            if dec.eof and (self._left_out or self._left_in or dec.unused_data):
                raise self._fail(f"pbzx chunk {self._chunks - 1}: length does not match its "
                                 "xz stream")
            if out:
                return out
            if dec.eof:
                return b""

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._eof:
            out = self._produce(len(view))
            if out:
                view[: len(out)] = out
                return len(out)
        return 0
