"""Tests for inspector.containers.macho: fixtures from fixtures/ios/make_macho.py and the corpus IPAs.

Expected values come from independent tools, run by hand and recorded here:

* ``llvm-objdump --macho --private-headers --universal-headers`` (LLVM 14) for architectures and
  load commands; LIEF 1.0.0 (throwaway venv) for the LC_CODE_SIGNATURE offset/size of each slice.
* The CMS, entitlements and DER-entitlements blobs were cut out of LIEF's raw code-signature bytes
  by byte search for their magics (not by our parser) and hashed with ``sha256sum``;
  ``openssl pkcs7 -inform DER -print_certs`` on the CMS payload names the signer, and
  ``openssl x509 -fingerprint -sha1`` its fingerprint.
* Identifier and team id: ``strings -a EXE`` shows them; the hash type is the byte at
  CodeDirectory+37 (``xxd``) of the blob in slot 0 (and 0x1000 for the alternate directory).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from inspector.certs import certificates_from_pkcs7
from inspector.containers.macho import CodeSignature, is_macho, read_code_signatures
from inspector.errors import ArtifactError
from tests.conftest import ROOT, corpus

MACHO = ROOT / "fixtures" / "macho"


# openssl x509 -in fixtures/macho/keys/dev.pem -noout -subject -fingerprint -sha1
FIXTURE_CN = "Apple Development: Fixture Dev (ABCDE12345)"
FIXTURE_SHA1 = "e85c1699c7710e2bbde812c84799aed5f253a1a0"


def read_path(path: Path) -> tuple[CodeSignature, ...]:
    with path.open("rb") as fh:
        return read_code_signatures(fh, path.stat().st_size)


def read_bytes(data: bytes) -> tuple[CodeSignature, ...]:
    return read_code_signatures(io.BytesIO(data), len(data))


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


# --- fixtures ------------------------------------------------------------------------------------
def check_fixture_signed(sig: CodeSignature, arch: str) -> None:
    assert sig.arch == arch
    assert sig.identifier == "com.fixture.app"
    assert sig.team_id == "TEAMID1234"
    assert sig.cd_hash_type == "sha256"
    assert sig.cd_hash_types == ("sha256",)
    assert sig.flags == 0
    assert not sig.adhoc
    assert sig.entitlements == (MACHO / "entitlements.plist").read_bytes()
    # openssl asn1parse: SET of 4 SEQUENCEs, first get-task-allow BOOLEAN 255
    assert sig.der_entitlements is not None
    assert sig.der_entitlements[:3] == b"\x31\x81\xa8"
    assert b"\x0c\x0eget-task-allow\x01\x01\xff" in sig.der_entitlements
    assert sig.cms
    signer = certificates_from_pkcs7(sig.cms)[0]
    assert signer.common_name == FIXTURE_CN
    assert signer.organizational_unit == "TEAMID1234"
    assert signer.sha1 == FIXTURE_SHA1


def test_signed_arm64():
    (sig,) = read_path(MACHO / "signed-arm64")
    check_fixture_signed(sig, "arm64")


def test_signed_fat_has_one_signature_per_slice():
    sigs = read_path(MACHO / "signed-fat")
    assert [s.arch for s in sigs] == ["arm64", "x86_64"]
    for sig in sigs:
        check_fixture_signed(sig, sig.arch)


def test_adhoc_arm64():
    (sig,) = read_path(MACHO / "adhoc-arm64")
    assert sig.arch == "arm64"
    assert sig.identifier == "com.fixture.app"
    assert sig.team_id is None
    assert sig.flags == 0x2
    assert sig.cms == b""  # codesign -s - writes an empty CMS wrapper blob
    assert sig.adhoc
    assert sig.entitlements == (MACHO / "entitlements.plist").read_bytes()


def test_unsigned_arm64():
    assert read_path(MACHO / "unsigned-arm64") == ()


def test_adhoc_property():
    base = dict(
        arch="arm64",
        identifier="x",
        team_id=None,
        cd_hash_type="sha256",
        entitlements=None,
        der_entitlements=None,
    )
    assert CodeSignature(**base, cms=None).adhoc
    assert CodeSignature(**base, cms=b"").adhoc
    assert CodeSignature(**base, cms=b"\x30\x00", flags=0x2).adhoc
    assert not CodeSignature(**base, cms=b"\x30\x00").adhoc


@pytest.mark.parametrize("name", ["signed-arm64", "signed-fat", "adhoc-arm64", "unsigned-arm64"])
def test_is_macho_fixtures(name):
    assert is_macho((MACHO / name).read_bytes()[:8])


# --- corpus: real Xcode-signed executables, read straight from the (deflated) zip member ---------
CORPUS_EXECUTABLES = {
    # openssl pkcs7 -print_certs: subject=UID = 5PJA6N5A3B, CN = iPhone Distribution: QYER Inc
    # (5PJA6N5A3B), OU = 5PJA6N5A3B, O = QYER Inc, C = US; plus Apple WWDR CA and Apple Root CA
    ("ipad.ipa", "Payload/bundle.app/bundle"): dict(
        archs=["armv7", "arm64"],
        identifier="com.icyleaf.bundle",
        team_id="5PJA6N5A3B",
        hash_types=("sha1", "sha256"),
        signer_cn="iPhone Distribution: QYER Inc (5PJA6N5A3B)",
        signer_ou="5PJA6N5A3B",
        signer_sha1="b52f2e41540a8d7e41055d640a3aa293af70d02b",
        cms=[
            "9907376974be26eb0f55a44723c1952d20a5dbfa01a4380597882cc1a66ab894",
            "a13c91e3e965f1b9d01e723a705ece04451365c4f53ad94373e676c8d8a1ec21",
        ],
        entitlements="13f0a9667b272ca9833c08cdc98d73e556d931d209c7af64bf9e816e3c9e596b",
        der_entitlements=None,
    ),
    # subject=UID = EKA52FDBX8, CN = iPhone Developer: Yi Xiao (54P9L43M84), OU = 5PJA6N5A3B,
    # O = QYER Inc, C = US; plus Apple WWDR CA and Apple Root CA
    ("iphone.ipa", "Payload/AppInfoDemo.app/AppInfoDemo"): dict(
        archs=["armv7", "arm64"],
        identifier="com.icyleaf.AppInfoDemo",
        team_id="5PJA6N5A3B",
        hash_types=("sha1", "sha256"),
        signer_cn="iPhone Developer: Yi Xiao (54P9L43M84)",
        signer_ou="5PJA6N5A3B",
        signer_sha1="ea8962e20553a671c4ab38197537c813d5d560a5",
        cms=[
            "a8a376f7d93f1ce8b666d42faf9ae905a0e08af46238fd12deb1b66ce5581147",
            "513014ab663bb82161ac7f8b8c40159430c4e9f12a1a7cdb927015f9947f99c1",
        ],
        entitlements="b2b274aee438f3624229c6760ecd7135a8a5abe626f78d674e4ae57dd473e4a3",
        der_entitlements=None,
    ),
    # subject=UID = 72LA85G59H, CN = iPhone Distribution: Niceliving Beijing Technology Co. Ltd.,
    # OU = 72LA85G59H, O = Niceliving Beijing Technology Co. Ltd., C = CN; plus WWDR and Root CA
    ("embedded.ipa", "Payload/Demo.app/Demo"): dict(
        archs=["arm64"],
        identifier="com.icyleaf.test.Demo",
        team_id="72LA85G59H",
        hash_types=("sha256",),
        signer_cn="iPhone Distribution: Niceliving Beijing Technology Co. Ltd.",
        signer_ou="72LA85G59H",
        signer_sha1="7eef3709c5e13ac34457c77c7001edeface5f744",
        cms=["4578fc373b6e21eb37d1b4c6082dab6d1b83f6fac2920d8af1e48ff56601b893"],
        entitlements="5cb503f493f5facffc56c23867fb66742abd57dc847ba4726df328f20f69c8de",
        der_entitlements="1086968c9205a987e4ea542b98eb6ed09f3348d29a0a9e68eea2dc4c35d22d29",
    ),
    ("embedded.ipa", "Payload/Demo.app/PlugIns/Notification.appex/Notification"): dict(
        archs=["arm64"],
        identifier="com.icyleaf.test.Demo.Notification",
        team_id="72LA85G59H",
        hash_types=("sha256",),
        signer_cn="iPhone Distribution: Niceliving Beijing Technology Co. Ltd.",
        signer_ou="72LA85G59H",
        signer_sha1="7eef3709c5e13ac34457c77c7001edeface5f744",
        cms=["06706987771a8a33c5fa48e6c3a410fa37c50845ebc76bb3f76ab6225f729c63"],
        entitlements="ef7947389975923facc798bdfa5dc639c79528829c35c92551cbf3a3463e0f01",
        der_entitlements="0e6634a01d294af0af0fd797f4041722d4b1a62629e6eea60b751303d6dd5090",
    ),
}


@pytest.mark.parametrize(("ipa", "member"), list(CORPUS_EXECUTABLES))
def test_corpus_executables(ipa, member):
    expected = CORPUS_EXECUTABLES[(ipa, member)]
    with zipfile.ZipFile(corpus("ios", ipa)) as archive:
        info = archive.getinfo(member)
        assert info.compress_type == zipfile.ZIP_DEFLATED
        with archive.open(info) as fh:
            head = fh.read(8)
            assert is_macho(head)
        with archive.open(info) as fh:
            sigs = read_code_signatures(fh, info.file_size)
    assert [s.arch for s in sigs] == expected["archs"]
    for sig, cms_hash in zip(sigs, expected["cms"], strict=True):
        assert sig.identifier == expected["identifier"]
        assert sig.team_id == expected["team_id"]
        assert sig.cd_hash_types == expected["hash_types"]
        assert sig.cd_hash_type == expected["hash_types"][0]
        assert sig.flags == 0
        assert not sig.adhoc
        assert sha256(sig.cms) == cms_hash
        assert sha256(sig.entitlements) == expected["entitlements"]
        assert sha256(sig.der_entitlements) == expected["der_entitlements"]
        assert sig.entitlements is not None
        assert sig.entitlements.startswith(b"<?xml")
        signer = certificates_from_pkcs7(sig.cms)[0]
        assert signer.common_name == expected["signer_cn"]
        assert signer.organizational_unit == expected["signer_ou"]
        assert signer.sha1 == expected["signer_sha1"]


class ForwardOnly(io.RawIOBase):
    """A file that refuses backward seeks and counts what is read, like a cautious zip member."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.read_total = data, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        assert whence == 0
        assert offset >= self.pos, f"backward seek from {self.pos} to {offset}"
        self.pos = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "the reader must never read the whole file"
        chunk = self.data[self.pos : self.pos + size]
        self.pos += len(chunk)
        self.read_total += len(chunk)
        return chunk


