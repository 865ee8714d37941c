"""The APK content digests of signature schemes v2, v3 and v3.1, computed in one streamed pass.

What is digested (as Android computes it): the bytes before the APK Signing Block, the central
directory, and the End of Central Directory record with its central-directory offset replaced
by the signing block's offset (so the digests do not cover the block that carries them).
``CHUNKED_SHA256``/``CHUNKED_SHA512``: each section in 1 MiB chunks, each chunk digested as
``H(0xa5 || u32 length || chunk)``, then ``H(0x5a || u32 chunk count || chunk digests...)``.
``VERITY_CHUNKED_SHA256``: the fs-verity Merkle tree over the same bytes in 4 KiB blocks, with
an 8-byte zero salt, then the root digest followed by the u64 length of those bytes.

The pass can feed the whole file's SHA-256 too (:func:`digest_file`): the two run on two cores
over the same mapped window, since hashlib releases the GIL on large updates.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import sys
from collections import deque
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from inspector.containers.apk_signing import CHUNKED_SHA256, CHUNKED_SHA512, VERITY_CHUNKED_SHA256

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["Sections", "digest_file"]

CHUNK = 1 << 20
_PAGE = 4096
_SALT = bytes(8)
#: Map size: a multiple of 1 MiB and of 4 KiB (and of Windows' 64 KiB allocation granularity),
#: so chunk and page boundaries rarely split a window; at most ``_IN_FLIGHT`` are mapped.
_WINDOW = 4 << 20
_IN_FLIGHT = 4
_HASHES = {CHUNKED_SHA256: "sha256", CHUNKED_SHA512: "sha512"}


class Sections(NamedTuple):
    """Where the three digested sections are in the file."""

    signing_block: int  # offset of the APK Signing Block = end of the entries
    central_directory: int  # offset of the central directory = end of the signing block
    eocd: int  # offset of the End of Central Directory record
    size: int  # the file's size


class _Chunked:
    """The 1 MiB chunk digests of one algorithm, fed the digested bytes in order. Chunks never
    span two sections, so each chunk's length (in its ``0xa5`` prefix) is known as it starts."""

    def __init__(self, name: str, sections: Sections) -> None:
        self.name = name
        self.lengths = _chunk_lengths(sections)
        self.digests: list[bytes] = []
        self.current: Any = None
        self.length = self.filled = 0

    def update(self, data: memoryview) -> None:
        pos = 0
        while pos < len(data):
            if self.current is None:
                self.length = next(self.lengths)
                self.current = hashlib.new(self.name, b"\xa5" + struct.pack("<I", self.length))
                self.filled = 0
            take = min(self.length - self.filled, len(data) - pos)
            self.current.update(data[pos:pos + take])
            self.filled += take
            pos += take
            if self.filled == self.length:
                self.digests.append(self.current.digest())
                self.current = None

    def result(self) -> bytes:
        top = hashlib.new(self.name, b"\x5a" + struct.pack("<I", len(self.digests)))
        for d in self.digests:
            top.update(d)
        return top.digest()


def _chunk_lengths(sections: Sections) -> Any:
    for start, end in ((0, sections.signing_block), (sections.central_directory, sections.eocd),
                       (sections.eocd, sections.size)):
        size = end - start
        while size > 0:
            yield min(CHUNK, size)
            size -= CHUNK


class _Verity:
    """The fs-verity tree root over the digested bytes, 4 KiB leaves hashed as they stream by."""

    def __init__(self) -> None:
        self.salted = hashlib.sha256(_SALT)
        self.leaves = bytearray()
        self.partial = bytearray()
        self.total = 0

    def update(self, data: memoryview) -> None:
        self.total += len(data)
        pos = 0
        if self.partial:
            take = min(_PAGE - len(self.partial), len(data))
            self.partial += data[:take]
            pos = take
            if len(self.partial) == _PAGE:
                self._leaf(self.partial)
                self.partial = bytearray()
        end = pos + (len(data) - pos) // _PAGE * _PAGE
        for off in range(pos, end, _PAGE):
            self._leaf(data[off:off + _PAGE])
        self.partial += data[end:]

    def _leaf(self, page: bytes | bytearray | memoryview) -> None:
        h = self.salted.copy()
        h.update(page)
        self.leaves += h.digest()

    def result(self) -> bytes:
        if self.partial:
            self._leaf(bytes(self.partial) + bytes(_PAGE - len(self.partial)))
            self.partial = bytearray()
        level = bytes(self.leaves)
        if not level:
            level = bytes(32)  # an empty input still has one (empty) level above it
        while True:
            padded = level + bytes(-len(level) % _PAGE)
            if len(level) <= _PAGE:
                root = self.salted.copy()
                root.update(padded[:_PAGE])
                return root.digest() + struct.pack("<Q", self.total)
            nxt = bytearray()
            for off in range(0, len(padded), _PAGE):
                h = self.salted.copy()
                h.update(padded[off:off + _PAGE])
                nxt += h.digest()
            level = bytes(nxt)


