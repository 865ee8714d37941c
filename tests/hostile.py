"""Crafted hostile inputs, generated (nothing binary is committed): the regression tests of issue
12 build them in a temporary folder, and ``bench/bench_hostile.py`` times every one of them.

Each maker writes one file and returns its path. Sizes are given so that the file is small and,
before the fixes, made the reader hang, blow up or raise an unexpected exception.
"""

from __future__ import annotations

import io
import plistlib
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["CASES", "bplist_dag", "info_plist", "write_zip"]


# -- building blocks ----------------------------------------------------------------------------
def bplist_dag(levels: int, top: dict[str, str] | None = None, key: str = "Shared") -> bytes:
    """A binary plist whose dictionary holds, under ``key``, an array of two references to the
    same array of two references to ... (``levels`` deep): 2**levels paths in a few hundred bytes.
    """
    top = dict(top or {"CFBundleIdentifier": "com.example.dag", "CFBundleExecutable": "X"})
    objects: list[bytes] = []

    def ascii_string(text: str) -> bytes:
        raw = text.encode("ascii")
        if len(raw) < 15:
            return bytes([0x50 | len(raw)]) + raw
        return bytes([0x5F, 0x10, len(raw)]) + raw

    keys = [*top, key]
    # object 0: the dict; 1..k: keys; then the values; then the arrays; then the leaf.
    n_keys = len(keys)
    first_value = 1 + n_keys
    first_array = first_value + len(top)
    leaf = first_array + levels
    refs = list(range(1, 1 + n_keys)) + list(range(first_value, first_value + len(top))) + [first_array]
    objects.append(bytes([0xD0 | n_keys]) + bytes(refs))
    objects.extend(ascii_string(k) for k in keys)
    objects.extend(ascii_string(v) for v in top.values())
    for level in range(levels):
        child = first_array + level + 1 if level + 1 < levels else leaf
        objects.append(bytes([0xA2, child, child]))
    objects.append(ascii_string("leaf"))
    assert len(objects) < 256
    body = b"bplist00"
    offsets = []
    for obj in objects:
        offsets.append(len(body))
        body += obj
    table_offset = len(body)
    width = 1 if table_offset < 256 else 2
    body += b"".join(o.to_bytes(width, "big") for o in offsets)
    body += struct.pack(">6xBBQQQ", width, 1, len(objects), 0, table_offset)
    return body


def info_plist(binary: bool = False, **extra: object) -> bytes:
    values: dict[str, object] = {"CFBundleIdentifier": "com.example.hostile", "CFBundleExecutable": "X",
                                 "CFBundleShortVersionString": "1.0", "CFBundleVersion": "1"}
    values.update(extra)
    return plistlib.dumps(values, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)


def write_zip(path: Path, members: list[tuple[str, bytes]], *, stored: bool = False) -> Path:
    """A zip of ``members`` in order (duplicate names allowed: zipfile only warns)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
            for name, data in members:
                z.writestr(name, data)
    return path


def _ipa(path: Path, info: bytes, *extra: tuple[str, bytes]) -> Path:
    return write_zip(path, [("Payload/H.app/Info.plist", info), *extra])


def _shared_member_zip(path: Path, first: tuple[str, bytes], names: list[str], data: bytes) -> Path:
    """A zip whose central directory lists ``names``, all pointing at ONE deflated member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(first[0], first[1])
        z.writestr(names[0], data)
    raw = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        infos = z.infolist()
    shared = infos[1]
    local_end = infos[1].header_offset
    central = []
    for info in infos[:1]:
        central.append(_central_entry(info, info.filename))
    central.extend(_central_entry(shared, name) for name in names)
    cd = b"".join(central)
    body = raw[: _cd_offset(raw)]
    assert local_end < len(body)
    count = len(central) & 0xFFFF  # the 16-bit count wraps, as zip tools write it; zipfile reads the bytes
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(cd), len(body), 0)
    path.write_bytes(body + cd + eocd)
    return path


def _cd_offset(raw: bytes) -> int:
    eocd = raw.rindex(b"PK\x05\x06")
    return int(struct.unpack_from("<I", raw, eocd + 16)[0])


