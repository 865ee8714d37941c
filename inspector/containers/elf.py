"""The ELF facts install readiness needs from a native library: its class, machine and the
alignment of its LOAD segments (16 KB page devices map each segment at its ``p_align``).

Reads the ELF header and the program header table from the first bytes of the file only (both sit
at its start in every linker's output); nothing else of the library.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from inspector.errors import ArtifactError

__all__ = ["HEAD_BYTES", "ElfHeader", "read_elf"]

#: Bytes read from the start of a library: the header and a program header table of up to
#: ~1000 entries of a 64-bit ELF (real ones have about ten).
HEAD_BYTES = 64 << 10
_PT_LOAD = 1
_MAX_PHNUM = 0xFFFF


class ElfHeader(NamedTuple):
    #: 32 or 64.
    bits: int
    #: ``e_machine`` (183 aarch64, 62 x86-64, 40 arm, 3 x86).
    machine: int
    #: ``p_align`` of each PT_LOAD program header, in order.
    load_alignments: tuple[int, ...]


def read_elf(head: bytes) -> ElfHeader:
    """The class, machine and LOAD alignments of the ELF whose first bytes are ``head``.

    Raises ArtifactError (the caller names the member) when ``head`` is not an ELF file or its
    program header table does not lie within it.
    """
    if len(head) < 16 or head[:4] != b"\x7fELF":
        raise ArtifactError("not an ELF file (no \\x7fELF magic)")
    cls, data = head[4], head[5]
    if cls not in (1, 2) or data not in (1, 2):
        raise ArtifactError(f"ELF class {cls} or byte order {data} is not valid")
    order = "<" if data == 1 else ">"
    if cls == 2:
        header, fmt, entry_fmt = 64, order + "HHIQQQIHHHHHH", order + "IIQQQQQQ"
    else:
        header, fmt, entry_fmt = 52, order + "HHIIIIIHHHHHH", order + "IIIIIIII"
    if len(head) < header:
        raise ArtifactError(f"ELF header is truncated ({len(head)} bytes)")
    (_, machine, _, _, phoff, _, _, _, phentsize, phnum, _, _, _) = struct.unpack_from(fmt, head, 16)
    entry = struct.calcsize(entry_fmt)
    if phnum and phentsize < entry:
        raise ArtifactError(f"ELF program header entries of {phentsize} bytes are too small")
    end = phoff + phnum * phentsize
    if phnum > _MAX_PHNUM or end > len(head):
        raise ArtifactError(f"ELF program header table (offset {phoff}, {phnum} entries) lies "
                            f"outside the first {len(head)} bytes")
    aligns = []
    for i in range(phnum):
        fields = struct.unpack_from(entry_fmt, head, phoff + i * phentsize)
        p_type = fields[0]
        # 64-bit: type, flags, offset, vaddr, paddr, filesz, memsz, align;
        # 32-bit: type, offset, vaddr, paddr, filesz, memsz, flags, align.
        if p_type == _PT_LOAD:
            aligns.append(fields[7])
    return ElfHeader(32 if cls == 1 else 64, machine, tuple(aligns))
