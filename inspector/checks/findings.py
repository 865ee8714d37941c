"""What a check says: a finding (stable code, severity, field, expected, actual, one line of text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["SEVERITIES", "Finding", "Severity"]

Severity = Literal["error", "warning", "info"]
#: Most severe first: the order reports sort by.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or note) about one artifact.

    ``code`` is stable across releases (``IOS004``); ``field`` names the fact it is about
    (``CFBundleIdentifier``, ``targetSdkVersion``, ``profile 'X' (app)``); ``expected`` and
    ``actual`` are text, None where a rule has nothing to compare; ``message`` is the one line a
    person reads, complete on its own.
    """

    code: str
    severity: Severity
    field: str
    message: str
    expected: str | None = None
    actual: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