def _central_entry(info: zipfile.ZipInfo, name: str) -> bytes:
    encoded = name.encode("utf-8")
    dostime = info.date_time
    time_ = (dostime[3] << 11) | (dostime[4] << 5) | (dostime[5] // 2)
    date_ = ((dostime[0] - 1980) << 9) | (dostime[1] << 5) | dostime[2]
    return struct.pack(
        "<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 3, 20, 0x800, info.compress_type, time_, date_,
        info.CRC, info.compress_size, info.file_size, len(encoded), 0, 0, 0, 0, 0o644 << 16,
        info.header_offset,
    ) + encoded


# -- the cases ----------------------------------------------------------------------------------
def dag_profile(folder: Path) -> Path:
    """A bare binary-plist provisioning profile whose Entitlements share one subtree 40 deep."""
    data = bplist_dag(40, {"AppIDName": "dag", "TeamName": "T"}, key="Entitlements")
    path = folder / "dag.mobileprovision"
    path.write_bytes(data)
    return path


def dag_ipa(folder: Path) -> Path:
    return _ipa(folder / "dag.ipa", bplist_dag(40))


def duplicate_plugins_ipa(folder: Path) -> Path:
    """100 central-directory entries named alike, and 100 distinct extension plists, all sharing
    one deflated member that inflates to 16 MB of XML plist."""
    body = b"<key>k</key><string>" + b"a" * ((16 << 20) - 200) + b"</string>"
    big = b'<?xml version="1.0"?><plist version="1.0"><dict>' + body + b"</dict></plist>"
    names = ["Payload/H.app/PlugIns/E.appex/Info.plist"] * 50 + [
        f"Payload/H.app/PlugIns/E{i}.appex/Info.plist" for i in range(50)]
    return _shared_member_zip(folder / "dupes.ipa", ("Payload/H.app/Info.plist", info_plist()),
                              names, big)


def many_icon_names_ipa(folder: Path, icons: int = 20_000, members: int = 40_000) -> Path:
    """An Info.plist naming 20k icon files and a bundle of 40k members: quadratic before."""
    info = info_plist(CFBundleIconFiles=[f"Icon{i}" for i in range(icons)])
    extra = [(f"Payload/H.app/f{i}", b"") for i in range(members)]
    return _ipa(folder / "icons.ipa", info, *extra)


def fifo(folder: Path) -> Path:
    import os

    path = folder / "pipe.apk"
    os.mkfifo(path)
    return path


def cgbi_icon_ipa(folder: Path, side: int = 8192) -> Path:
    """An IPA whose icon is a CgBI PNG of side x side pixels (all zero: it deflates to nothing)."""
    # One row, deflated and fully flushed (no back-reference crosses a full flush), repeated:
    # a valid raw deflate stream of side rows, built without deflating them all.
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    row = raw.compress(b"\0" * (side * 4 + 1)) + raw.flush(zlib.Z_FULL_FLUSH)
    idat = row * side + zlib.compressobj(9, zlib.DEFLATED, -15).flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"CgBI", b"\x50\x00\x20\x06")
           + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return _ipa(folder / "cgbi.ipa", info_plist(CFBundleIconFiles=["Icon"]),
                ("Payload/H.app/Icon.png", png))


def escape_label_ipa(folder: Path) -> Path:
    label = "Nice\x1b]0;pwned\x07\x1b[2J\n  Signed  v1, v2, v3"
    return _ipa(folder / "label.ipa", info_plist(binary=True, CFBundleDisplayName=label))


def unknown_encoding_ipa(folder: Path) -> Path:
    info = b'<?xml version="1.0" encoding="x-klingon"?><plist version="1.0"><dict/></plist>'
    return _ipa(folder / "encoding.ipa", info)


def truncated_ipa(folder: Path) -> Path:
    good = _ipa(folder / "whole.ipa", info_plist(), ("Payload/H.app/pad", bytes(range(256)) * 64))
    path = folder / "truncated.ipa"
    path.write_bytes(good.read_bytes()[:-40])
    return path


#: name -> maker(folder) -> path; what bench/bench_hostile.py times.
CASES: dict[str, Callable[[Path], Path]] = {
    "dag-profile": dag_profile,
    "dag-ipa": dag_ipa,
    "duplicate-plugins-ipa": duplicate_plugins_ipa,
    "many-icon-names-ipa": many_icon_names_ipa,
    "cgbi-8192-ipa": cgbi_icon_ipa,
    "escape-label-ipa": escape_label_ipa,
    "unknown-encoding-ipa": unknown_encoding_ipa,
    "truncated-ipa": truncated_ipa,
}


def certificate_der(algorithm: str = "ed25519", *, not_before_year: int = 2025) -> bytes:
    """A self-signed-looking X.509 certificate (the signature is not real: nothing verifies it)
    with an Ed25519, Ed448 or P-521 key, or one that became valid in ``not_before_year`` (0
    allowed)."""
    from datetime import UTC, datetime

    from asn1crypto import keys, util, x509

    name = x509.Name.build({"common_name": f"Hostile {algorithm}"})
    key = {"ed25519": b"\x01" * 32, "ed448": b"\x01" * 57, "p521": b"\x04" + b"\x01" * 132}[algorithm]
    key_algorithm: dict[str, object] = {"algorithm": algorithm}
    if algorithm == "p521":
        key_algorithm = {"algorithm": "ec", "parameters": ("named", "secp521r1")}
        algorithm = "sha512_ecdsa"
    start = (util.extended_datetime(0, 1, 1, tzinfo=UTC) if not_before_year == 0
             else datetime(not_before_year, 1, 1, tzinfo=UTC))
    tbs = x509.TbsCertificate({
        "version": "v3", "serial_number": 12, "signature": {"algorithm": algorithm},
        "issuer": name, "subject": name,
        "validity": {"not_before": x509.Time({"general_time": start}),
                     "not_after": x509.Time({"general_time": datetime(2040, 1, 1, tzinfo=UTC)})},
        "subject_public_key_info": keys.PublicKeyInfo({"algorithm": key_algorithm,
                                                       "public_key": key}),
    })
    return x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": {"algorithm": algorithm},
                             "signature_value": b"\0" * 64}).dump()


