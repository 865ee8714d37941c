"""What every record shares: the file it came from, and the generic walk to JSON-able data."""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from inspector.dates import days_left, expired  # re-exported: records.base was their home

__all__ = ["FileInfo", "days_left", "expired", "file_sha256", "jsonable"]

@dataclass(frozen=True, slots=True)
class FileInfo:
    """The artifact on disk: its path as given, base name, size in bytes, SHA-256 (hex) if computed."""

    path: str
    name: str
    size: int
    sha256: str | None = None

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileInfo:
        p = Path(path)
        return cls(path=str(path), name=p.name, size=p.stat().st_size)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, streamed in 1 MiB chunks (never the whole file in memory)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jsonable(value: Any, now: datetime | None = None) -> Any:
    """Turn a record (or any value inside one) into JSON-able data.

    Dataclass fields keep their names; a record may add derived values (days left...) through a
    ``json_extras(now)`` method. Datetimes become ISO 8601 UTC strings with ``Z``, bytes become
    base64, enums their value, tuples and sets lists, non-finite floats the strings ``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``. Cycles cannot occur: records are trees.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsonable(getattr(value, f.name), now) for f in dataclasses.fields(value)
               if not f.name.startswith("_")}
        extras = getattr(value, "json_extras", None)
        if extras is not None:
            out.update({k: jsonable(v, now) for k, v in extras(now).items()})
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        # A plist <real> may hold nan or inf; JSON has no such numbers, so they become strings.
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, now) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, now) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
