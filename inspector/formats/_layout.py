"""Install readiness facts read from the archive's layout: where ``resources.arsc`` and every
stored entry lie, and each native library's ELF LOAD alignment (a few KB of each library)."""

from __future__ import annotations

import re

from inspector.containers.elf import HEAD_BYTES, read_elf
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.records.android import EntryLayout, NativeLibrary

__all__ = ["APK_LIBS", "BUNDLE_LIBS", "entry_layouts", "native_libraries"]

APK_LIBS = re.compile(r"^lib/([^/]+)/[^/]+\.so$")
BUNDLE_LIBS = re.compile(r"^[^/]+/lib/([^/]+)/[^/]+\.so$")
RESOURCES = "resources.arsc"
#: The ELF header and program headers of real libraries lie in their first KB.
_FIRST_READ = 4096


def _layout(archive: ZipArchive, name: str) -> EntryLayout:
    info = archive.info(name)
    return EntryLayout(name, info.compress_type != 0, archive.data_offset(name))


def entry_layouts(archive: ZipArchive) -> tuple[EntryLayout | None, tuple[EntryLayout, ...]]:
    """``resources.arsc``'s layout (None when absent) and every stored entry whose data does not
    start on a 4-byte boundary, in archive order (what ``zipalign -c 4`` reports)."""
    table = _layout(archive, RESOURCES) if RESOURCES in archive else None
    unaligned = []
    for info in archive.infos():
        if info.compress_type == 0:
            offset = archive.data_offset(info.filename)
            if offset % 4:
                unaligned.append(EntryLayout(info.filename, False, offset))
    return table, tuple(unaligned)


def native_libraries(archive: ZipArchive, pattern: re.Pattern[str],
                     warnings: list[str]) -> tuple[NativeLibrary, ...]:
    """Every member ``pattern`` matches (group 1 the ABI), with its ELF class and LOAD alignment.
    A library that is not a readable ELF gets a warning naming it; one with no LOAD segment has
    no alignment to judge (``load_alignment`` None)."""
    out = []
    for name in archive.names:
        match = pattern.match(name)
        if not match:
            continue
        bits = alignment = None
        try:
            head = archive.read_head(name, _FIRST_READ)
            try:
                elf = read_elf(head)
            except ArtifactError:
                if len(head) < _FIRST_READ:
                    raise
                elf = read_elf(archive.read_head(name, HEAD_BYTES))
            bits = elf.bits
            alignment = min(elf.load_alignments, default=None)
        except ArtifactError as exc:
            warnings.append(f"{name}: {exc.problem}")
        out.append(NativeLibrary(name, match.group(1), _layout(archive, name), bits, alignment))
    return tuple(out)
