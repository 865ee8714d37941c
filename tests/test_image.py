"""Tests for inspector.containers.image: the sizes ImageMagick's identify, webpinfo and file(1) read
from real images (fixtures/image, made by cwebp, ImageMagick and exiftool; Xcode's CgBI icons in
IPAs), recorded by tests/reference/image/make.sh."""

from __future__ import annotations

import zipfile

import pytest

from inspector.containers.image import EXTENSIONS, HEADER_BYTES, image_format, read_header
from inspector.errors import ArtifactError
from tests.conftest import FIXTURES, corpus
from tests.tool_outputs import REFERENCE, read_icon_members, read_identify, read_webp_chunks

IMAGES = FIXTURES / "image"
IDENTIFY = read_identify()
MEMBERS = read_icon_members()


def test_every_fixture_image_is_recorded() -> None:
    on_disk = {p.name for p in IMAGES.iterdir() if p.suffix in (".png", ".webp", ".jpg")}
    assert on_disk == set(IDENTIFY)


@pytest.mark.parametrize("name", sorted(IDENTIFY))
def test_size_and_format_agree_with_identify(name: str) -> None:
    data = (IMAGES / name).read_bytes()
    assert tuple(read_header(data)) == IDENTIFY[name]
    assert image_format(data) == IDENTIFY[name][0]
    assert name.endswith(EXTENSIONS[IDENTIFY[name][0]])


def test_the_webp_fixtures_cover_the_three_bitstream_headers() -> None:
    # Lossy (VP8), lossless (VP8L) and extended (VP8X, here for alpha) keep the size in three
    # different places; webpinfo says which one each fixture starts with.
    assert sorted(read_webp_chunks().values()) == ["VP8", "VP8L", "VP8X"]


def test_jpeg_fixtures_cover_progressive_and_metadata_before_the_frame() -> None:
    # file(1)'s words: a progressive frame (SOF2), and an EXIF APP1 segment to skip first.
    said = dict(line.split(": ", 1) for line in
                (REFERENCE / "image" / "file.txt").read_text().splitlines()[1:])
    assert ", progressive," in said["progressive-31x47.jpg"]
    assert "Exif Standard" in said["exif-640x1.jpg"]
    assert ", baseline," in said["exif-640x1.jpg"]


@pytest.mark.parametrize("name", sorted(IDENTIFY))
def test_every_cut_of_a_header_is_an_artifact_error_or_the_size(name: str) -> None:
    data = (IMAGES / name).read_bytes()
    for end in range(len(data) + 1):
        try:
            header = read_header(data[:end])
        except ArtifactError:
            continue
        # Too short to show a magic number, or long enough to hold the whole header.
        assert header is None or tuple(header) == IDENTIFY[name], end


@pytest.mark.parametrize("data", [b"", b"GIF89a\x01\x00\x01\x00", b"<?xml version='1.0'?>",
                                  b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\x89PNX\r\n\x1a\n"])
def test_other_data_is_no_image(data: bytes) -> None:
    assert read_header(data) is None
    assert image_format(data) is None


def _patched(name: str, offset: int, value: bytes) -> bytes:
    data = bytearray((IMAGES / name).read_bytes())
    data[offset:offset + len(value)] = value
    return bytes(data)


@pytest.mark.parametrize(("name", "offset", "value", "words"), [
    ("rgb-48x36.png", 12, b"IDAT", "does not start with IHDR"),
    ("rgb-48x36.png", 16, b"\x00\x00\x00\x00", "impossible size 0x36"),
    ("rgb-48x36.png", 8, b"\x00\x00\x00\x0c", "IHDR chunk is 12 bytes"),
    ("lossy-40x30.webp", 12, b"ALPH", "unknown chunk"),
    ("lossy-40x30.webp", 23, b"\x00\x00\x00", "key frame"),
    ("lossless-33x17.webp", 20, b"\x00", "0x2f signature"),
    ("lossless-33x17.webp", 16, b"\x04\x00\x00\x00", "4 bytes is too short"),
    ("alpha-20x30.webp", 16, b"\x09\x00\x00\x00", "9 bytes is too short"),
    ("baseline-64x50.jpg", 20, b"\x00", "no marker at offset 20"),
    ("baseline-64x50.jpg", 22, b"\x00\x01", "impossible length 1"),
])
def test_a_malformed_header_is_named(name: str, offset: int, value: bytes, words: str) -> None:
    with pytest.raises(ArtifactError, match=words):
        read_header(_patched(name, offset, value))


def test_a_jpeg_scan_before_any_frame_header_is_refused() -> None:
    # SOI, then SOS at once: there is no size to read.
    with pytest.raises(ArtifactError, match="no frame header"):
        read_header(b"\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00")


def test_a_long_run_of_jpeg_segments_ends_without_a_size() -> None:
    # HEADER_BYTES of empty COM segments and no frame header: the walk ends at the data's end.
    data = b"\xff\xd8" + b"\xff\xfe\x00\x02" * (HEADER_BYTES // 4)
    with pytest.raises(ArtifactError, match="end before the frame header"):
        read_header(data)


@pytest.mark.parametrize(("archive", "member"), sorted(k for k in MEMBERS if k[0] == "development.ipa"))
def test_cgbi_icons_of_the_ipa_fixture(archive: str, member: str) -> None:
    # Xcode's CgBI PNG: a CgBI chunk before IHDR. file(1) reads their IHDR; identify cannot.
    with zipfile.ZipFile(FIXTURES / "ios" / archive) as z:
        data = z.read(member)
    assert data[12:16] == b"CgBI"
    assert tuple(read_header(data)) == MEMBERS[archive, member]


_CORPUS_FOLDERS = {"android.apk": "android", "android.aab": "android", "ipad.ipa": "ios"}


@pytest.mark.parametrize(("archive", "member"), sorted(k for k in MEMBERS if k[0] in _CORPUS_FOLDERS))
def test_icon_members_of_the_corpus(archive: str, member: str) -> None:
    with zipfile.ZipFile(corpus(_CORPUS_FOLDERS[archive], archive)) as z:
        data = z.read(member)
    assert tuple(read_header(data)) == MEMBERS[archive, member]


def test_png_sizes_agree_with_pngcheck_too() -> None:
    said: dict[str, tuple[int, int]] = {}
    name = None
    for line in (REFERENCE / "image" / "pngcheck.txt").read_text().splitlines():
        if line.startswith("File: "):
            name = line.removeprefix("File: ").split(" (")[0]
        elif line.strip().endswith("non-interlaced") and " image, " in line and name:
            width, _, height = line.split(" image, ")[0].split()
            said[name] = (int(width), int(height))
    assert set(said) == {n for n in IDENTIFY if n.endswith(".png")}
    for png, size in said.items():
        header = read_header((IMAGES / png).read_bytes())
        assert header is not None and (header.width, header.height) == size
