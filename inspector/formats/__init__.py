"""One parser per format, behind one interface: ``parse(source) -> record``.

A format module is imported only when a file of that format is inspected, so that reading an IPA
never pays for the Android readers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from inspector.containers.zip import ZipArchive
from inspector.errors import UnsupportedFormatError
from inspector.format import Format
from inspector.limits import MAX_KEPT_SIGNATURE_BYTES
from inspector.records.base import FileInfo

if TYPE_CHECKING:
    from inspector.containers.macho import SignedSlice

__all__ = ["Scratch", "Source", "icon_extractor", "icon_searcher", "parser_for", "verifier_for"]


class Scratch:
    """What the parser of one artifact read that its verifier would read again, handed from one
    to the other. :func:`inspector.inspect` makes one per artifact and drops it with the
    artifact's :class:`Source`: nothing in it outlives the inspection or meets another artifact.

    Only what a second read would give byte for byte belongs here. What the parser did not read,
    read without reaching the end where zipfile checks a member's CRC, or could not keep within
    :data:`~inspector.limits.MAX_KEPT_SIGNATURE_BYTES`, is absent, and the verifier reads it
    itself as it would with no scratch at all.
    """

    __slots__ = ("_kept", "signed_slices")

    def __init__(self) -> None:
        #: Zip member -> :func:`inspector.containers.macho.read_signed_slices` of it.
        self.signed_slices: dict[str, tuple[SignedSlice, ...]] = {}
        self._kept = 0

    def keep_signed_slices(self, member: str, slices: tuple[SignedSlice, ...]) -> None:
        """Keep what :func:`~inspector.containers.macho.read_signed_slices` returned for the zip
        ``member`` when that read ended at the member's end (zipfile has checked its CRC), while
        the signature regions kept stay within MAX_KEPT_SIGNATURE_BYTES."""
        size = sum(len(s.signature) for s in slices)
        if member not in self.signed_slices and self._kept + size <= MAX_KEPT_SIGNATURE_BYTES:
            self._kept += size
            self.signed_slices[member] = slices


class Source(NamedTuple):
    """What a parser gets: the path, the file's size and digest, and the open zip if any."""

    path: Path
    file: FileInfo
    archive: ZipArchive | None = None
    #: The caller wants the whole file's SHA-256: a verifier that reads the whole file anyway
    #: fills ``record.file.sha256`` from that one read (inspect() computes it otherwise).
    digest: bool = False
    #: Where the parser leaves what the verifier may reuse (made per inspection: a default
    #: instance would be shared by every Source); None shares nothing.
    scratch: Scratch | None = None


def _module(kind: Format, path: Path) -> Any:
    module_name = kind.info.parser
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UnsupportedFormatError(
            f"{kind.info.human_name} files are recognised but not supported yet", path=str(path)
        ) from None


def parser_for(kind: Format, path: Path) -> Callable[[Source], Any]:
    """The ``parse`` function of the format's module (raises UnsupportedFormatError if absent)."""
    return _module(kind, path).parse  # type: ignore[no-any-return]


def icon_searcher(kind: Format, path: Path) -> Callable[[Path, Any], tuple[str, bytes] | str] | None:
    """The format's ``icon_search(path, record) -> (member, image bytes) | why not``, for a format
    whose reasons for having no icon are found while looking (a PKG's payload), if it has one."""
    return getattr(_module(kind, path), "icon_search", None)


def icon_extractor(kind: Format, path: Path) -> Callable[[Path, Any], tuple[str, bytes] | None] | None:
    """The format's ``icon_image(path, record) -> (member, image bytes) | None``, if it has one."""
    return getattr(_module(kind, path), "icon_image", None)


def verifier_for(kind: Format, path: Path) -> Callable[[Source, Any], Any] | None:
    """The format's ``verify(source, record) -> record``, which fills in the record's
    ``verification`` facts (every signature, digest and seal it can check), if it has one."""
    return getattr(_module(kind, path), "verify", None)
