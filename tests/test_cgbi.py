"""Tests for inspector.containers.cgbi: fixtures from fixtures/macho/make_cgbi.py, real Xcode icons.

The real CgBI icons are the ones in the corpus's ``ipad.ipa`` (``file`` says "PNG image data
(CgBI), WxH, 8-bit/color RGBA"). Their expected pixels were computed independently, by hand, with
Pillow 13 in a throwaway venv: the IDAT stream was raw-inflated, re-wrapped with zlib into a plain
PNG (filter bytes untouched) so that Pillow did the unfiltering, B and R were swapped, and Pillow's
``RGBa -> RGBA`` conversion un-premultiplied. Pillow truncates where we round, so translucent
channels may be up to one unit higher here; opaque pixels and the alpha plane must be identical.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import struct
import zipfile
import zlib

import pytest

from inspector.containers.cgbi import MAX_PIXELS, is_cgbi, png_size, to_standard_png
from inspector.errors import ArtifactError
from tests.conftest import ROOT, corpus

MACHO = ROOT / "fixtures" / "macho"


def load_make_cgbi():
    spec = importlib.util.spec_from_file_location("make_cgbi", MACHO / "make_cgbi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_cgbi = load_make_cgbi()


def decode(png: bytes) -> tuple[int, int, int, list[bytes], bytes]:
    """(width, height, colour type, chunk kinds, pixels) of a standard PNG written with filter 0."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        body = png[pos + 8 : pos + 8 + length]
        assert struct.unpack_from(">I", png, pos + 8 + length)[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    raw = zlib.decompress(idat)  # a zlib stream with header and Adler-32, as PNG requires
    stride = width * {2: 3, 6: 4}[colour]
    assert len(raw) == height * (stride + 1)
    rows = [raw[y * (stride + 1) : (y + 1) * (stride + 1)] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, colour, kinds, b"".join(row[1:] for row in rows)


def assert_close(original: bytes, converted: bytes) -> None:
    """Opaque pixels identical; translucent within what 8-bit premultiplication can keep."""
    assert len(original) == len(converted)
    for i in range(0, len(original), 4):
        alpha = original[i + 3]
        assert converted[i + 3] == alpha
        if alpha == 0:
            assert converted[i : i + 3] == b"\0\0\0"  # premultiplied colour of a clear pixel is 0
            continue
        for ch in range(i, i + 3):
            diff = abs(original[ch] - converted[ch])
            if alpha == 255:
                assert diff == 0
            elif alpha >= 128:
                assert diff <= 1
            else:
                # premultiplying keeps alpha+1 levels: the best inverse errs by up to 255/(2a)+0.5
                assert diff <= 127.5 / alpha + 0.5


# --- fixtures ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "size", "colour"), [("icon-rgba", (40, 24), 6), ("icon-rgb", (17, 11), 2)])
def test_fixture_conversion(name, size, colour):
    standard = (MACHO / f"{name}.png").read_bytes()
    cgbi = (MACHO / f"{name}-cgbi.png").read_bytes()
    # `file` says: "PNG image data (CgBI), 40 x 24, 8-bit/color RGBA" / "17 x 11, 8-bit/color RGB"
    assert is_cgbi(cgbi) and not is_cgbi(standard)
    assert png_size(cgbi) == png_size(standard) == size
    assert to_standard_png(standard) is standard
    out = to_standard_png(cgbi)
    assert not is_cgbi(out)
    width, height, out_colour, kinds, pixels = decode(out)
    assert (width, height, out_colour) == (*size, colour)
    assert b"CgBI" not in kinds
    _w, _h, _c, _k, original = decode(standard)
    if colour == 6:
        assert_close(original, pixels)
    else:
        assert pixels == original


def test_fixture_rows_use_every_filter_type():
    cgbi = (MACHO / "icon-rgba-cgbi.png").read_bytes()
    idat = b"".join(body for kind, body in chunks(cgbi) if kind == b"IDAT")
    raw = zlib.decompressobj(-zlib.MAX_WBITS).decompress(idat)
    stride = 40 * 4 + 1
    assert {raw[y * stride] for y in range(24)} == {0, 1, 2, 3, 4}


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    pos, out = 8, []
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        out.append((kind, png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


@pytest.mark.parametrize("seed", range(6))
def test_round_trip_random_images(seed):
    rng = random.Random(seed)
    width, height = rng.randrange(1, 30), rng.randrange(1, 30)
    channels = rng.choice([3, 4])
    pixels = rng.randbytes(width * height * channels)
    standard = make_cgbi.write_png(width, height, channels, pixels)
    out = to_standard_png(make_cgbi.to_cgbi(standard))
    _w, _h, _c, _k, converted = decode(out)
    if channels == 4:
        assert_close(pixels, converted)
    else:
        assert converted == pixels


def test_round_trip_every_alpha_value():
    pixels = bytes(v for a in range(256) for v in (200, 100, 7, a))
    standard = make_cgbi.write_png(256, 1, 4, pixels)
    _w, _h, _c, _k, converted = decode(to_standard_png(make_cgbi.to_cgbi(standard)))
    assert_close(pixels, converted)


# --- real Xcode-made icons -----------------------------------------------------------------------
# name, size, sha256(alpha plane), sha256(RGBA of opaque pixels), translucent pixel count,
# sum of R+G+B over translucent pixels (Pillow's truncating un-premultiply).
REAL_ICONS = [
    (
        "AppIcon29x29@2x~ipad.png",
        (58, 58),
        "7428fe086b36b2565658cb79e43ba225e17d8ef931e1231ce00bc4e55c2b5bf9",
        "29270c06122842e92c9efbad58a29f20362017cae54c05f1ded200e790214cb8",
        86,
        28101,
    ),
    (
        "AppIcon29x29~ipad.png",
        (29, 29),
        "6bf2f9eea67255130e308691a2e2faebc4a86defae45e84a3c1a36dd46067e7f",
        "60d7f038f3a34e2fbb7a6e7a99f29f5ca71d3159b6b50c4d9be5a174743d974d",
        44,
        13615,
    ),
    (
        "AppIcon40x40@2x~ipad.png",
        (80, 80),
        "51629c5addfdc2632eac135dd85ee4fea73abe8d852ca6c9988719315f84c870",
        "dce4094f8fe4a875282c33cebededd7e9bfd616eece4f67a78842e317d6044a2",
        135,
        41925,
    ),
    (
        "AppIcon40x40~ipad.png",
        (40, 40),
        "93edd932e30fa94c949bf788d660309401396d744932d5bb1fbdd9150069ed75",
        "0612b04bf952c963b3d9b0a4d8c189af877c43b10214b8fcd7901af0179b7267",
        50,
        15265,
    ),
    (
        "AppIcon76x76@2x~ipad.png",
        (152, 152),
        "fc3cbf2181046825872b9a42dc90e1dcee16ca43bf9edbb7e8ef08d9729fe9ae",
        "384dd29c70f558070110dd2761cebb5f21ecb83b409689000d1712e58d4e2338",
        241,
        75615,
    ),
    (
        "AppIcon76x76~ipad.png",
        (76, 76),
        "ea7e36efb6aee35a45fd555455d7d83ddc993ea55d59fe9626eca327fdc1b1ac",
        "2fde465296379b894f197bc76cee5bf70b32df13bb06b9b842b601e8d28da7e9",
        108,
        33743,
    ),
    (
        "AppIcon83.5x83.5@2x~ipad.png",
        (167, 167),
        "fb5403237eba98a221b437e6cb41cfe72e2909021e7a7e28b61a0e34e8f6656d",
        "dadb3662ff107ebe456ff52b08137049e77135324bf7719de1f038ebb5f49dda",
        333,
        102812,
    ),
]


@pytest.mark.parametrize(("name", "size", "alpha", "opaque", "translucent", "rgb_sum"), REAL_ICONS)
def test_real_xcode_icons(name, size, alpha, opaque, translucent, rgb_sum):
    ipa = corpus("ios", "ipad.ipa")
    with zipfile.ZipFile(ipa) as archive:
        data = archive.read(f"Payload/bundle.app/{name}")
    assert is_cgbi(data)
    assert png_size(data) == size
    out = to_standard_png(data)
    width, height, colour, kinds, pixels = decode(out)
    assert (width, height, colour) == (*size, 6)
    # Apple's iDOT chunk points into the old IDATs; gAMA, sRGB and cHRM stay.
    assert kinds[:4] == [b"IHDR", b"gAMA", b"sRGB", b"cHRM"]
    assert b"iDOT" not in kinds and b"CgBI" not in kinds
    assert hashlib.sha256(pixels[3::4]).hexdigest() == alpha
    opaque_pixels = b"".join(pixels[i : i + 4] for i in range(0, len(pixels), 4) if pixels[i + 3] == 255)
    assert hashlib.sha256(opaque_pixels).hexdigest() == opaque
    partial = [i for i in range(0, len(pixels), 4) if 0 < pixels[i + 3] < 255]
    assert len(partial) == translucent
    ours = sum(pixels[i] + pixels[i + 1] + pixels[i + 2] for i in partial)
    assert rgb_sum <= ours <= rgb_sum + 3 * translucent


# --- bad input ------------------------------------------------------------------------------------
def make(ihdr: bytes, stream: bytes, *, cgbi: bool = True, extra: bytes = b"") -> bytes:
    chunk = make_cgbi.chunk
    head = make_cgbi.SIGNATURE + (chunk(b"CgBI", make_cgbi.CGBI_BODY) if cgbi else b"")
    return head + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def ihdr(width: int, height: int, depth: int = 8, colour: int = 6, interlace: int = 0) -> bytes:
    return struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)


@pytest.mark.parametrize("name", ["icon-rgba-cgbi.png", "icon-rgb-cgbi.png", "icon-rgba.png"])
def test_truncated(name):
    data = (MACHO / name).read_bytes()
    for cut in [0, 5, 8, 12, 20, 33, 40, len(data) // 2, len(data) - 13, len(data) - 1]:
        with pytest.raises(ArtifactError):
            to_standard_png(data[:cut])
    for cut in [0, 8, 20]:
        with pytest.raises(ArtifactError):
            png_size(data[:cut])


def test_random_bytes():
    rng = random.Random(11)
    for _ in range(300):
        data = rng.randbytes(rng.randrange(0, 500))
        with pytest.raises(ArtifactError):
            to_standard_png(data)
        data = make_cgbi.SIGNATURE + data
        with pytest.raises(ArtifactError):
            to_standard_png(data)


def test_bad_crc():
    data = bytearray((MACHO / "icon-rgba-cgbi.png").read_bytes())
    data[40] ^= 0xFF  # inside IHDR
    with pytest.raises(ArtifactError, match="CRC"):
        to_standard_png(bytes(data))


def test_decompression_bomb_is_refused():
    # IHDR says 1x1 RGBA (5 bytes of image data); the stream inflates to 10 MB.
    data = make(ihdr(1, 1), raw_deflate(bytes(10 << 20)))
    with pytest.raises(ArtifactError, match="larger than IHDR"):
        to_standard_png(data)


def test_too_many_pixels():
    side = int(MAX_PIXELS**0.5) + 1
    with pytest.raises(ArtifactError, match="pixel limit"):
        to_standard_png(make(ihdr(side, side), raw_deflate(b"")))
    with pytest.raises(ArtifactError, match="pixel limit"):
        png_size(make(ihdr(side, side), b""))


def test_image_data_too_short():
    with pytest.raises(ArtifactError, match="truncated"):
        to_standard_png(make(ihdr(4, 4), raw_deflate(bytes(10))))


def test_not_raw_deflate():
    with pytest.raises(ArtifactError, match="inflate"):
        to_standard_png(make(ihdr(1, 1), b"\xff\xff\xff\xff"))


def test_unknown_filter_type():
    with pytest.raises(ArtifactError, match="filter"):
        to_standard_png(make(ihdr(1, 1), raw_deflate(b"\x09\0\0\0\0")))


@pytest.mark.parametrize(
    "header", [ihdr(2, 2, colour=0), ihdr(2, 2, colour=3), ihdr(2, 2, depth=16), ihdr(2, 2, interlace=1)]
)
def test_unsupported_cgbi_variants(header):
    with pytest.raises(ArtifactError, match="not supported"):
        to_standard_png(make(header, raw_deflate(bytes(100))))


def test_zero_size_image():
    with pytest.raises(ArtifactError, match="0x"):
        to_standard_png(make(ihdr(0, 5), raw_deflate(b"")))


def test_no_idat():
    data = make_cgbi.SIGNATURE + make_cgbi.chunk(b"CgBI", make_cgbi.CGBI_BODY)
    data += make_cgbi.chunk(b"IHDR", ihdr(1, 1)) + make_cgbi.chunk(b"IEND", b"")
    with pytest.raises(ArtifactError, match="no IDAT"):
        to_standard_png(data)


def test_cgbi_without_ihdr_after_it():
    data = make_cgbi.SIGNATURE + make_cgbi.chunk(b"CgBI", make_cgbi.CGBI_BODY)
    data += make_cgbi.chunk(b"IEND", b"")
    with pytest.raises(ArtifactError, match="IHDR"):
        to_standard_png(data)
    with pytest.raises(ArtifactError, match="IHDR"):
        png_size(data)


def test_standard_png_must_start_with_ihdr():
    data = make_cgbi.SIGNATURE + make_cgbi.chunk(b"IEND", b"")
    with pytest.raises(ArtifactError, match="IHDR"):
        to_standard_png(data)
