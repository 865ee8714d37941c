"""Apple app-id patterns, as provisioning profiles write them: read by parsers and checks alike."""

from __future__ import annotations

__all__ = ["covers"]


def covers(pattern: str, value: str) -> bool:
    """Whether an app-id ``pattern`` (``*`` only as its last character) covers ``value``."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern
