"""What a piece of work cost, counted instead of timed: tests assert counts (they are the same on
every machine); ``bench/`` measures seconds.

* :func:`inspect_counting` runs ``inspector.inspect`` and returns what its artifact budget counted
  (the kinds of ``inspector.limits.BUDGET``), the bytes its zip archives inflated and how often
  each member was opened to be inflated.
* :func:`calls` counts the Python and builtin function calls a callable makes: a proxy for work
  that grows with the input as the algorithm does (a quadratic loop's calls grow fourfold when its
  input doubles, a linear one's twofold).
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import inspector
from inspector import api
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.limits import BUDGET, Budget

__all__ = ["Spent", "calls", "inspect_counting"]


@dataclass
class Spent:
    """Work counted over one or more inspections."""

    budget: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUDGET, 0))
    #: Bytes inflated from zip members (by declared size, as the zip reader's budget counts them).
    inflated: int = 0
    #: Of those, bytes read whole into memory.
    read_whole: int = 0
    #: ``(member, way)``: how many times the member was opened to be inflated from its start,
    #: one way or another: ``read`` (whole), ``head`` (its first bytes), ``open`` (a stream) or
    #: ``chunks`` (a stream of pieces, counted when it yields its first).
    opened: Counter[tuple[str, str]] = field(default_factory=Counter)


def inspect_counting(path: Path, monkeypatch: pytest.MonkeyPatch
                     ) -> tuple[inspector.Record | ArtifactError, Spent]:
    """``inspector.inspect(path, digest=False)`` (its ArtifactError returned, not raised) and the
    work it did."""
    spent = Spent()
    with counting(monkeypatch, spent):
        try:
            result: inspector.Record | ArtifactError = inspector.inspect(path, digest=False)
        except ArtifactError as exc:
            result = exc
    return result, spent


@contextlib.contextmanager
def counting(monkeypatch: pytest.MonkeyPatch, spent: Spent) -> Iterator[Spent]:
    """Inside the block, every artifact budget ``inspector.inspect`` opens and every zip archive
    closed adds what it counted to ``spent``, and every member opened counts in ``spent.opened``."""
    budgets: list[Budget] = []
    original_budget = api.artifact_budget
    original_close = ZipArchive.close
    original_read, original_head = ZipArchive.read, ZipArchive.read_head
    original_open, original_chunks = ZipArchive.open, ZipArchive.chunks

    @contextlib.contextmanager
    def recording(limits: dict[str, int] | None = None) -> Iterator[Budget]:
        with original_budget(limits) as budget:
            budgets.append(budget)
            yield budget

    def close(self: ZipArchive) -> None:
        spent.inflated += self.inflated
        spent.read_whole += self.read_whole
        self.inflated = self.read_whole = 0  # a second close adds nothing
        original_close(self)

    def read(self: ZipArchive, name: str, **kwargs: Any) -> bytes:
        spent.opened[name, "read"] += 1
        return original_read(self, name, **kwargs)

    def read_head(self: ZipArchive, name: str, size: int) -> bytes:
        spent.opened[name, "head"] += 1
        return original_head(self, name, size)

    def open_(self: ZipArchive, name: str) -> Any:
        spent.opened[name, "open"] += 1
        return original_open(self, name)

    def chunks(self: ZipArchive, name: str, *args: Any) -> Iterator[bytes]:
        pieces = original_chunks(self, name, *args)
        try:
            for index, piece in enumerate(pieces):
                if index == 0:
                    spent.opened[name, "chunks"] += 1
                yield piece
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    with monkeypatch.context() as patch:
        patch.setattr(api, "artifact_budget", recording)
        patch.setattr(ZipArchive, "close", close)
        patch.setattr(ZipArchive, "read", read)
        patch.setattr(ZipArchive, "read_head", read_head)
        patch.setattr(ZipArchive, "open", open_)
        patch.setattr(ZipArchive, "chunks", chunks)
        yield spent
    for budget in budgets:
        for kind, limit in BUDGET.items():
            spent.budget[kind] += limit - budget.left(kind)


def calls(func: Callable[[], Any]) -> int:
    """How many function calls (Python functions and builtins) happen while ``func()`` runs; an
    exception it raises propagates."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        func()
    finally:
        sys.setprofile(previous)
    return count
