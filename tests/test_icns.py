"""The .icns reader: PNG entries found with their widths, the widest chosen, overruns refused."""

from __future__ import annotations

import pytest

from inspector.containers.icns import best_png, png_images
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES

SMALL = (FIXTURES / "macho" / "icon-rgb.png").read_bytes()   # 17 x 11
LARGE = (FIXTURES / "macho" / "icon-rgba.png").read_bytes()  # 40 x 24


def icns(*entries: tuple[bytes, bytes]) -> bytes:
    body = b"".join(kind + (8 + len(data)).to_bytes(4, "big") + data for kind, data in entries)
    return b"icns" + (8 + len(body)).to_bytes(4, "big") + body


def test_png_entries_and_the_widest() -> None:
    jpeg2000 = b"\x00\x00\x00\x0cjP  "
    data = icns((b"is32", b"\x00" * 40), (b"ic07", SMALL), (b"ic08", LARGE), (b"ic09", jpeg2000))
    assert [(kind, width) for kind, width, _ in png_images(data)] == [("ic07", 17), ("ic08", 40)]
    assert best_png(data) == LARGE


def test_no_png_is_none() -> None:
    assert best_png(icns((b"is32", b"\x00" * 40))) is None


@pytest.mark.parametrize("data", [b"", b"icnx\x00\x00\x00\x08", b"icns\x00\x00\x01\x00",
                                  b"icns\x00\x00\x00\x14ic07\x00\x00\x00\x40" + b"\x00" * 4,
                                  b"icns\x00\x00\x00\x10ic07\x00\x00\x00\x04"])
def test_malformed_is_one_error(data: bytes) -> None:
    with pytest.raises(ArtifactError):
        png_images(data)
