"""Mutated fixtures (flipped bytes, cuts, insertions) of every format: an InspectorError or a
record, never another exception. Seeded, so a failure is reproducible; small, so it runs in CI."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pytest

import inspector
from inspector.errors import InspectorError
from inspector.report import render_text, to_json
from tests.conftest import FIXTURES

SUFFIXES = (".apk", ".aab", ".ipa", ".pkg", ".mobileprovision", ".provisionprofile")
FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in SUFFIXES and "build" not in p.parts)
ROUNDS = 12


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    mode = rng.random()
    if mode < 0.5 and out:
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif mode < 0.75:
        del out[rng.randrange(len(out) + 1):]
    else:
        pos = rng.randrange(len(out) + 1)
        out[pos:pos] = rng.randbytes(rng.randint(1, 64))
    return bytes(out)


def _mutate_members(data: bytes, rng: random.Random) -> bytes:
    """Re-zip with one member's content mutated: reaches the parsers, not just zip's CRC check."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    target = rng.randrange(len(members))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as w:
        for n, (info, content) in enumerate(members):
            w.writestr(info, _mutate_bytes(content, rng) if n == target else content)
    return buf.getvalue()


def _check(path: Path) -> None:
    try:
        record = inspector.inspect(path, digest=False)
    except InspectorError as exc:
        assert str(exc)
        return
    render_text(record, None)
    json.dumps(to_json(record, None))


@pytest.mark.parametrize("source", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mutations_never_escape_as_other_exceptions(source: Path, tmp_path: Path) -> None:
    rng = random.Random(source.name)
    data = source.read_bytes()
    target = tmp_path / source.name
    for _ in range(ROUNDS):
        if data[:2] == b"PK" and rng.random() < 0.6:
            try:
                mutated = _mutate_members(data, rng)
            except (zipfile.BadZipFile, ValueError):
                continue
        else:
            mutated = _mutate_bytes(data, rng)
        target.write_bytes(mutated)
        _check(target)
