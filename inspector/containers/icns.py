"""Apple icon files (``.icns``): the PNG images they hold, with their sizes (bytes in, no records).

An ``.icns`` is ``icns`` + a big-endian total length, then entries of a 4-byte type, a big-endian
length (header included) and the data. Since macOS 10.7 the large sizes (``ic07``-``ic14``) hold
PNG data; older ARGB/RLE and JPEG 2000 entries are skipped, not decoded.
"""

from __future__ import annotations

from inspector.errors import ArtifactError

__all__ = ["best_png", "png_images"]

_MAGIC = b"icns"
_PNG = b"\x89PNG\r\n\x1a\n"


def png_images(data: bytes) -> list[tuple[str, int, bytes]]:
    """Every PNG entry as ``(type, width in pixels, PNG bytes)``, in file order.

    Raises :class:`ArtifactError` when the header or an entry's length does not fit the data.
    """
    if len(data) < 8 or not data.startswith(_MAGIC):
        raise ArtifactError("not an icns file (no 'icns' magic)")
    total = int.from_bytes(data[4:8], "big")
    if not 8 <= total <= len(data):
        raise ArtifactError(f"icns length {total} does not fit its {len(data)} bytes")
    out = []
    pos = 8
    while pos + 8 <= total:
        kind = data[pos:pos + 4].decode("latin-1")
        length = int.from_bytes(data[pos + 4:pos + 8], "big")
        if length < 8 or pos + length > total:
            raise ArtifactError(f"icns entry {kind!r} at offset {pos}: length {length} overruns the file")
        body = data[pos + 8:pos + length]
        if body.startswith(_PNG) and len(body) >= 24 and body[12:16] == b"IHDR":
            out.append((kind, int.from_bytes(body[16:20], "big"), body))
        pos += length
    return out


def best_png(data: bytes) -> bytes | None:
    """The widest PNG image of an ``.icns`` (the first of equals), or None when it holds none."""
    images = png_images(data)
    if not images:
        return None
    return max(images, key=lambda image: image[1])[2]