def test_reads_forward_only_and_only_what_it_needs():
    with zipfile.ZipFile(corpus("ios", "ipad.ipa")) as archive:
        data = archive.read("Payload/bundle.app/bundle")
    fh = ForwardOnly(data)
    sigs = read_code_signatures(fh, len(data))  # type: ignore[arg-type]
    assert len(sigs) == 2
    # fat table + 2 x (header, load commands, 11360-byte signature region): well under the file
    assert fh.read_total < 2 * (11360 + 4096) + 64
    assert fh.read_total < len(data) // 7


# --- fat header variants built from the fixture ---------------------------------------------------
def fat_variant(data: bytes, magic: bytes, endian: str, wide: bool) -> bytes:
    count = struct.unpack(">I", data[4:8])[0]
    entries = [struct.unpack_from(">iiIII", data, 8 + 20 * i) for i in range(count)]
    header = magic + struct.pack(endian + "I", count)
    for cputype, sub, offset, size, align in entries:
        if wide:
            header += struct.pack(endian + "iiQQII", cputype, sub, offset, size, align, 0)
        else:
            header += struct.pack(endian + "iiIII", cputype, sub, offset, size, align)
    assert len(header) <= entries[0][2]
    return header + data[len(header) :]


@pytest.mark.parametrize(
    ("magic", "endian", "wide"),
    [
        (b"\xca\xfe\xba\xbe", ">", False),
        (b"\xbe\xba\xfe\xca", "<", False),
        (b"\xca\xfe\xba\xbf", ">", True),
        (b"\xbf\xba\xfe\xca", "<", True),
    ],
)
def test_fat_header_variants(magic, endian, wide):
    data = fat_variant((MACHO / "signed-fat").read_bytes(), magic, endian, wide)
    assert is_macho(data[:8])
    assert [s.arch for s in read_bytes(data)] == ["arm64", "x86_64"]


