"""Property lists from untrusted bytes: XML or binary, via the standard library, with guards."""

from __future__ import annotations

import io
import plistlib
from typing import Any
from xml.parsers.expat import ExpatError

from inspector.errors import ArtifactError
from inspector.limits import MAX_PLIST_BYTES, MAX_PLIST_DEPTH, MAX_PLIST_NODES, charge

__all__ = ["MAX_PLIST_BYTES", "MAX_PLIST_NODES", "load_plist", "load_plist_dict"]

_MAX_DEPTH = MAX_PLIST_DEPTH


def _check_tree(root: Any) -> None:
    # Binary plists can hold reference cycles, and deep nesting would blow the recursion limit of
    # every later walk (JSON, reports): refuse both here, once. They can also share one subtree
    # under many parents (a DAG): every later walk visits it once per path, so a few hundred
    # bytes can stand for billions of nodes. Count nodes per path, as those walks will see them.
    budget = MAX_PLIST_NODES
    stack: set[int] = set()
    # (value, depth, leaving): an explicit stack, so that the walk itself cannot recurse too deep.
    todo: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while todo:
        value, depth, leaving = todo.pop()
        if leaving:
            stack.discard(id(value))
            continue
        budget -= 1
        if budget < 0:
            raise ArtifactError(f"plist holds more than {MAX_PLIST_NODES} values (counting shared "
                                "ones once per place they appear)")
        if depth > _MAX_DEPTH:
            raise ArtifactError(f"plist nests deeper than {_MAX_DEPTH} levels")
        if isinstance(value, int) and value.bit_length() > 128:
            # Plist integers are at most 128 bits; an XML <integer>0x...</integer> is not bounded,
            # and Python refuses to print an int of over 4300 digits (JSON, text reports).
            raise ArtifactError(f"plist integer of {value.bit_length()} bits (at most 128)")
        if isinstance(value, dict | list):
            if id(value) in stack:
                raise ArtifactError("plist contains a reference cycle")
            if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
                # A binary plist may key a dictionary by anything; Apple's format says strings.
                raise ArtifactError("plist dictionary has a key that is not a string")
            stack.add(id(value))
            todo.append((value, depth, True))
            children = value.values() if isinstance(value, dict) else value
            todo.extend((child, depth + 1, False) for child in children)


def _looks_xml(data: bytes) -> bool:
    # plistlib recognises XML by "<?xml" or "<plist" (after a BOM, in UTF-8 or UTF-16); plistutil
    # and Apple's parser also read a plist that opens with its DOCTYPE line.
    doctype = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<!DOCTYPE")
    return doctype or plistlib._is_fmt_xml(data[:32])  # type: ignore[attr-defined]


# plistlib's own parsers (private names, alike in Python 3.11 to 3.13), counting values as they are
# read: a tree of millions of nodes is refused while it is being built, not after. The binary
# reader reads a dictionary's keys like its values, so it allows twice the node limit; the walk
# after the parse counts shared subtrees once per path, as later readers will see them.
_MAX_READ = 2 * MAX_PLIST_NODES + 16


def _too_many() -> ArtifactError:
    return ArtifactError(f"plist holds more than {MAX_PLIST_NODES} values (counted as it is read)")


class _CountingXml(plistlib._PlistParser):  # type: ignore[name-defined,misc]
    counted = 0  # elements, for the artifact's budget
    values = 0  # elements that are values (not <key>), for this plist's node limit

    def handle_begin_element(self, element: str, attrs: dict[str, str]) -> None:
        self.counted += 1
        if element != "key":
            self.values += 1
            if self.values > MAX_PLIST_NODES + 1:  # <plist> itself is no value
                raise _too_many()
        super().handle_begin_element(element, attrs)


class _CountingBinary(plistlib._BinaryPlistParser):  # type: ignore[name-defined,misc]
    counted = 0

    def _read_object(self, ref: int) -> Any:
        # Called once per reference, a shared object's included (it returns from a cache then).
        self.counted += 1
        if self.counted > _MAX_READ:
            raise _too_many()
        return super()._read_object(ref)


def load_plist(data: bytes, *, member: str | None = None) -> Any:
    """Parse an XML or binary plist; every failure is an ArtifactError naming ``member``."""
    if len(data) > MAX_PLIST_BYTES:
        raise ArtifactError(f"plist is {len(data)} bytes, over the {MAX_PLIST_BYTES}-byte limit",
                            member=member)
    if not data.strip():
        raise ArtifactError("plist is empty", member=member)
    # An entity declaration ("billion laughs") is refused by plistlib's own parser as expat reads
    # the declaration, before any expansion (tests/test_hardening.py holds it to that).
    binary = data[:8] == b"bplist00"
    if not binary and not _looks_xml(data):
        raise ArtifactError("not a readable plist (InvalidFileException: Invalid file)", member=member)
    parser = _CountingBinary(dict) if binary else _CountingXml(dict)
    try:
        value = parser.parse(io.BytesIO(data))
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError, KeyError,
            IndexError, OverflowError, RecursionError, UnicodeDecodeError, AttributeError,
            LookupError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not know.
        raise ArtifactError(f"not a readable plist ({type(exc).__name__}: {exc})",
                            member=member) from exc
    except ArtifactError as exc:
        raise exc.in_member(member) if member else exc from None
    charge("XML elements", parser.counted)
    try:
        _check_tree(value)
    except ArtifactError as exc:
        raise exc.in_member(member) if member else exc from None
    return value


def load_plist_dict(data: bytes, *, member: str | None = None) -> dict[str, Any]:
    """Like :func:`load_plist`, but the top level must be a dictionary."""
    value = load_plist(data, member=member)
    if not isinstance(value, dict):
        raise ArtifactError(f"plist top level is a {type(value).__name__}, not a dictionary",
                            member=member)
    return value