def tlv(tag: int, content: bytes) -> bytes:
    """One DER tag-length-value with a definite length (short or long form)."""
    n = len(content)
    length = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + content


def cms_with_bad_signer_info() -> bytes:
    """A CMS SignedData whose one SignerInfo is an OCTET STRING in a SEQUENCE: asn1crypto parses
    signer infos lazily, so the damage shows only when they are read."""
    signed_data_oid = bytes.fromhex("06092a864886f70d010702")
    data_oid = bytes.fromhex("06092a864886f70d010701")
    signed = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x31, b"") + tlv(0x30, data_oid)
                  + tlv(0x31, tlv(0x30, tlv(0x04, b"junk"))))
    return tlv(0x30, signed_data_oid + tlv(0xA0, signed))


def fat_macho(path: Path, slices: int = 64, signature: int = 8 << 20, cms: bool = False) -> Path:
    """A fat Mach-O of ``slices`` arm64 slices, each with a code signature region of
    ``signature`` bytes (a minimal SuperBlob, then zeros), written sparse. With ``cms``, the
    SuperBlob's CMS slot fills the whole region (each slice's blob was kept in memory before)."""
    page = 4096
    offsets = []
    position = page * ((8 + 20 * slices) // page + 1)
    for _ in range(slices):
        offsets.append(position)
        position += page + signature
        position = (position + page - 1) // page * page
    with open(path, "wb") as fh:
        fh.write(struct.pack(">II", 0xCAFEBABE, slices))
        for offset in offsets:
            fh.write(struct.pack(">iiIII", 0x0100000C, 0, offset, page + signature, 12))
        for offset in offsets:
            fh.seek(offset)
            fh.write(struct.pack("<IiiIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 1, 16, 0) + b"\0" * 4)
            fh.write(struct.pack("<IIII", 0x1D, 16, page, signature))
            fh.seek(offset + page)
            if cms:
                fh.write(struct.pack(">IIIII", 0xFADE0CC0, signature, 1, 0x10000, 20))
                fh.write(struct.pack(">II", 0xFADE0B01, signature - 20))
            else:
                fh.write(struct.pack(">III", 0xFADE0CC0, 12, 0))
        fh.truncate(position)
    return path


def fat_signatures_ipa(folder: Path) -> Path:
    """A small IPA whose executable is a fat Mach-O of 64 slices with 15 MB CMS blobs each."""
    exe = fat_macho(folder / "fat.bin", signature=15 << 20, cms=True)
    path = folder / "fat-signatures.ipa"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Payload/H.app/Info.plist", info_plist())
        with z.open("Payload/H.app/X", "w", force_zip64=True) as out, open(exe, "rb") as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    exe.unlink()
    return path


def duplicate_executables_ipa(folder: Path, copies: int = 20, size: int = 15 << 20) -> Path:
    """20 central-directory entries for the app's executable, all one deflated member."""
    exe = fat_macho(folder / "one.bin", slices=1, signature=size)
    return _shared_member_zip(folder / "dup-exe.ipa", ("Payload/H.app/Info.plist", info_plist()),
                              ["Payload/H.app/X"] * copies, exe.read_bytes())


CASES.update({
    "fat-signatures-ipa": fat_signatures_ipa,
    "duplicate-executables-ipa": duplicate_executables_ipa,
})


def _apk_with_table(folder: Path, name: str, table: bytes) -> Path:
    """fixtures/apk/unsigned.apk with ``table`` as its resources.arsc."""
    source = Path(__file__).resolve().parent.parent / "fixtures" / "apk" / "unsigned.apk"
    out = folder / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, table if info.filename == "resources.arsc" else src.read(info))
    return out


def _fixture_table() -> bytes:
    source = Path(__file__).resolve().parent.parent / "fixtures" / "apk" / "unsigned.apk"
    with zipfile.ZipFile(source) as z:
        return z.read("resources.arsc")


def arsc_16m_entries_apk(folder: Path) -> Path:
    """An APK whose resource table's first type chunk claims 16 Mi entries."""
    data = bytearray(_fixture_table())
    first_type = data.index(struct.pack("<HH", 0x0201, 84))
    struct.pack_into("<I", data, first_type + 12, 16 << 20)
    return _apk_with_table(folder, "entries.apk", bytes(data))


def oversized_arsc_apk(folder: Path) -> Path:
    """An APK whose resource table is 40 MiB of zeros past the real one (over the 32 MiB limit)."""
    return _apk_with_table(folder, "oversized.apk", _fixture_table() + b"\0" * (40 << 20))


CASES.update({
    "arsc-16m-entries-apk": arsc_16m_entries_apk,
    "oversized-arsc-apk": oversized_arsc_apk,
})


def named_pipe(folder: Path) -> Path:
    return fifo(folder)


def ed25519_profile(folder: Path) -> Path:
    path = folder / "ed25519.mobileprovision"
    path.write_bytes(plistlib.dumps({
        "AppIDName": "A", "TeamName": "T", "TeamIdentifier": ["T"], "UUID": "u",
        "Entitlements": {"application-identifier": "T.com.example"},
        "DeveloperCertificates": [certificate_der("ed25519"), certificate_der("ed448", not_before_year=0)],
    }))
    return path


CASES.update({
    "named-pipe": named_pipe,
    "ed25519-profile": ed25519_profile,
})


def big_executable_ipa(folder: Path, size: int = (1 << 30) - (1 << 20), copies: int = 20) -> Path:
    """An extension listed ``copies`` times (its Info.plist's name repeated in the central
    directory) whose executable is one deflated Mach-O of ``size`` bytes with its code signature
    at the end: read once per duplicate before (20 x 1 GB took 41 s), once now. The inflate
    budget's worst case. Slow to build (seconds): bench only."""
    exe = folder / "big.bin"
    sig_at = size - 4096
    with open(exe, "wb") as fh:
        fh.write(struct.pack("<IiiIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 1, 16, 0) + b"\0" * 4)
        fh.write(struct.pack("<IIII", 0x1D, 16, sig_at, 4096))
        fh.seek(sig_at)
        fh.write(struct.pack(">III", 0xFADE0CC0, 12, 0))
        fh.truncate(size)
    path = folder / "big-exe.ipa"
    appex = "Payload/H.app/PlugIns/E.appex/"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("Payload/H.app/Info.plist", info_plist())
        z.writestr(appex + "Info.plist", info_plist(CFBundleIdentifier="com.example.hostile.e"))
        with z.open(appex + "X", "w", force_zip64=True) as out, open(exe, "rb") as src:
            while chunk := src.read(8 << 20):
                out.write(chunk)
    exe.unlink()
    # Rewrite the central directory (zip64): the extension's Info.plist ``copies`` times.
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        cd_offset = int(z.start_dir)  # type: ignore[attr-defined]
    entries = [_central_entry64(infos[0]), *[_central_entry64(infos[1])] * copies,
               _central_entry64(infos[2])]
    cd = b"".join(entries)
    with open(path, "r+b") as fh:
        fh.seek(cd_offset)
        fh.truncate()
        fh.write(cd)
        zip64_eocd_at = fh.tell()
        fh.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, len(entries),
                             len(entries), len(cd), cd_offset))
        fh.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, zip64_eocd_at, 1))
        fh.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                             0xFFFFFFFF, 0))
    return path


