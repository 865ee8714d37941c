"""Zip access: guards against bombs and oversize members, odd names, duplicate entries."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError


def _make(path: Path, entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return path


def test_member_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = _make(tmp_path / "a.zip", [("big", b"a" * 5000)], zipfile.ZIP_STORED)
    with ZipArchive(path) as z, pytest.raises(ArtifactError) as info:
        z.read("big", limit=1000)
    assert info.value.member == "big"
    assert str(path) in str(info.value)


def test_bomb_ratio_is_refused(tmp_path: Path) -> None:
    # Deflate cannot pass ~1032:1, but bzip2 (which zipfile also inflates) reaches 10^5:1.
    path = _make(tmp_path / "bomb.zip", [("x", b"\0" * (40 << 20))], zipfile.ZIP_BZIP2)
    with ZipArchive(path) as z, pytest.raises(ArtifactError) as info:
        z.read("x")
    assert "bomb" in info.value.problem


def test_lying_size_header_is_caught_while_inflating(tmp_path: Path) -> None:
    path = _make(tmp_path / "lie.zip", [("x", b"y" * 4000)])
    raw = bytearray(path.read_bytes())
    # Make both headers claim 10 bytes uncompressed; the stream still inflates to 4000.
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    raw[22:26] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with ZipArchive(path) as z, pytest.raises(ArtifactError):
        z.read("x", limit=100)


def test_missing_member_names_it(tmp_path: Path) -> None:
    path = _make(tmp_path / "m.zip", [("a", b"1")])
    with ZipArchive(path) as z, pytest.raises(ArtifactError) as info:
        z.read("b")
    assert info.value.member == "b"
    assert "missing" in info.value.problem


def test_duplicate_entries_are_warned(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "w") as z:
        z.writestr("AndroidManifest.xml", b"1")
        z.writestr("AndroidManifest.xml", b"2")
    with ZipArchive(path) as z:
        assert any("duplicate" in w for w in z.warnings)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "n.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(ArtifactError) as info:
        ZipArchive(path)
    assert str(path) in str(info.value)


def test_unknown_extract_version_is_a_clear_error(tmp_path: Path) -> None:
    # Found by fuzzing: zipfile raises NotImplementedError for it while reading the directory.
    path = _make(tmp_path / "v.zip", [("a", b"1")])
    raw = bytearray(path.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 6] = 0xFF  # "version needed to extract" = 25.5
    path.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError) as info:
        ZipArchive(path)
    assert "unsupported" in info.value.problem
