"""One parser per format, behind one interface: ``parse(source) -> record``.

A format module is imported only when a file of that format is inspected, so that reading an IPA
never pays for the Android readers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from inspector.containers.zip import ZipArchive
from inspector.errors import UnsupportedFormatError
from inspector.format import Format
from inspector.records.base import FileInfo

__all__ = ["Source", "icon_extractor", "icon_searcher", "parser_for", "verifier_for"]


class Source(NamedTuple):
    """What a parser gets: the path, the file's size and digest, and the open zip if any."""

    path: Path
    file: FileInfo
    archive: ZipArchive | None = None
    #: The caller wants the whole file's SHA-256: a verifier that reads the whole file anyway
    #: fills ``record.file.sha256`` from that one read (inspect() computes it otherwise).
    digest: bool = False


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