def _central_entry64(info: zipfile.ZipInfo) -> bytes:
    encoded = info.filename.encode("utf-8")
    extra = struct.pack("<HHQQQ", 1, 24, info.file_size, info.compress_size, info.header_offset)
    dostime = info.date_time
    time_ = (dostime[3] << 11) | (dostime[4] << 5) | (dostime[5] // 2)
    date_ = ((dostime[0] - 1980) << 9) | (dostime[1] << 5) | dostime[2]
    return struct.pack(
        "<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", 45, 3, 45, info.flag_bits, info.compress_type, time_,
        date_, info.CRC, 0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0o644 << 16,
        0xFFFFFFFF,
    ) + encoded + extra


CASES["big-executable-ipa"] = big_executable_ipa


# -- issue 21: work budgets ----------------------------------------------------------------------
_ED25519 = tlv(0x30, tlv(0x06, bytes.fromhex("2b6570")))


def certificate_with_name(name: bytes) -> bytes:
    """An Ed25519 certificate (signature not real) whose subject and issuer are ``name``, the
    encoded Name (a SEQUENCE): the place a hostile certificate hides millions of tiny values."""
    validity = tlv(0x30, tlv(0x18, b"20250101000000Z") + tlv(0x18, b"20400101000000Z"))
    key = tlv(0x30, _ED25519 + tlv(0x03, b"\0" + b"\1" * 32))
    tbs = tlv(0x30, tlv(0xA0, tlv(0x02, b"\2")) + tlv(0x02, b"\x0c") + _ED25519 + name + validity
              + name + key)
    return tlv(0x30, tbs + _ED25519 + tlv(0x03, b"\0" + b"\0" * 64))


def wide_name(rdns: int, per_rdn: int) -> bytes:
    """A Name of ``rdns`` RDNs of ``per_rdn`` common names each: rdns * per_rdn * 4 values."""
    atv = tlv(0x30, tlv(0x06, bytes.fromhex("550403")) + tlv(0x0C, b"x"))
    return tlv(0x30, tlv(0x31, atv * per_rdn) * rdns)


def cms_of(certificates: list[bytes], content: bytes | None = None) -> bytes:
    """A CMS SignedData carrying ``certificates`` (raw bytes each) and ``content`` (detached when
    None), with an empty signer-info set."""
    signed_data_oid = bytes.fromhex("06092a864886f70d010702")
    data_oid = bytes.fromhex("06092a864886f70d010701")
    encapsulated = data_oid if content is None else data_oid + tlv(0xA0, tlv(0x04, content))
    signed = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x31, b"") + tlv(0x30, encapsulated)
                 + tlv(0xA0, b"".join(certificates)) + tlv(0x31, b""))
    return tlv(0x30, signed_data_oid + tlv(0xA0, signed))


