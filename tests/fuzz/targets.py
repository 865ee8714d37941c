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

from inspector.errors import ArtifactError, InspectorError, UsageError
from inspector.limits import artifact_budget

__all__ = ["NAMES", "SEEDS", "TARGETS", "run_one", "seeds"]

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
    from inspector.verify.codesign import verify_macho

    read_code_signatures(io.BytesIO(data), len(data))
    # The verifier over the same bytes: CodeDirectories, page hashes, special slots, the CMS.
    verify_macho(lambda: io.BytesIO(data), len(data), "X", {1: b"", 3: None})


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
    from inspector.verify.cms import verify_signed_data

    for der in cms.signed_data(data).certificates:
        certs.certificate_from_der(der)
    # Verification reads the signer infos strictly and hands keys to cryptography: a bad
    # signature is a Failure, anything else unreadable an ArtifactError.
    for result in verify_signed_data(data, b"content"):
        assert result.verification.verified is not None


def image(data: bytes) -> None:
    from inspector.containers.image import read_header

    header = read_header(data)
    assert header is None or (header.width > 0 and header.height > 0)


def axml(data: bytes) -> None:
    from inspector.formats._manifest import manifest_facts
    from inspector.formats.apk import read_binary_xml

    # the reader, then the manifest facts drawn from its tree (components, intent filters, deep links)
    manifest_facts(read_binary_xml(data), None)


def arsc(data: bytes) -> None:
    from inspector.containers.arsc import ResourceTable

    table = ResourceTable(data)
    # the ids a manifest points at: the launcher icon and label of package 0x7f, and a few others
    for res_id in (0x7F010000, 0x7F020000, 0x7F030000, 0x7F040000, 0x7F050000, 0x7F0A0000,
                   0x7F0B0000, 0x7F0C0000, 0x7F0D0000, 0x7F0E0000, 0x7F100000, 0x7F110000):
        for step in range(3):
            table.name(res_id + step)
            table.resolve(res_id + step)


def cgbi(data: bytes) -> None:
    from inspector.containers.cgbi import is_cgbi, png_size, to_standard_png

    if data[:8] == b"\x89PNG\r\n\x1a\n":
        png_size(data)
    out = to_standard_png(data)
    if is_cgbi(data):
        assert out[:8] == b"\x89PNG\r\n\x1a\n" and not is_cgbi(out)


def config(data: bytes) -> None:
    from inspector.settings import load_config

    path = _scratch(data).rename(Path(tempfile.gettempdir()) / f"inspector-fuzz-{os.getpid()}.toml")
    load_config(path, path.parent)


def response(data: bytes) -> None:
    from inspector.upload import response as r

    # the first byte picks the HTTP status; a Retry-After header rides on the body's first line
    status = (200, 201, 400, 401, 404, 429, 500, 503)[data[0] % 8] if data else 200
    head, _, body = data[1:].partition(b"\n")
    retry_after = head.decode("utf-8", "replace")
    r.parse_retry_after(retry_after)
    try:
        payload = r.parse_body(status, body, retry_after)
    except r.NetworkError as exc:
        assert str(exc)
        return
    build = r.Build.from_json(payload)
    build.to_json()
    if build.status == "error":
        r.processing_error(build)
    number = r.uploaded_build_number(build)
    # What rule UPL002 compares with: the build as an UploadedBuild, its number parsed as versions are
    uploaded = r.uploaded_build(build)
    assert uploaded.build_number == number and uploaded.build_id == build.id
    if number is not None:
        from inspector.versions import version_tuple

        version_tuple(number)


# run.py's combined run picks a reader by the first byte over NAMES, this dict's order: a new target
# goes at the end, so the first byte of a kept crashes/all file still picks the reader it picked
# (as long as it was below the old count). Before the order was fixed, adding "image" and "cms" to a
# sorted list re-keyed the kept files.
TARGETS: dict[str, Callable[[bytes], None]] = {
    "aapt2_pb": aapt2_pb,
    "apk_signing": apk_signing,
    "cms": cms,
    "cpio": cpio,
    "image": image,
    "macho": macho,
    "pbzx": pbzx,
    "plist": plist,
    "xar": xar,
    "zip": zip_access,
    "axml": axml,
    "arsc": arsc,
    "cgbi": cgbi,
    "config": config,
    "response": response,
}
NAMES: tuple[str, ...] = tuple(TARGETS)

# What a target may end with besides a result: the byte readers refuse with ArtifactError; the
# config loader with UsageError (a bad file is a usage problem); the response parser with the upload
# errors (the service answered nonsense).
_EXPECTED: dict[str, type[Exception] | tuple[type[Exception], ...]] = {
    "config": UsageError,
    "response": InspectorError,
}


def run_one(target: str, data: bytes) -> None:
    """Feed ``data`` to ``target`` as one artifact (with its work budget); only the target's
    expected error is an expected ending."""
    try:
        with artifact_budget():
            TARGETS[target](data)
    except _EXPECTED.get(target, ArtifactError) as exc:
        assert str(exc)


def _config_seeds() -> list[bytes]:
    return [b'[check]\nmin-days = 14\nmax-size = "200M"\n[check.android]\nmin-target-sdk = 34\n'
            b'require-scheme = ["v2", "v3"]\n[check.ios]\nexpect-team = "TEAMID1234"\n',
            b'[upload]\nchangelog = "x"\nnotify = true\n[check.macos]\nmax-min-os = "12.0"\n']


def _response_seeds() -> list[bytes]:
    import json

    build = {"id": "b1", "status": "processed", "versionName": "1.0", "versionCode": 7, "os": "android",
             "info": {"android": {"versionCode": "7"}, "ios": {"plist": {"CFBundleVersion": "1.2"}}}}
    failed = {"id": "b2", "status": "error", "error": "bad", "errorCode": 5, "processLogs": ["a", {"b": 1}]}
    return [bytes([0]) + b"\n" + json.dumps({"status": True, "data": build}).encode(),
            bytes([0]) + b"\n" + json.dumps({"status": True, "data": failed}).encode(),
            bytes([2]) + b"\n" + json.dumps({"status": False,
                                              "error": {"code": 4004, "message": "no"}}).encode(),
            bytes([5]) + b"120\n" + b'{"status": false, "error": {"msg": "m", "field": "f"}}',
            bytes([7]) + b"Wed, 21 Oct 2015 07:28:00 GMT\n<html>busy</html>"]


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
    "axml": lambda: [m for name in ("components.apk", "adaptive-icon.apk", "signed-v1v2v3.apk")
                     for m in _members(FIXTURES / "apk" / name, "AndroidManifest.xml")],
    "arsc": lambda: [m for name in ("literal-label.apk", "adaptive-icon.apk")
                     for m in _members(FIXTURES / "apk" / name, "resources.arsc")],
    "cgbi": lambda: [(FIXTURES / "macho" / n).read_bytes()
                     for n in ("icon-rgb-cgbi.png", "icon-rgba-cgbi.png", "icon-rgb.png")],
    "config": _config_seeds,
    "response": _response_seeds,
}


def seeds(target: str) -> list[bytes]:
    """The seed inputs of ``target``: real files from fixtures/, and every crash kept so far."""
    kept = sorted((Path(__file__).parent / "crashes" / target).glob("*"))
    return SEEDS[target]() + [p.read_bytes() for p in kept if p.is_file()]
