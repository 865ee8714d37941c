"""Read a zip archive in place: the central directory, then only the members asked for.

Wraps :mod:`zipfile` (which seeks; it never loads the archive) with the guards an untrusted build
needs: a size cap per member and a compression-ratio cap against zip bombs, and every zipfile
failure turned into an :class:`ArtifactError` naming the member.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from inspector.containers._file import ArtifactFile
from inspector.errors import ArtifactError
from inspector.limits import (
    DEFAULT_MEMBER_LIMIT,
    MAX_DIGESTED_BYTES,
    MAX_INFLATED_BYTES,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_READ_BYTES,
    MAX_SHARED_LOCAL_HEADERS,
)

__all__ = ["DEFAULT_MEMBER_LIMIT", "MAX_RATIO", "ZipArchive", "is_zip"]


_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def is_zip(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a file) starts like a zip archive."""
    return head[:4] in _ZIP_MAGICS


_CENTRAL = struct.Struct("<4s24xHHH8xI")  # signature, then name, extra and comment lengths, offset


def _check_central_directory(fh: BinaryIO) -> None:
    """Count the central directory's entries, and those that share a local header, before
    zipfile builds an object for each (about 9 us and 700 bytes an entry): a crafted directory of
    hundreds of thousands of entries naming one local header is refused here, in a fraction of
    that. Anything this walk cannot follow is left for zipfile to report."""
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
    except OSError:
        return
    if not end:
        return
    size, offset = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]  # type: ignore[attr-defined]
    start = end[zipfile._ECD_LOCATION] - size  # type: ignore[attr-defined]
    if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
    if start < 0 or offset < 0:
        return
    fh.seek(start)
    data = fh.read(size)
    unpack, fixed = _CENTRAL.unpack_from, _CENTRAL.size
    last = len(data) - fixed  # the last offset a whole fixed part of an entry fits at
    seen: set[int] = set()
    entries = shared = pos = 0
    while pos <= last:
        magic, name, extra, comment, local = unpack(data, pos)
        if magic != b"PK\x01\x02":
            return
        entries += 1
        if entries > MAX_MEMBERS:
            raise ArtifactError(f"zip archive lists more than {MAX_MEMBERS} entries")
        if local not in seen:
            seen.add(local)
        elif local != 0xFFFFFFFF:  # zip64 entries keep the real offset in an extra field
            shared += 1
            if shared > MAX_SHARED_LOCAL_HEADERS:
                raise ArtifactError(
                    f"more than {MAX_SHARED_LOCAL_HEADERS} zip entries share a local header "
                    "with another entry (no zip tool writes that; a zip bomb does)")
        pos += fixed + name + extra + comment


