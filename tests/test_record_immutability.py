"""Records are frozen all the way down: every value inside is a tuple, a read-only mapping or an
immutable scalar, so a record can be hashed (a set of builds, a cache key) and nothing a caller
holds can change what the next report says.

Every record class is hashable: no record holds a value that has to stay mutable (the plists an
IPA carries are kept as read-only trees, records/frozen.py). Checked on every record inspect
returns for every committed fixture, and for the shared corpus when it is present.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import inspector
from inspector.errors import ArtifactError
from inspector.records.frozen import FrozenMap, freeze
from inspector.records.load import record_from_json
from inspector.report import to_json
from tests.conftest import CORPUS, FIXTURES

_KINDS = {".apk", ".aab", ".ipa", ".mobileprovision", ".provisionprofile", ".pkg"}
_SCALARS = (str, bytes, int, float, bool, type(None), datetime.datetime, datetime.date, enum.Enum)


def _artifacts(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in _KINDS and p.is_file())


def _values(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every value inside a record, with a path naming it."""
    yield where, value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _values(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _values(v, f"{where}[{k!r}]")
    elif isinstance(value, tuple | frozenset):
        for n, v in enumerate(value):
            yield from _values(v, f"{where}[{n}]")


def _check(record: Any) -> tuple[int, int]:
    """Assert the record is hashable and read-only throughout; return (values, mappings) seen."""
    hash(record)
    values = mappings = 0
    for where, value in _values(record, "record"):
        values += 1
        if dataclasses.is_dataclass(value):
            params = type(value).__dataclass_params__  # type: ignore[attr-defined]
            assert params.frozen, f"{where}: {type(value).__name__} is not frozen"
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, dataclasses.fields(value)[0].name, None)
        elif isinstance(value, Mapping):
            mappings += 1
            assert isinstance(value, FrozenMap), f"{where}: a {type(value).__name__}"
            with pytest.raises(TypeError):
                value["inserted"] = 1  # type: ignore[index]
            for method in ("clear", "update", "pop", "setdefault", "popitem"):
                assert not hasattr(value, method), f"{where} has {method}()"
            hash(value)
        else:
            assert isinstance(value, (tuple, frozenset, *_SCALARS)), \
                f"{where}: a mutable {type(value).__name__}"
    return values, mappings


def test_every_fixture_record_is_hashable_and_read_only() -> None:
    paths = _artifacts(FIXTURES)
    checked = refused = values = mappings = 0
    for path in paths:
        try:
            record = inspector.inspect(path)
        except ArtifactError:
            refused += 1  # the tampered and truncated fixtures: no record to check
            continue
        seen, maps = _check(record)
        checked += 1
        values += seen
        mappings += maps
    # The committed fixtures: about a hundred builds, most of which inspect reads.
    assert checked >= 80 and refused <= 10, (checked, refused)
    assert mappings >= 100 and values >= 10_000, (mappings, values)


def test_every_corpus_record_is_hashable_and_read_only() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is absent ({CORPUS})")
    checked = 0
    for path in _artifacts(CORPUS):
        try:
            record = inspector.inspect(path, digest=False)
        except ArtifactError:
            continue
        _check(record)
        checked += 1
    assert checked >= 40


def test_equal_records_hash_equal_and_work_as_keys() -> None:
    ipa = FIXTURES / "ios" / "rich.ipa"
    a, b = inspector.inspect(ipa), inspector.inspect(ipa)
    assert a is not b and a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a.app.info_plist["CFBundleIdentifier"] == b.app.info_plist["CFBundleIdentifier"]


def test_a_rebuilt_record_is_read_only_too() -> None:
    # inspector diff rebuilds a record from saved JSON: the same rules apply to it.
    for name in ("ios/rich.ipa", "apk/signed-v1v2v3.apk", "ios/adhoc.mobileprovision"):
        record = inspector.inspect(FIXTURES / name)
        rebuilt = record_from_json(json.loads(json.dumps(to_json(record))))
        _check(rebuilt)


def test_frozen_map_behaves_like_the_dict_it_was() -> None:
    plist = {"a": [1, {"b": [b"x", 2.5]}], "c": {"d": True}, "e": bytearray(b"y")}
    frozen = freeze(plist)
    assert frozen == {"a": (1, {"b": (b"x", 2.5)}), "c": {"d": True}, "e": b"y"}
    assert isinstance(frozen["a"], tuple) and isinstance(frozen["a"][1], FrozenMap)
    assert list(frozen) == ["a", "c", "e"] and len(frozen) == 3 and "c" in frozen
    assert hash(frozen) == hash(freeze(dict(reversed(plist.items()))))
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    # The freezing copies: the caller's dict stays theirs, and changing it changes nothing here.
    plist["c"]["d"] = False
    assert frozen["c"]["d"] is True
    with pytest.raises(ValueError, match="nested more than"):
        deep: Any = "leaf"
        for _ in range(1000):
            deep = [deep]
        freeze(deep)
