"""Rebuild a record from the JSON ``inspector inspect --json`` wrote (schema ``inspector/1``), so
that a saved document of a few KB can stand in for the build it describes (``inspector diff``).

Fields are read by the records' own type hints; values a record derives (``days_left``, the
``summary`` and ``applivery`` blocks...) are ignored, and a field the document lacks takes the
record's default, so a document written by an older inspector still loads.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import os
import stat
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Union

from inspector.errors import ArtifactError
from inspector.format import Format

__all__ = ["is_inspect_json", "load_record", "record_from_json"]

_SCHEMA = "inspector/1"


def _record_class(fmt: object) -> type:
    try:
        kind = Format(fmt)  # type: ignore[arg-type]  # any JSON value: not a format is a ValueError
    except ValueError:
        raise ValueError(f"no record of format {fmt!r}") from None
    module, _, name = kind.info.record.rpartition(".")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # Resolving a class's hints evaluates every annotation: once per class, not per object.
    return typing.get_type_hints(cls)


def _build(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _build(option, value, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if errors else f"{where}: unexpected null")
    if origin is Literal:
        options = typing.get_args(hint)
        for option in options:
            if isinstance(value, str) and option == value:
                return option  # the hint's own value: a Format member for a format
        raise ValueError(f"{where}: {value!r} is not one of {tuple(str(o) for o in options)}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list")
        args = typing.get_args(hint)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else Any
        return tuple(_build(item, v, f"{where}[{n}]") for n, v in enumerate(value))
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object")
        args = typing.get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {k: _build(item, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(hint, value, where)
    if hint is datetime:
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected a date")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not an ISO 8601 date") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: expected a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text")
        return value
    return value


def _dataclass(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in value:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{where}.{f.name}: missing")
            continue
        kwargs[f.name] = _build(hints[f.name], value[f.name], f"{where}.{f.name}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def record_from_json(result: Mapping[str, Any]) -> Any:
    """One entry of an ``inspect --json`` document's ``results`` as the record it describes.

    Raises ``ValueError`` naming the field when the entry is not a record of this schema.
    """
    if "error" in result:
        raise ValueError("the entry is an error, not a record: inspect could not read that file")
    fmt = result.get("format")
    return _dataclass(_record_class(fmt), dict(result), str(fmt))


def is_inspect_json(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts like a JSON document (``{``) rather than a build. Anything but a
    regular file is not (a named pipe would block the read; inspect refuses it by name)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return False
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
    return head.startswith(b"{")


def load_record(path: str | os.PathLike[str]) -> Any:
    """The record an ``inspector inspect --json`` document holds (exactly one result).

    Raises :class:`ArtifactError` naming the file when it is not such a document.
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read(_MAX_JSON + 1)
    except OSError as exc:
        raise ArtifactError(f"cannot read ({exc.strerror or exc})", path=str(p)) from exc
    if len(data) > _MAX_JSON:
        raise ArtifactError(f"a saved inspect --json document larger than {_MAX_JSON} bytes",
                            path=str(p))
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"not valid JSON ({exc})", path=str(p)) from None
    if not isinstance(doc, dict) or doc.get("schema") != _SCHEMA:
        raise ArtifactError(f"not an inspect --json document (schema {_SCHEMA!r} expected)",
                            path=str(p))
    results = doc.get("results")
    if not isinstance(results, list) or len(results) != 1 or not isinstance(results[0], dict):
        count = len(results) if isinstance(results, list) else 0
        raise ArtifactError(f"the document holds {count} results; a baseline is one build "
                            "(inspect --json one file)", path=str(p))
    try:
        return record_from_json(results[0])
    except ValueError as exc:
        raise ArtifactError(f"not a record inspector can rebuild: {exc}", path=str(p)) from None


#: A saved record is KB; a document this large is not one (and is not read whole).
_MAX_JSON = 64 * 1024 * 1024
