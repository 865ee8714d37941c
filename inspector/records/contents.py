"""What an archive holds by size, read from its zip central directory, and its icon's digest:
the facts a comparison of two builds needs that no other part of a record carries."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTENTS_LARGEST", "Contents", "Sizes"]

#: How many of the largest members a record keeps (the diff names the largest that grew).
CONTENTS_LARGEST = 20


@dataclass(frozen=True, slots=True)
class Sizes:
    """Bytes of a category or a member: ``compressed`` as stored, ``uncompressed`` once
    inflated, over ``members`` zip entries (1 for a member)."""

    name: str
    members: int
    compressed: int
    uncompressed: int


@dataclass(frozen=True, slots=True)
class Contents:
    """An archive's members by size, as its central directory declares them (nothing inflated).

    ``categories`` splits every entry into ``code`` (dex files, bundle executables),
    ``native/<abi>`` (Android native libraries per ABI), ``resources``, ``assets``,
    ``frameworks`` (an Apple bundle's ``Frameworks/``) and ``other`` (signatures, metadata,
    anything else), each with its totals; ``largest`` holds the
    :data:`CONTENTS_LARGEST` largest files (folders left out) by uncompressed size (then by name), and
    ``truncated`` says whether there were more. ``icon_member`` is the icon file inspector would
    extract and ``icon_sha256`` the SHA-256 of its bytes as stored, so that a changed icon shows
    in a comparison.
    """

    members: int
    compressed: int
    uncompressed: int
    categories: tuple[Sizes, ...]
    largest: tuple[Sizes, ...]
    truncated: bool = False
    icon_member: str | None = None
    icon_sha256: str | None = None