def apk_v1(path: Path, block: bytes, *, name: str = "CERT") -> Path:
    """A minimal APK (the signed fixture's manifest) whose v1 signature block is ``block``."""
    from tests.conftest import FIXTURES

    with zipfile.ZipFile(FIXTURES / "apk" / "signed-v1v2v3.apk") as z:
        manifest = z.read("AndroidManifest.xml")
    return write_zip(path, [("AndroidManifest.xml", manifest), ("classes.dex", b"dex\n035\0"),
                            (f"META-INF/{name}.SF", b"Signature-Version: 1.0\r\n\r\n"),
                            (f"META-INF/{name}.RSA", block)])


def null_flood_apk(folder: Path, count: int = 500_000) -> Path:
    """A v1 signature block whose certificate set holds ``count`` NULLs (1 MB deflating to ~1 KB):
    the DER reader built the whole list of children before any count was checked."""
    return apk_v1(folder / "null-flood.apk", cms_of([b"\x05\x00" * count]))


def wide_name_profile(folder: Path, rdns: int = 1000, per_rdn: int = 250) -> Path:
    """A CMS profile (5 MB by default) whose certificate's names hold ``rdns`` RDNs of ``per_rdn``
    values: each list is under the per-SEQUENCE cap, not the attributes of one name."""
    cert = certificate_with_name(wide_name(rdns, per_rdn))
    content = plistlib.dumps({"Name": "p", "UUID": "u", "TeamIdentifier": ["T"],
                              "DeveloperCertificates": [cert]}, fmt=plistlib.FMT_BINARY)
    path = folder / "wide-name.mobileprovision"
    path.write_bytes(cms_of([cert], content))
    return path


def junk_certificate(serial: int, values: int = 9_999) -> bytes:
    """A certificate whose to-be-signed SEQUENCE holds ``values`` NULLs (under the per-SEQUENCE
    cap) before a serial that makes each one distinct: read whole, it fails at its end."""
    return tlv(0x30, tlv(0x30, b"\x05\x00" * values + tlv(0x02, serial.to_bytes(4, "big")))
               + _ED25519 + tlv(0x03, b"\0"))


def junk_certificates_profile(folder: Path, count: int = 100) -> Path:
    """A CMS profile whose DeveloperCertificates are ``count`` distinct junk certificates: each is a
    warning, and together they are a million DER values, ten times the artifact's budget."""
    content = plistlib.dumps({"Name": "p", "UUID": "u", "TeamIdentifier": ["T"],
                              "DeveloperCertificates": [junk_certificate(n) for n in range(count)]},
                             fmt=plistlib.FMT_BINARY)
    path = folder / "junk-certificates.mobileprovision"
    path.write_bytes(cms_of([certificate_der()], content))
    return path


def repeated_certificate_profile(folder: Path, copies: int = 150_000) -> Path:
    """A binary-plist profile whose DeveloperCertificates array names one certificate ``copies``
    times (a binary plist stores it once): read once per reference before the cache."""
    import plistlib

    cert = certificate_der()
    data = plistlib.dumps({"Name": "p", "UUID": "u", "TeamIdentifier": ["T"],
                           "DeveloperCertificates": [cert] * copies}, fmt=plistlib.FMT_BINARY)
    path = folder / "repeated-certificate.mobileprovision"
    path.write_bytes(data)
    return path