class ZipArchive(ArtifactFile):
    """An open zip archive; use as a context manager. Names are as stored (``/`` separated)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self.inflated = 0  # bytes inflated so far, by declared size (MAX_INFLATED_BYTES)
        self.read_whole = 0  # of those, bytes read whole into memory (MAX_READ_BYTES)
        self.digested = 0  # bytes streamed to check their digests (MAX_DIGESTED_BYTES)
        try:
            _check_central_directory(self._fh)
        except ArtifactError as exc:
            self._fh.close()
            raise exc.at(self.path) from None
        try:
            self._zip = zipfile.ZipFile(self._fh)
        except zipfile.BadZipFile as exc:
            self._fh.close()
            if str(exc) == "File is not a zip file":
                # zipfile's words when it finds no end-of-central-directory record, which is
                # what an interrupted download or copy leaves behind.
                raise ArtifactError(
                    "not a readable zip archive: the end-of-central-directory record is missing; "
                    "the file looks truncated (an interrupted download or copy?)", path=self.path,
                ) from exc
            raise ArtifactError(f"not a readable zip archive ({exc})", path=self.path) from exc
        except NotImplementedError as exc:
            self._fh.close()
            raise ArtifactError(f"zip archive uses an unsupported feature ({exc})", path=self.path) from exc
        except (OSError, EOFError, ValueError, struct.error) as exc:
            self._fh.close()
            raise ArtifactError(f"truncated or corrupt zip archive ({exc})", path=self.path) from exc
        listed = self._zip.infolist()
        if len(listed) > MAX_MEMBERS:
            self.close()
            raise ArtifactError(f"zip archive lists {len(listed)} entries (at most {MAX_MEMBERS})",
                                path=self.path)
        # One entry per name: the one zipfile's getinfo() reads (the last listed). Every parser
        # then meets a name once, however many times a hostile central directory repeats it.
        by_name = {info.filename: info for info in listed}
        dupes: set[str] = set()
        if len(by_name) != len(listed):  # a name repeated (rare): each in its last entry's place
            by_name = {}
            for info in listed:
                if info.filename in by_name:
                    dupes.add(info.filename)
                    del by_name[info.filename]  # keep central-directory order of the last one
                by_name[info.filename] = info
        self._infos = list(by_name.values())
        self._names = set(by_name)
        # Almost no archive has such a name: one scan of all the names joined says whether to look.
        every_name = "".join([i.orig_filename for i in self._infos])
        if "\0" in every_name or "\r" in every_name or "\n" in every_name:
            odd = [i.orig_filename for i in self._infos if any(c in i.orig_filename for c in "\0\r\n")]
            # zipfile cuts names at NUL; Android's zip reader refuses such archives outright.
            self.warnings.append(
                "entry names with NUL, CR or LF bytes (Android refuses to install such an archive): "
                + ", ".join(repr(n) for n in odd[:5])
            )
        if dupes:
            self.warnings.append(
                f"{len(listed) - len(self._infos)} duplicate zip entries (readers may disagree on "
                "which one counts; the last of each is read): "
                + ", ".join(repr(n) for n in sorted(dupes)[:5])
            )

    def close(self) -> None:
        self._zip.close()
        super().close()

    # -- listing ---------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every member name, in central-directory order."""
        return [i.filename for i in self._infos]

    def infos(self) -> Iterator[zipfile.ZipInfo]:
        return iter(self._infos)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self._zip.getinfo(name)
        except KeyError:
            raise ArtifactError("member is missing", path=self.path, member=name) from None

    @property
    def central_directory_offset(self) -> int:
        """File offset of the central directory (where the APK Signing Block ends)."""
        return self._zip.start_dir

    # -- reading ---------------------------------------------------------------------------
    def _charge(self, info: zipfile.ZipInfo, *, whole: bool, size: int | None = None) -> None:
        """Count a member against the artifact's budget before inflating it (zipfile never
        yields more than the declared size, so the declared size is what it can cost; ``size``
        when only that many bytes of its start will be read)."""
        if info.flag_bits & 0x1:
            raise ArtifactError("member is encrypted (the zip encryption flag is set): cannot read it",
                                path=self.path, member=info.filename)
        cost = info.file_size if size is None else min(size, info.file_size)
        if self.inflated + cost > MAX_INFLATED_BYTES:
            raise ArtifactError(
                f"reading this member ({cost} bytes) would take the bytes inflated from "
                f"this archive past its budget of {MAX_INFLATED_BYTES} bytes",
                path=self.path, member=info.filename,
            )
        if whole and self.read_whole + cost > MAX_READ_BYTES:
            raise ArtifactError(
                f"reading this member ({cost} bytes) would take the bytes read from this "
                f"archive past its budget of {MAX_READ_BYTES} bytes",
                path=self.path, member=info.filename,
            )
        self.inflated += cost
        if whole:
            self.read_whole += cost

    def read(self, name: str, *, limit: int = DEFAULT_MEMBER_LIMIT) -> bytes:
        """The member's uncompressed bytes, refusing members over ``limit`` or bomb-like ratios."""
        info = self.info(name)
        if info.file_size > limit:
            raise ArtifactError(
                f"member is {info.file_size} bytes uncompressed, over the {limit}-byte limit",
                path=self.path, member=name,
            )
        if info.compress_size and info.file_size > (1 << 20) and (
            info.file_size / info.compress_size > MAX_RATIO
        ):
            raise ArtifactError(
                f"compression ratio {info.file_size // info.compress_size}:1 looks like a zip bomb",
                path=self.path, member=name,
            )
        self._charge(info, whole=True)
        try:
            with self._zip.open(info) as fh:
                data = fh.read(limit + 1)
        except zipfile.BadZipFile as exc:
            raise ArtifactError(f"corrupt zip member ({exc})", path=self.path, member=name) from exc
        except NotImplementedError as exc:
            if info.compress_size == info.file_size:
                # Android reads an entry with an unknown method whose sizes agree as stored; some
                # packers rely on that to break other tools. Do what the device does, and say so.
                data = self._read_stored(info)
                self.warnings.append(
                    f"{name}: unknown compression method {info.compress_type}, read as stored "
                    "(as Android does)"
                )
                return data
            raise ArtifactError(f"unsupported compression ({exc})", path=self.path,
                                member=name) from exc
        except (zlib.error, EOFError, OSError, ValueError, struct.error, RuntimeError) as exc:
            raise ArtifactError(f"corrupt or truncated member ({exc})", path=self.path,
                                member=name) from exc
        if len(data) > limit:
            raise ArtifactError(
                f"member inflates past the {limit}-byte limit (header says {info.file_size})",
                path=self.path, member=name,
            )
        return data

    def read_head(self, name: str, size: int) -> bytes:
        """The first ``size`` bytes of the member (all of it when shorter), such as an image's
        or a library's header; only those count against the budget. Read errors are
        ArtifactErrors naming the member."""
        with self._open(name, size) as fh:
            try:
                return fh.read(size)
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError, OSError,
                    ValueError, struct.error, RuntimeError) as exc:
                raise ArtifactError(f"corrupt or truncated member ({exc})", path=self.path,
                                    member=name) from exc

    def open(self, name: str) -> BinaryIO:
        """A forward-reading stream of the member (for members too large to read at once, such as
        an executable whose code signature sits at its end). Read errors surface on read."""
        return self._open(name, None)

    def _open(self, name: str, size: int | None) -> BinaryIO:
        info = self.info(name)
        self._charge(info, whole=False, size=size)
        try:
            return self._zip.open(info)  # type: ignore[return-value]
        except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, struct.error,
                RuntimeError) as exc:
            raise ArtifactError(f"cannot open member ({exc})", path=self.path, member=name) from exc

    def data_offset(self, name: str) -> int:
        """Where the member's data starts in the file: after its local header, whose name and
        extra field lengths may differ from the central directory's (zipalign pads the extra
        field to align the data)."""
        info = self.info(name)
        header = self.read_raw(info.header_offset, 30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise ArtifactError("bad local file header", path=self.path, member=name)
        lengths: tuple[int, int] = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + sum(lengths)

    def chunks(self, name: str, size: int = 1 << 20) -> Iterator[bytes]:
        """The member's uncompressed bytes in pieces of at most ``size``, for digesting every
        entry of an archive (a signature check) without holding one whole. Counted against
        MAX_DIGESTED_BYTES, not the inflate budget of parsing; a bomb-like ratio, an encrypted or
        corrupt member (a CRC mismatch included) raises ArtifactError naming the member."""
        info = self.info(name)
        if info.flag_bits & 0x1:
            raise ArtifactError("member is encrypted (the zip encryption flag is set): cannot read it",
                                path=self.path, member=name)
        if info.compress_size and info.file_size > (1 << 20) and (
            info.file_size / info.compress_size > MAX_RATIO
        ):
            raise ArtifactError(
                f"compression ratio {info.file_size // info.compress_size}:1 looks like a zip bomb",
                path=self.path, member=name,
            )
        if self.digested + info.file_size > MAX_DIGESTED_BYTES:
            raise ArtifactError(
                f"digesting this member ({info.file_size} bytes) would take the bytes inflated to "
                f"check digests past their budget of {MAX_DIGESTED_BYTES} bytes",
                path=self.path, member=name,
            )
        self.digested += info.file_size
        try:
            with self._zip.open(info) as fh:
                while piece := fh.read(size):
                    yield piece
        except NotImplementedError as exc:
            if info.compress_size != info.file_size:
                raise ArtifactError(f"unsupported compression ({exc})", path=self.path,
                                    member=name) from exc
            # Read as stored, as Android does (see read()), in pieces like the rest.
            start = self.data_offset(name)
            for at in range(0, info.compress_size, size):
                piece = self.read_raw(start + at, min(size, info.compress_size - at))
                if not piece:
                    raise ArtifactError("member data is truncated", path=self.path,
                                        member=name) from exc
                yield piece
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
                RuntimeError) as exc:
            raise ArtifactError(f"corrupt or truncated member ({exc})", path=self.path,
                                member=name) from exc

    def _read_stored(self, info: zipfile.ZipInfo) -> bytes:
        header = self.read_raw(info.header_offset, 30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise ArtifactError("bad local file header", path=self.path, member=info.filename)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        data = self.read_raw(start, info.compress_size)
        if len(data) != info.compress_size:
            raise ArtifactError("member data is truncated", path=self.path, member=info.filename)
        return data
