"""Turn Apple's "CgBI" PNG variant, as Xcode writes app icons into a bundle, into a standard PNG.

A CgBI PNG has a ``CgBI`` chunk before ``IHDR``, a raw deflate stream (no zlib header) across its
``IDAT`` chunks, pixels in BGR(A) order and colour premultiplied by alpha. Only 8-bit RGB and RGBA,
non-interlaced, are handled: that is all Xcode writes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from inspector.errors import ArtifactError
from inspector.limits import MAX_CGBI_PIXELS

__all__ = ["MAX_PIXELS", "is_cgbi", "png_size", "to_standard_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The largest app icon is 1024x1024; it bounds the memory and time a hostile IHDR can cost.
MAX_PIXELS = MAX_CGBI_PIXELS
_MAX_CHUNK = (1 << 31) - 1  # the PNG spec's limit on a chunk length

_COLOUR_CHANNELS = {2: 3, 6: 4}  # truecolour, truecolour with alpha
# Chunks that only make sense for the CgBI encoding: the marker itself, and Apple's iDOT, which
# points at IDAT offsets that no longer hold once the image is re-encoded.
_APPLE_ONLY = {b"CgBI", b"iDOT"}


def is_cgbi(data: bytes) -> bool:
    """True if ``data`` is a PNG whose first chunk is Apple's ``CgBI``."""
    return data[:8] == PNG_SIGNATURE and data[12:16] == b"CgBI"


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` from the IHDR of a standard or CgBI PNG."""
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            return _ihdr(body)[:2]
        if kind != b"CgBI":
            break
    raise ArtifactError("PNG has no IHDR chunk where it belongs")


def to_standard_png(data: bytes) -> bytes:
    """A standard PNG with the same pixels as ``data``; a standard PNG is returned unchanged."""
    if data[:8] != PNG_SIGNATURE:
        raise ArtifactError("not a PNG (bad signature)")
    chunks = list(_chunks(data))
    if not is_cgbi(data):
        if not chunks or chunks[0][0] != b"IHDR":
            raise ArtifactError("PNG does not start with an IHDR chunk")
        return data
    if len(chunks) < 2 or chunks[1][0] != b"IHDR":
        raise ArtifactError("CgBI PNG has no IHDR right after its CgBI chunk")
    width, height, depth, colour, interlace = _ihdr(chunks[1][1])
    channels = _COLOUR_CHANNELS.get(colour)
    if depth != 8 or channels is None:
        raise ArtifactError(
            f"CgBI PNG with bit depth {depth} and colour type {colour} is not supported "
            "(only 8-bit RGB and RGBA are)"
        )
    if interlace:
        raise ArtifactError("interlaced CgBI PNG is not supported")
    stride = width * channels
    expected = height * (stride + 1)
    raw = _inflate_raw(b"".join(body for kind, body in chunks if kind == b"IDAT"), expected)
    pixels = _unfilter(raw, height, stride, channels)
    _to_rgba_order(pixels, channels)
    if channels == 4:
        _unpremultiply(pixels)
    # Filter 0 on every row: simple, and the size is beside the point for an extracted icon.
    filtered = b"".join(b"\0" + pixels[row * stride : (row + 1) * stride] for row in range(height))
    out = [PNG_SIGNATURE]
    wrote_idat = False
    for kind, body in chunks:
        if kind in _APPLE_ONLY:
            continue
        if kind == b"IDAT":
            if not wrote_idat:
                out.append(_chunk(b"IDAT", zlib.compress(filtered, 9)))
                wrote_idat = True
            continue
        out.append(_chunk(kind, body))
    return b"".join(out)


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every chunk up to and including IEND, with its CRC checked."""
    if data[:8] != PNG_SIGNATURE:
        raise ArtifactError("not a PNG (bad signature)")
    position = 8
    while True:
        if position + 8 > len(data):
            raise ArtifactError("truncated PNG: it ends before its IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if length > _MAX_CHUNK or end > len(data):
            raise ArtifactError(f"truncated PNG: chunk {kind!r} runs past the end of the file")
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", data, position + 8 + length)
        if zlib.crc32(kind + body) != crc:
            raise ArtifactError(f"corrupt PNG: bad CRC in chunk {kind!r}")
        yield kind, body
        if kind == b"IEND":
            return
        position = end


def _ihdr(body: bytes) -> tuple[int, int, int, int, int]:
    if len(body) != 13:
        raise ArtifactError("corrupt PNG: IHDR is not 13 bytes")
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise ArtifactError(f"corrupt PNG: image of {width}x{height} pixels")
    if width * height > MAX_PIXELS:
        raise ArtifactError(f"PNG of {width}x{height} pixels is over the {MAX_PIXELS}-pixel limit "
                            "(the largest app icon is 1024x1024)")
    return width, height, depth, colour, interlace


def _inflate_raw(stream: bytes, expected: int) -> bytes:
    if not stream:
        raise ArtifactError("CgBI PNG has no IDAT data")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        # Ask for one byte more than IHDR allows so a bomb is caught without inflating it all.
        raw = inflater.decompress(stream, expected + 1)
    except zlib.error as exc:
        raise ArtifactError(f"corrupt CgBI PNG: cannot inflate its image data ({exc})") from exc
    if len(raw) > expected or inflater.unconsumed_tail:
        raise ArtifactError("corrupt CgBI PNG: image data is larger than IHDR says")
    if len(raw) < expected:
        raise ArtifactError(f"truncated CgBI PNG: image data holds {len(raw)} of {expected} bytes")
    return raw


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> bytearray:
    """Undo the PNG per-row filters (None, Sub, Up, Average, Paeth) into bare pixel rows."""
    out = bytearray(height * stride)
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 0:
            pass
        elif kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                if i >= bpp:
                    a, c = line[i - bpp], previous[i - bpp]
                else:
                    a = c = 0
                b = previous[i]
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                if pa <= pb and pa <= pc:
                    predictor = a
                elif pb <= pc:
                    predictor = b
                else:
                    predictor = c
                line[i] = (line[i] + predictor) & 0xFF
        else:
            raise ArtifactError(f"corrupt CgBI PNG: unknown filter type {kind} in row {row}")
        out[row * stride : (row + 1) * stride] = line
        previous = line
    return out


def _to_rgba_order(pixels: bytearray, channels: int) -> None:
    blue = pixels[0::channels]
    pixels[0::channels] = pixels[2::channels]
    pixels[2::channels] = blue


def _unpremultiply(pixels: bytearray) -> None:
    alpha = pixels[3::4]
    if alpha.count(255) == len(alpha):
        return  # opaque: premultiplying changed nothing
    for index in range(0, len(pixels), 4):
        a = pixels[index + 3]
        if a == 255 or a == 0:
            continue  # fully transparent pixels carry no colour; premultiplied they are 0 anyway
        half = a >> 1
        for channel in range(index, index + 3):
            pixels[channel] = min(255, (pixels[channel] * 255 + half) // a)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