def deep_links_apk(folder: Path, each: int = 100) -> Path:
    """A 20 KB manifest whose one intent filter names ``each`` schemes, hosts and paths:
    ``each ** 3`` deep links (a million by default)."""
    from tests.android_bytes import deep_link_manifest

    manifest = deep_link_manifest(each, each, each)
    return write_zip(folder / "deep-links.apk", [("AndroidManifest.xml", manifest),
                                                 ("classes.dex", b"dex\n035\0")])


def many_permissions_apk(folder: Path, count: int = 36_000) -> Path:
    """A 4 MB manifest of ``count`` uses-permission elements, each name twice: deduplicating
    them on a list compared each with every one kept (324 million comparisons)."""
    from tests.android_bytes import deep_link_manifest

    return write_zip(folder / "permissions.apk", [("AndroidManifest.xml",
                                                   deep_link_manifest(1, 1, 1, permissions=count)),
                                                  ("classes.dex", b"dex\n035\0")])


def flat_xml_plist(values: int = 2_000_000) -> bytes:
    """An XML plist of one array of ``values`` empty dictionaries (14 MB for two million)."""
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><array>'
            + b"<dict/>" * values + b"</array></plist>")


def flat_binary_plist(refs: int = 4_000_000) -> bytes:
    """A binary plist whose top array holds ``refs`` references to one empty dictionary (12 MB for
    four million, 4-byte references): two objects, millions of values."""
    ref_size, count = 4, 2
    array = bytes([0xAF, 0x12]) + refs.to_bytes(4, "big") + (1).to_bytes(ref_size, "big") * refs
    body = b"bplist00" + array + b"\xd0"  # object 0: the array; object 1: an empty dict
    offsets = struct.pack(">II", 8, 8 + len(array))
    trailer = struct.pack(">6xBBQQQ", 4, ref_size, count, 0, len(body))
    return body + offsets + trailer


def empty_cpio_entries(count: int) -> bytes:
    """A gzip-compressed newc cpio stream of ``count`` empty files named ``e``, then its trailer:
    ~110 bytes an entry, deflating ~1000:1."""
    import gzip

    def header(name: bytes) -> bytes:
        fields = [0, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(name) + 1, 0]
        raw = b"070701" + b"".join(b"%08x" % f for f in fields) + name + b"\0"
        return raw + b"\0" * (-len(raw) % 4)

    return gzip.compress(header(b"e") * count + header(b"TRAILER!!!"), compresslevel=9, mtime=0)


def pbzx_big_dictionary(dict_byte: int = 40) -> bytes:
    """A pbzx stream of one xz chunk whose LZMA2 filter declares a dictionary of code ``dict_byte``
    (40: 4 GiB - 1; the block header's CRC recomputed, the data encoded with a small one)."""
    import lzma

    data = b"hello" * 1000
    xz = bytearray(lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                                 filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}]))
    size = (xz[12] + 1) * 4  # the block header follows the 12-byte stream header
    assert xz[14:16] == b"\x21\x01"  # one filter: LZMA2, one property byte
    xz[16] = dict_byte
    xz[12 + size - 4:12 + size] = struct.pack("<I", zlib.crc32(bytes(xz[12:12 + size - 4])))
    return b"pbzx" + struct.pack(">QQQ", 16 << 20, len(data), len(xz)) + bytes(xz)


def shared_header_apk(folder: Path, names: int = 300_000) -> Path:
    """``names`` central-directory entries naming one local header (21 MB of directory)."""
    from tests.conftest import FIXTURES

    with zipfile.ZipFile(FIXTURES / "apk" / "signed-v1v2v3.apk") as z:
        manifest = z.read("AndroidManifest.xml")
    return _shared_member_zip(folder / "shared-header.apk", ("AndroidManifest.xml", manifest),
                              [f"lib/arm64-v8a/lib{i}.so" for i in range(names)], b"x" * 100)


CASES.update({
    "null-flood-apk": null_flood_apk,
    "wide-name-profile": wide_name_profile,
    "junk-certificates-profile": junk_certificates_profile,
    "repeated-certificate-profile": repeated_certificate_profile,
    "deep-links-apk": deep_links_apk,
    "many-permissions-apk": many_permissions_apk,
    "shared-header-apk": shared_header_apk,
})


# -- resource tables a manifest's label leads into -------------------------------------------------
def _label_apk(path: Path, table: bytes, label: int = 0x7F010000) -> Path:
    """An APK whose manifest's application label is the reference ``label`` into ``table``."""
    from tests.android_bytes import ANDROID_NS, T_REFERENCE, document, end_element, start_element, string_pool

    strings = ["manifest", "application", ANDROID_NS, "label", "package", "com.example.arsc"]
    nodes = (start_element(0, [(0xFFFFFFFF, 4, 5, 3, 5)])
             + start_element(1, [(2, 3, 0xFFFFFFFF, T_REFERENCE, label)])
             + end_element(1) + end_element(0))
    manifest = document(string_pool(strings), [0, 0, 0, 0x01010001], nodes)
    return write_zip(path, [("AndroidManifest.xml", manifest), ("resources.arsc", table),
                            ("classes.dex", b"dex\n035\0")])