def test_fat_slices_out_of_order_are_read_in_file_order():
    data = bytearray((MACHO / "signed-fat").read_bytes())
    first, second = bytes(data[8:28]), bytes(data[28:48])
    data[8:28], data[28:48] = second, first
    fh = ForwardOnly(bytes(data))
    sigs = read_code_signatures(fh, len(data))  # type: ignore[arg-type]
    assert [s.arch for s in sigs] == ["arm64", "x86_64"]


# --- bad input ------------------------------------------------------------------------------------
def test_is_macho_rejects_other_files():
    assert not is_macho(b"")
    assert not is_macho(b"PK\x03\x04")
    assert not is_macho(b"\x7fELF\x02\x01\x01\x00")
    # a Java class file (major version 52) shares the 0xcafebabe magic
    assert not is_macho(b"\xca\xfe\xba\xbe\x00\x00\x00\x34")
    assert not is_macho(b"\xca\xfe\xba\xbe\x00\x00\x00\x00")


@pytest.mark.parametrize("name", ["signed-arm64", "signed-fat", "adhoc-arm64"])
def test_truncated_files(name):
    data = (MACHO / name).read_bytes()
    for cut in [0, 3, 7, 8, 27, 31, 40, 200, 4095, 4096, 4200, len(data) - 1]:
        with pytest.raises(ArtifactError):
            read_bytes(data[:cut])