class _Content:
    """Routes the file's bytes, in order, to the content digests: the signing block is skipped
    and the EOCD's central-directory offset is rewritten on the way."""

    def __init__(self, sections: Sections, algorithms: Collection[int]) -> None:
        self.sections = sections
        self.chunked = {a: _Chunked(_HASHES[a], sections) for a in algorithms
                        if a in _HASHES}
        self.verity = _Verity() if VERITY_CHUNKED_SHA256 in algorithms else None
        self.eocd = bytearray()

    def _emit(self, data: memoryview) -> None:
        for c in self.chunked.values():
            c.update(data)
        if self.verity is not None:
            self.verity.update(data)

    def feed(self, offset: int, data: memoryview) -> None:
        s = self.sections
        end = offset + len(data)
        for lo, hi in ((0, s.signing_block), (s.central_directory, s.eocd)):
            a, b = max(lo, offset), min(hi, end)
            if a < b:
                self._emit(data[a - offset:b - offset])
        a = max(s.eocd, offset)
        if a < end:
            self.eocd += data[a - offset:]

    def result(self) -> dict[int, bytes]:
        eocd = bytearray(self.eocd)
        if len(eocd) >= 22:
            struct.pack_into("<I", eocd, 16, self.sections.signing_block)
        self._emit(memoryview(bytes(eocd)))
        out = {a: c.result() for a, c in self.chunked.items()}
        if self.verity is not None:
            out[VERITY_CHUNKED_SHA256] = self.verity.result()
        return out


def _map(f: Any, offset: int, size: int) -> mmap.mmap:
    """A read-only map of ``size`` bytes at ``offset``, its pages faulted in at once where the
    platform can (one call instead of a fault per page)."""
    if sys.platform == "win32":
        return mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ, offset=offset)
    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    return mmap.mmap(f.fileno(), size, flags=flags, prot=mmap.PROT_READ, offset=offset)


def digest_file(path: Path, sections: Sections | None, algorithms: Collection[int], *,
                whole_sha256: bool) -> tuple[dict[int, bytes], str | None]:
    """One read of ``path``: the content digests of ``algorithms`` over ``sections`` (none when
    ``sections`` is None) and, with ``whole_sha256``, the hex SHA-256 of the whole file.

    The file is mapped a window at a time (the hashes read the page cache directly, and only a
    few windows are mapped at once: memory stays flat whatever the size). Raises OSError when the file
    cannot be read.
    """
    content = _Content(sections, algorithms) if sections is not None and algorithms else None
    whole = hashlib.sha256() if whole_sha256 else None
    if content is None and whole is None:
        return {}, None
    # Two consumers of each window: the whole-file hash on a worker thread, the content digests
    # here; with only one of them there is nothing to overlap and no thread is started.
    pool = None
    if content is not None and whole is not None:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
    in_flight: deque[tuple[Future[None] | None, mmap.mmap, memoryview]] = deque()

    def release(window: tuple[Future[None] | None, mmap.mmap, memoryview]) -> None:
        done, mapped, view = window
        if done is not None:
            done.result()
        view.release()
        mapped.close()

    try:
        with open(path, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            for offset in range(0, size, _WINDOW):
                mapped = _map(f, offset, min(_WINDOW, size - offset))
                view = memoryview(mapped)
                done = None
                if whole is not None:
                    if pool is not None:
                        done = pool.submit(whole.update, view)
                    else:
                        whole.update(view)
                in_flight.append((done, mapped, view))
                if content is not None:
                    content.feed(offset, view)
                # The worker may lag a few windows behind: a thread that loses its core for a
                # moment does not stall the other at every window.
                while len(in_flight) > _IN_FLIGHT:
                    release(in_flight.popleft())
            while in_flight:
                release(in_flight.popleft())
    finally:
        while in_flight:
            release(in_flight.popleft())
        if pool is not None:
            pool.shutdown(wait=True)
    digests = content.result() if content is not None else {}
    return digests, whole.hexdigest() if whole is not None else None
