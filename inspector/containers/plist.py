"""Property lists from untrusted bytes: XML or binary, via the standard library, with guards."""

from __future__ import annotations

import plistlib
from typing import Any
from xml.parsers.expat import ExpatError

from inspector.errors import ArtifactError

__all__ = ["MAX_PLIST_BYTES", "load_plist", "load_plist_dict"]

#: Info.plist and profiles are kilobytes; anything this large is not one.
MAX_PLIST_BYTES = 16 << 20
_MAX_DEPTH = 64


def _check_tree(value: Any, depth: int, stack: set[int]) -> None:
    # Binary plists can hold reference cycles, and deep nesting would blow the recursion limit of
    # every later walk (JSON, reports): refuse both here, once.
    if depth > _MAX_DEPTH:
        raise ArtifactError(f"plist nests deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict | list):
        if id(value) in stack:
            raise ArtifactError("plist contains a reference cycle")
        stack.add(id(value))
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            _check_tree(child, depth + 1, stack)
        stack.discard(id(value))


def load_plist(data: bytes, *, member: str | None = None) -> Any:
    """Parse an XML or binary plist; every failure is an ArtifactError naming ``member``."""
    if len(data) > MAX_PLIST_BYTES:
        raise ArtifactError(f"plist is {len(data)} bytes, over the {MAX_PLIST_BYTES}-byte limit",
                            member=member)
    if not data.strip():
        raise ArtifactError("plist is empty", member=member)
    head = data.lstrip()[:4096]
    if b"<!ENTITY" in head:
        # plistlib uses expat, which expands internal entities: refuse "billion laughs" outright.
        raise ArtifactError("plist declares XML entities (refused)", member=member)
    try:
        value = plistlib.loads(data)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError, KeyError, LookupError,
            IndexError, OverflowError, RecursionError, UnicodeDecodeError, AttributeError) as exc:
        raise ArtifactError(f"not a readable plist ({type(exc).__name__}: {exc})",
                            member=member) from exc
    _check_tree(value, 0, set())
    return value


def load_plist_dict(data: bytes, *, member: str | None = None) -> dict[str, Any]:
    """Like :func:`load_plist`, but the top level must be a dictionary."""
    value = load_plist(data, member=member)
    if not isinstance(value, dict):
        raise ArtifactError(f"plist top level is a {type(value).__name__}, not a dictionary",
                            member=member)
    return value