def test_size_larger_than_the_stream():
    data = (MACHO / "signed-arm64").read_bytes()
    with pytest.raises(ArtifactError, match="cut short"):
        read_code_signatures(io.BytesIO(data[:5000]), len(data))


def test_random_bytes():
    rng = random.Random(4)
    for _ in range(200):
        data = rng.randbytes(rng.randrange(0, 3000))
        with pytest.raises(ArtifactError):
            read_bytes(data)
    for magic in [b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"]:
        for _ in range(200):
            data = magic + rng.randbytes(rng.randrange(0, 3000))
            with contextlib.suppress(ArtifactError):
                read_bytes(data)


def test_mutated_fixture_only_ever_raises_artifact_error():
    original = (MACHO / "signed-fat").read_bytes()
    rng = random.Random(7)
    regions = [(0, 64), (16384, 16384 + 400), (16384 + 4096, 16384 + 4096 + 1200)]
    for _ in range(1500):
        data = bytearray(original)
        for _ in range(rng.randrange(1, 4)):
            start, end = rng.choice(regions)
            data[rng.randrange(start, end)] = rng.randrange(256)
        with contextlib.suppress(ArtifactError):
            read_bytes(bytes(data))


def thin(data: bytes) -> tuple[bytearray, int]:
    """The signed-arm64 fixture and the offset of its LC_CODE_SIGNATURE dataoff field."""
    buf = bytearray(data)
    ncmds, _sizeofcmds = struct.unpack_from("<II", buf, 16)
    pos = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", buf, pos)
        if cmd == 0x1D:
            return buf, pos + 8
        pos += size
    raise AssertionError("no LC_CODE_SIGNATURE")


@pytest.fixture
def signed() -> bytes:
    return (MACHO / "signed-arm64").read_bytes()


def test_absurd_ncmds(signed):
    data = bytearray(signed)
    struct.pack_into("<I", data, 16, 10_001)
    with pytest.raises(ArtifactError, match="load commands"):
        read_bytes(bytes(data))


def test_load_commands_past_the_end(signed):
    data = bytearray(signed)
    struct.pack_into("<I", data, 20, len(data))  # sizeofcmds
    with pytest.raises(ArtifactError, match="past the end"):
        read_bytes(bytes(data))


def test_load_command_size_zero(signed):
    data = bytearray(signed)
    struct.pack_into("<I", data, 32 + 4, 0)
    with pytest.raises(ArtifactError, match="bad size"):
        read_bytes(bytes(data))


def test_signature_outside_the_file(signed):
    data, field = thin(signed)
    struct.pack_into("<I", data, field, len(data))
    with pytest.raises(ArtifactError, match="outside the file"):
        read_bytes(bytes(data))


def test_signature_too_large(signed):
    data, field = thin(signed)
    struct.pack_into("<I", data, field + 4, 17 << 20)
    with pytest.raises(ArtifactError, match="larger than 16 MiB"):
        read_bytes(bytes(data))


def test_superblob_index_pointing_outside(signed):
    data, field = thin(signed)
    dataoff = struct.unpack_from("<I", data, field)[0]
    struct.pack_into(">I", data, dataoff + 12 + 4, 0x7FFFFFFF)  # first index entry's offset
    with pytest.raises(ArtifactError, match="points outside"):
        read_bytes(bytes(data))


def test_superblob_absurd_count(signed):
    data, field = thin(signed)
    dataoff = struct.unpack_from("<I", data, field)[0]
    struct.pack_into(">I", data, dataoff + 8, 0xFFFFFFF)
    with pytest.raises(ArtifactError, match="index"):
        read_bytes(bytes(data))


def test_superblob_bad_magic(signed):
    data, field = thin(signed)
    dataoff = struct.unpack_from("<I", data, field)[0]
    struct.pack_into(">I", data, dataoff, 0xFADE0C01)
    with pytest.raises(ArtifactError, match="SuperBlob"):
        read_bytes(bytes(data))


def test_fat_with_too_many_architectures(signed):
    data = b"\xca\xfe\xba\xbe" + struct.pack(">I", 65) + bytes(65 * 20)
    with pytest.raises(ArtifactError, match="architectures"):
        read_bytes(data)


def test_fat_slice_outside_the_file():
    data = bytearray((MACHO / "signed-fat").read_bytes())
    struct.pack_into(">I", data, 8 + 12, len(data))  # first slice's size
    with pytest.raises(ArtifactError, match="outside the file"):
        read_bytes(bytes(data))


def test_fat_slice_not_macho():
    data = bytearray((MACHO / "signed-fat").read_bytes())
    offset = struct.unpack_from(">I", data, 16)[0]
    data[offset : offset + 4] = b"\0\0\0\0"
    with pytest.raises(ArtifactError, match="not a Mach-O"):
        read_bytes(bytes(data))


def test_not_macho():
    with pytest.raises(ArtifactError, match="not a Mach-O"):
        read_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9, 0.999])
def test_corrupt_deflated_zip_member(where):
    data = (MACHO / "signed-arm64").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Payload/A.app/A", data)
    raw = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("Payload/A.app/A")
    start = info.header_offset + 30 + len(info.filename)
    raw[start + int(info.compress_size * where)] ^= 0x55
    # The signature region runs to the member's end, so zipfile's CRC check always runs.
    with (
        zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive,
        archive.open(info.filename) as fh,
        pytest.raises(ArtifactError, match="Mach-O"),
    ):
        read_code_signatures(fh, info.file_size)


@pytest.mark.parametrize(
    ("cputype", "cpusubtype", "arch"),
    [
        (0x0100000C, 0x80000002, "arm64e"),  # arm64e with the pointer-auth ABI bit set
        (0x0100000C, 0, "arm64"),
        (0x01000007, 3, "x86_64"),
        (7, 3, "i386"),
        (12, 9, "armv7"),
        (12, 11, "armv7s"),
        (0x12345, 0, "cpu 0x12345"),
    ],
)
def test_architecture_names(signed, cputype, cpusubtype, arch):
    data = bytearray(signed)
    struct.pack_into("<iI", data, 4, cputype, cpusubtype)
    (sig,) = read_bytes(bytes(data))
    assert sig.arch == arch