def cycle_table() -> bytes:
    """Two strings that name each other (``0x7f010000`` -> ``0x7f010001`` -> ``0x7f010000``)."""
    from tests.android_bytes import T_REFERENCE, Cfg, Table

    return Table(["x"], ["a", "b"], {"string": {Cfg(): [(0, T_REFERENCE, 0x7F010001),
                                                        (1, T_REFERENCE, 0x7F010000)]}}).build()


def fan_out_table(depth: int = 30, configs: int = 40) -> bytes:
    """``depth`` strings, each with ``configs`` configurations that all name the next one:
    ``configs ** depth`` paths from the first."""
    from tests.android_bytes import T_REFERENCE, T_STRING, Cfg, Table

    chain = [(i, T_REFERENCE, 0x7F010000 + i + 1) for i in range(depth)] + [(depth, T_STRING, 0)]
    keys = [f"r{i}" for i in range(depth + 1)]
    return Table(["x"], keys, {"string": {Cfg(density=d): chain for d in range(1, configs + 1)}}).build()


def many_chunks_table(base: bytes | None = None, *, type_chunks: bool = False) -> bytes:
    """``base`` (a one-string table by default) with its package grown to the 32 MiB member limit
    by copies of one chunk: an 8-byte chunk of an unknown type, or ``base``'s first type chunk."""
    from inspector.formats.apk import RESOURCES_LIMIT
    from tests.android_bytes import T_STRING, Cfg, Table

    if base is None:
        base = Table(["x"], ["a"], {"string": {Cfg(): [(0, T_STRING, 0)]}}).build()
    if type_chunks:
        pos = base.index(struct.pack("<HH", 0x0201, 84))
        unit = base[pos:pos + struct.unpack_from("<I", base, pos + 4)[0]]
    else:
        unit = struct.pack("<HHI", 0x0299, 8, 8)
    extra = unit * ((RESOURCES_LIMIT - len(base)) // len(unit))
    out = bytearray(base)
    pkg = out.index(struct.pack("<HH", 0x0200, 288))
    size = struct.unpack_from("<I", out, pkg + 4)[0]
    out[pkg + size:pkg + size] = extra
    struct.pack_into("<I", out, pkg + 4, size + len(extra))
    struct.pack_into("<I", out, 4, len(out))
    return bytes(out)


def arsc_cycle_apk(folder: Path) -> Path:
    return _label_apk(folder / "arsc-cycle.apk", cycle_table())


def arsc_fan_out_apk(folder: Path) -> Path:
    return _label_apk(folder / "arsc-fan-out.apk", fan_out_table())


def arsc_tiny_chunks_apk(folder: Path) -> Path:
    return _label_apk(folder / "arsc-tiny-chunks.apk", many_chunks_table())


def arsc_type_chunks_apk(folder: Path) -> Path:
    return _label_apk(folder / "arsc-type-chunks.apk", many_chunks_table(type_chunks=True))


CASES.update({
    "arsc-cycle-apk": arsc_cycle_apk,
    "arsc-fan-out-apk": arsc_fan_out_apk,
    "arsc-tiny-chunks-apk": arsc_tiny_chunks_apk,
    "arsc-type-chunks-apk": arsc_type_chunks_apk,
})


# -- binary XML manifests --------------------------------------------------------------------------
def _manifest_apk(path: Path, manifest: bytes) -> Path:
    return write_zip(path, [("AndroidManifest.xml", manifest), ("classes.dex", b"dex\n035\0")])


def fixture_manifest() -> tuple[bytes, int]:
    """fixtures/apk/unsigned.apk's manifest and the offset where its string pool ends."""
    source = Path(__file__).resolve().parent.parent / "fixtures" / "apk" / "unsigned.apk"
    with zipfile.ZipFile(source) as z:
        data = z.read("AndroidManifest.xml")
    return data, 8 + struct.unpack_from("<I", data, 12)[0]


def _with_total_size(data: bytes) -> bytes:
    return data[:4] + struct.pack("<I", len(data)) + data[8:]


def axml_zeros(zeros: int) -> bytes:
    """The fixture's manifest with ``zeros`` zero bytes after its string pool (chunks of size 0)."""
    data, end = fixture_manifest()
    return _with_total_size(data[:end] + b"\0" * zeros + data[end:])


def axml_big_resource_map(extra: int) -> bytes:
    """The fixture's manifest with its resource map grown by ``extra`` bytes of zero ids."""
    data, end = fixture_manifest()
    ctype, header, size = struct.unpack_from("<HHI", data, end)
    assert ctype == 0x0180  # the resource map follows the string pool
    grown = data[:end] + struct.pack("<HHI", ctype, header, size + extra) + data[end + 8:end + size]
    return _with_total_size(grown + b"\0" * extra + data[end + size:])


def axml_deep(depth: int) -> bytes:
    """A manifest of ``depth`` nested elements."""
    from tests.android_bytes import document, end_element, start_element, string_pool

    return document(string_pool(["manifest"]), [], start_element(0) * depth + end_element(0) * depth)


def axml_overlapping_strings(count: int) -> bytes:
    """A manifest whose ``count`` attributes each name a different pool index, every index the
    offset of one 200,000-character string: 4 GB of text if each were decoded."""
    from tests.android_bytes import document, end_element, start_element, string_pool

    pool = string_pool(["manifest", "v" * 200_000])
    header, strings_start = 28, struct.unpack_from("<I", pool, 20)[0]
    long_offset = struct.unpack_from("<I", pool, header + 4)[0]
    offsets = struct.pack("<I", 0) + struct.pack("<I", long_offset) * (count + 1)
    body = pool[strings_start:]
    start = header + len(offsets)
    hostile_pool = struct.pack("<HHIIIIII", 1, header, start + len(body), count + 2, 0, 0, start, 0)
    attrs = [(0xFFFFFFFF, 0, 2 + i, 3, 2 + i) for i in range(count)]
    return document(hostile_pool + offsets + body, [], start_element(0, attrs) + end_element(0))


def axml_zeros_apk(folder: Path, zeros: int = 1 << 20, name: str = "axml-zeros.apk") -> Path:
    """An APK of :func:`axml_zeros`."""
    return _manifest_apk(folder / name, axml_zeros(zeros))


def axml_oversized_apk(folder: Path) -> Path:
    """The same with 8 MiB of zeros: over the manifest's size limit."""
    return axml_zeros_apk(folder, 8 << 20, "axml-oversized.apk")


def axml_big_resource_map_apk(folder: Path, extra: int = 3 << 20) -> Path:
    """An APK of :func:`axml_big_resource_map`."""
    return _manifest_apk(folder / "axml-resource-map.apk", axml_big_resource_map(extra))


def axml_deep_apk(folder: Path, depth: int = 50_000) -> Path:
    """An APK of :func:`axml_deep` (3 MB at the default depth: under the manifest's size limit)."""
    return _manifest_apk(folder / "axml-deep.apk", axml_deep(depth))


def axml_overlapping_strings_apk(folder: Path, count: int = 10_000) -> Path:
    """An APK of :func:`axml_overlapping_strings`."""
    return _manifest_apk(folder / "axml-overlapping-strings.apk", axml_overlapping_strings(count))


CASES.update({
    "axml-zeros-apk": axml_zeros_apk,
    "axml-oversized-apk": axml_oversized_apk,
    "axml-big-resource-map-apk": axml_big_resource_map_apk,
    "axml-deep-apk": axml_deep_apk,
    "axml-overlapping-strings-apk": axml_overlapping_strings_apk,
})


# -- issue 21's inputs as artifacts ------------------------------------------------------------------
def flat_xml_plist_ipa(folder: Path) -> Path:
    """An IPA whose Info.plist is :func:`flat_xml_plist`: two million values."""
    return _ipa(folder / "flat-xml-plist.ipa", flat_xml_plist())


def flat_binary_plist_ipa(folder: Path) -> Path:
    """An IPA whose Info.plist is :func:`flat_binary_plist`: four million references."""
    return _ipa(folder / "flat-binary-plist.ipa", flat_binary_plist())


def digit_icon_names_ipa(folder: Path) -> Path:
    """An IPA naming icons of 200,000 digits (a regular expression for ``\\d+x\\d`` backtracks)."""
    names = ["1" * 200_000, "1" * 200_000 + "x", "x1" * 100_000, "1x" * 100_000]
    return _ipa(folder / "digit-icons.ipa", info_plist(CFBundleIconFiles=names))


def toc_elements_pkg(folder: Path) -> Path:
    """fixtures/pkg/component.pkg with a million ``<x/>`` in its xar TOC (3 MB inflated from 4 KB)."""
    from tests.conftest import FIXTURES
    from tests.test_xar import rebuild

    data = rebuild((FIXTURES / "pkg" / "component.pkg").read_bytes(),
                   lambda xml: xml.replace(b"</toc>", b"<x/>" * 1_000_000 + b"</toc>"))
    path = folder / "toc-elements.pkg"
    path.write_bytes(data)
    return path


CASES.update({
    "flat-xml-plist-ipa": flat_xml_plist_ipa,
    "flat-binary-plist-ipa": flat_binary_plist_ipa,
    "digit-icon-names-ipa": digit_icon_names_ipa,
    "toc-elements-pkg": toc_elements_pkg,
})
