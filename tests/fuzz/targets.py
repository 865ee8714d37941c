"""Fuzz targets: one per byte reader, each ``bytes -> None``. A target may end with an
:class:`ArtifactError` (the reader refusing the input); any other exception is a crash.

Used by ``tests/fuzz/run.py`` (a coverage-guided run with atheris, by hand, for as long as one
likes) and by ``tests/test_fuzz_targets.py`` (the seeds, every crash kept under
``tests/fuzz/crashes/<target>/``, and a short coverage-guided run when atheris is installed).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from inspector.errors import ArtifactError

__all__ = ["SEEDS", "TARGETS", "run_one", "seeds"]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
_READ = 1 << 20  # how much of a decoded stream a target reads: enough to reach every branch


def _scratch(data: bytes) -> Path:
    # The zip and xar readers open paths; one file per process, rewritten per input.
    path = Path(tempfile.gettempdir()) / f"inspector-fuzz-{os.getpid()}"
    path.write_bytes(data)
    return path


def zip_access(data: bytes) -> None:
    from inspector.containers.zip import ZipArchive

    with ZipArchive(_scratch(data)) as archive:
        for info in list(archive.infos())[:8]:
            with contextlib.suppress(ArtifactError):
                archive.read(info.filename, limit=_READ)


def xar(data: bytes) -> None:
    from inspector.containers.xar import XarArchive
    from inspector.verify.xar import verify_xar

    with XarArchive(_scratch(data)) as archive:
        for member in list(archive.files())[:8]:
            if member.is_dir:
                continue
            with contextlib.suppress(ArtifactError):
                archive.read(member.name, limit=_READ)
        # Checksums and signatures: a mismatch is a Failure, only unreadable data an error.
        with contextlib.suppress(ArtifactError):
            verify_xar(archive)


def cpio(data: bytes) -> None:
    from inspector.containers.cpio import CpioReader, payload_stream

    _, stream = payload_stream(io.BytesIO(data))
    reader = CpioReader(stream)
    for count, entry in enumerate(reader):
        if entry.is_file:
            reader.read(_READ)
        if count > 100:
            break


def pbzx(data: bytes) -> None:
    from inspector.containers.pbzx import PbzxReader

    PbzxReader(io.BytesIO(data)).read(_READ)


def macho(data: bytes) -> None:
    from inspector.containers.macho import read_code_signatures

    read_code_signatures(io.BytesIO(data), len(data))


def apk_signing(data: bytes) -> None:
    from inspector.containers.apk_signing import parse_signing_block

    parse_signing_block(data)


def aapt2_pb(data: bytes) -> None:
    from inspector.containers import aapt2_pb as pb

    # the first byte picks the message: a manifest (XmlNode) or a resource table
    if data[:1] == b"\x00":
        pb.parse_xml(data[1:])
        return
    table = pb.ResourceTable(data[1:])
    for package_id in list(table.packages)[:4]:
        for type_name in ("string", "mipmap", "drawable"):
            table.find(type_name, "ic_launcher", package_id)
    table.entry(0x7F010000)


def plist(data: bytes) -> None:
    import json

    from inspector.containers.plist import load_plist
    from inspector.records.base import jsonable

    json.dumps(jsonable(load_plist(data)), allow_nan=False)


def cms(data: bytes) -> None:
    from inspector import certs
    from inspector.containers import cms

    for der in cms.signed_data(data).certificates:
        certs.certificate_from_der(der)


def image(data: bytes) -> None:
    from inspector.containers.image import read_header

    header = read_header(data)
    assert header is None or (header.width > 0 and header.height > 0)


# run.py's combined run picks a reader by the first byte, over the names sorted: adding a target
# moves the others, so the kept crashes/all files get their first byte re-keyed (done when "image"
# came, and again when "cms" came) and their name re-hashed.
TARGETS: dict[str, Callable[[bytes], None]] = {
    "zip": zip_access,
    "xar": xar,
    "cpio": cpio,
    "pbzx": pbzx,
    "macho": macho,
    "apk_signing": apk_signing,
    "aapt2_pb": aapt2_pb,
    "plist": plist,
    "image": image,
    "cms": cms,
}


def run_one(target: str, data: bytes) -> None:
    """Feed ``data`` to ``target``; only an ArtifactError is an expected ending."""
    try:
        TARGETS[target](data)
    except ArtifactError as exc:
        assert str(exc)


def _members(path: Path, *names: str) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n) for n in names if n in z.namelist()]


def _apk_block() -> list[bytes]:
    from inspector.containers.apk_signing import read_signing_block
    from inspector.containers.zip import ZipArchive

    out = []
    for name in ("signed-v1v2v3.apk", "rotated-v3-lineage.apk", "ec-signer.apk"):
        with ZipArchive(FIXTURES / "apk" / name) as z:
            block = read_signing_block(z.read_raw, z.central_directory_offset)
            if block:
                out.append(block)
    return out


def _pbzx() -> list[bytes]:
    from inspector.containers.xar import XarArchive

    with XarArchive(FIXTURES / "pkg" / "pbzx.pkg") as archive:
        return [archive.read("Payload", verify=False)[: 64 << 10]]


SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "zip": lambda: [(FIXTURES / "ios" / n).read_bytes() for n in ("no-profile.ipa", "no-info-plist.ipa")]
    + [(FIXTURES / "aab" / "minimal-ec-signed.aab").read_bytes()],
    "xar": lambda: [(FIXTURES / "pkg" / n).read_bytes()
                    for n in ("component.pkg", "bzip2.pkg", "signed.pkg", "signed-sha256.pkg")],
    "cpio": lambda: [(FIXTURES / "pkg" / "newc.cpio").read_bytes()],
    "pbzx": _pbzx,
    "macho": lambda: [(FIXTURES / "macho" / n).read_bytes()
                      for n in ("adhoc-arm64", "signed-arm64", "signed-fat")],
    "apk_signing": _apk_block,
    "aapt2_pb": lambda: [b"\x00" + m for m in _members(FIXTURES / "aab" / "minimal-ec-signed.aab",
                                                        "base/manifest/AndroidManifest.xml")]
    + [b"\x01" + m for m in _members(FIXTURES / "aab" / "minimal-ec-signed.aab", "base/resources.pb")],
    "plist": lambda: [(FIXTURES / "macho" / n).read_bytes() for n in ("Info.plist", "entitlements.plist")]
    + [(FIXTURES / "ios" / "bare-binary.mobileprovision").read_bytes()],
    "cms": lambda: [m for name in ("signed-v1v2v3.apk", "ec-signer.apk")
                    for m in _members(FIXTURES / "apk" / name, "META-INF/RELEASE.RSA",
                                      "META-INF/EC-P256.EC")]
    + [(FIXTURES / "ios" / n).read_bytes() for n in ("adhoc.mobileprovision", "adhoc-ber.mobileprovision")],
    "image": lambda: [p.read_bytes() for p in sorted((FIXTURES / "image").iterdir())
                      if p.suffix in (".png", ".webp", ".jpg")],
}


def seeds(target: str) -> list[bytes]:
    """The seed inputs of ``target``: real files from fixtures/, and every crash kept so far."""
    kept = sorted((Path(__file__).parent / "crashes" / target).glob("*"))
    return SEEDS[target]() + [p.read_bytes() for p in kept if p.is_file()]
