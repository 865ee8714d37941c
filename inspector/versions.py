"""Dotted version numbers compared as numbers: ``15.0.1``, a CFBundleVersion ``2.10``, a versionCode."""

from __future__ import annotations

from inspector.limits import MAX_INT_DIGITS

__all__ = ["version_tuple"]


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """``15.0.1`` -> ``(15, 0, 1)``; trailing zeros dropped (``15.0`` equals ``15``); None when the
    text is not dotted whole numbers."""
    if not text:
        return None
    parts = text.strip().split(".")
    # Bounded: int() of a part of thousands of digits costs its square, and raises past 4300.
    if len(parts) > 64 or not all(p.isascii() and p.isdigit() and len(p) <= MAX_INT_DIGITS for p in parts):
        return None
    numbers = [int(p) for p in parts]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)
