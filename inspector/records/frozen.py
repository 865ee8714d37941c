"""Read-only, hashable values for the mappings records hold (a plist's dictionaries, a manifest's
attribute sets): a frozen record stays frozen all the way down, and can be hashed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from inspector.limits import MAX_PLIST_DEPTH

__all__ = ["FrozenMap", "freeze"]

K = TypeVar("K")
V = TypeVar("V")

#: Deeper than any tree a parser builds (a plist is at most MAX_PLIST_DEPTH deep); a rebuilt
#: ``inspect --json`` document nested deeper is refused rather than recursed into.
_MAX_DEPTH = 2 * MAX_PLIST_DEPTH


class FrozenMap(Mapping[K, V]):
    """A mapping that cannot be changed, hashable when its values are (they are, once
    :func:`freeze` has made them). Equal to any mapping with the same items, like a dict."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: Mapping[K, V] = MappingProxyType(dict(items))
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        return self._data == other

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self._data)!r})"

    def __reduce__(self) -> tuple[type[FrozenMap[K, V]], tuple[dict[K, V]]]:
        # A record can be pickled (a process pool's result); the read-only view itself cannot.
        return type(self), (dict(self._data),)


def freeze(value: Any, _depth: int = 0) -> Any:
    """``value`` with every mapping made a :class:`FrozenMap` and every list a tuple, recursively
    (a plist's tree, JSON's). Other values are returned as they are."""
    if _depth > _MAX_DEPTH:
        raise ValueError(f"a value nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        return FrozenMap((k, freeze(v, _depth + 1)) for k, v in value.items())
    if isinstance(value, list) or type(value) is tuple:
        return tuple(freeze(v, _depth + 1) for v in value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value
