"""The format and pixel size of a PNG, WebP or JPEG image, read from its header alone.

Bytes in, :class:`ImageHeader` out; no image library and no decoding. Apple's CgBI PNG variant
(a ``CgBI`` chunk before ``IHDR``) is a PNG here too. Data that is no image of these formats gives
None; data that starts like one but whose header is cut short or malformed is an ArtifactError.
"""

from __future__ import annotations

import struct
from typing import Literal, NamedTuple

from inspector.errors import ArtifactError

__all__ = ["EXTENSIONS", "HEADER_BYTES", "NAMES", "ImageFormat", "ImageHeader", "image_format", "read_header"]

ImageFormat = Literal["png", "webp", "jpeg"]
#: The file name extension each format is written with.
EXTENSIONS: dict[str, str] = {"png": ".png", "webp": ".webp", "jpeg": ".jpg"}
#: The name each format goes by in messages.
NAMES: dict[str, str] = {"png": "PNG", "webp": "WebP", "jpeg": "JPEG"}
#: Enough bytes for any PNG or WebP header, and for the JPEG metadata (EXIF, ICC profile) that can
#: sit before a JPEG's frame header; a caller reading a prefix of a file reads this much.
HEADER_BYTES = 256 << 10

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_MAX = (1 << 31) - 1  # the PNG spec's bound on a dimension
# JPEG frame headers (SOF0-SOF15) carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_NO_LENGTH = frozenset(range(0xD0, 0xD8)) | {0x01}  # RSTn and TEM stand alone


class ImageHeader(NamedTuple):
    """What an image's header says: its format and its size in pixels."""

    format: ImageFormat
    width: int
    height: int


def image_format(data: bytes) -> ImageFormat | None:
    """The format the magic bytes at the start of ``data`` announce, or None."""
    if data.startswith(_PNG):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    return None


def read_header(data: bytes) -> ImageHeader | None:
    """The format and size of the image ``data`` starts with; None when it is none of PNG, WebP, JPEG.

    ``data`` may be a prefix of the file (:data:`HEADER_BYTES` is always enough for PNG and WebP).
    """
    kind = image_format(data)
    if kind == "png":
        width, height = _png(data)
    elif kind == "webp":
        width, height = _webp(data)
    elif kind == "jpeg":
        width, height = _jpeg(data)
    else:
        return None
    return ImageHeader(kind, width, height)


def _png(data: bytes) -> tuple[int, int]:
    pos = 8
    for _ in range(2):  # IHDR comes first, or second after Apple's CgBI chunk
        if len(data) < pos + 8:
            raise ArtifactError("PNG header is cut short before IHDR")
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"CgBI":
            pos += 12 + length
            continue
        if kind != b"IHDR":
            raise ArtifactError(f"PNG does not start with IHDR (first chunk {kind!r})")
        if length != 13 or len(data) < pos + 16:
            raise ArtifactError("PNG IHDR chunk is cut short" if length == 13
                                else f"PNG IHDR chunk is {length} bytes, not 13")
        width, height = struct.unpack_from(">II", data, pos + 8)
        if not (0 < width <= _PNG_MAX and 0 < height <= _PNG_MAX):
            raise ArtifactError(f"PNG IHDR gives an impossible size {width}x{height}")
        return width, height
    raise ArtifactError("PNG does not start with IHDR (two CgBI chunks)")


def _webp(data: bytes) -> tuple[int, int]:
    if len(data) < 20:
        raise ArtifactError("WebP header is cut short")
    kind = data[12:16]
    (size,) = struct.unpack_from("<I", data, 16)
    need = 5 if kind == b"VP8L" else 10  # the bytes of the chunk that hold the size
    if size < need:
        raise ArtifactError(f"WebP {bytes(kind)!r} chunk of {size} bytes is too short for a header")
    if len(data) < 20 + need:
        raise ArtifactError("WebP header is cut short")
    body = data[20:30]
    if kind == b"VP8 ":  # lossy: frame tag, start code 9d 01 2a, 14-bit width and height
        if body[0] & 1 or body[3:6] != b"\x9d\x01\x2a":
            raise ArtifactError("WebP VP8 chunk does not start with a key frame")
        width, height = struct.unpack_from("<HH", body, 6)
        width, height = width & 0x3FFF, height & 0x3FFF
    elif kind == b"VP8L":  # lossless: signature 0x2f, then 14-bit width-1 and height-1
        if body[0] != 0x2F:
            raise ArtifactError("WebP VP8L chunk lacks its 0x2f signature")
        bits = int.from_bytes(body[1:5], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif kind == b"VP8X":  # extended: flags, 3 reserved bytes, 24-bit canvas width-1 and height-1
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
    else:
        raise ArtifactError(f"WebP starts with an unknown chunk {bytes(kind)!r}")
    if not (width and height):
        raise ArtifactError(f"WebP header gives an impossible size {width}x{height}")
    return width, height


def _jpeg(data: bytes) -> tuple[int, int]:
    pos = 2
    end = len(data)
    while True:
        # A marker is 0xff, optional 0xff fill bytes, then its code.
        if pos >= end or data[pos] != 0xFF:
            raise ArtifactError("JPEG segments end before the frame header (SOF)"
                                if pos >= end else f"JPEG has no marker at offset {pos}")
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise ArtifactError("JPEG segments end before the frame header (SOF)")
        code = data[pos]
        pos += 1
        if code in _JPEG_NO_LENGTH:
            continue
        if code in (0xD9, 0xDA):  # EOI, or the scan begins: no frame header came first
            raise ArtifactError("JPEG has no frame header (SOF) before its image data")
        if pos + 2 > end:
            raise ArtifactError("JPEG segments end before the frame header (SOF)")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            raise ArtifactError(f"JPEG segment at offset {pos} has an impossible length {length}")
        if code in _JPEG_SOF:
            if pos + 7 > end:
                raise ArtifactError("JPEG frame header is cut short")
            height, width = struct.unpack_from(">HH", data, pos + 3)
            if not (width and height):
                # A height of 0 defers to a DNL marker after the first scan; no icon does that.
                raise ArtifactError(f"JPEG frame header gives a size {width}x{height}")
            return width, height
        pos += length
