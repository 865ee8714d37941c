#!/usr/bin/env python3
"""Record what openssl says of every Apple CMS blob of every fixture and corpus file:
provisioning profiles (standalone, and each bundle's ``embedded.mobileprovision``) and the CMS
of every code signature (every signed Mach-O member of every IPA, each slice) over its
CodeDirectory.

    openssl cms -verify -noverify -binary -inform DER -in BLOB [-content CODEDIRECTORY]

(signature and message digest only, no chain). The blobs are extracted with inspector's own
Mach-O and SuperBlob readers (containers/macho.py: the slot 0 CodeDirectory, the 0x10000 CMS
wrapper); what is verified is openssl's. Writes verdicts.txt beside this script, one line per
blob: ``<kind> <file> <member or -> <arch or -> <ok|failure>``, paths relative to the repository
or to the shared corpus (``corpus/...``). Run from the repository's venv:

    python tests/reference/apple_cms/record.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from inspector.containers import macho  # noqa: E402

PROFILE_SUFFIXES = (".mobileprovision", ".provisionprofile")


def files() -> Iterator[tuple[str, Path]]:
    """(name as recorded, path) of every Apple fixture and corpus file, sorted."""
    for folder in ("fixtures/ios", "fixtures/ios/tampered", "fixtures/macos"):
        for path in sorted((ROOT / folder).glob("*")):
            if path.suffix in (*PROFILE_SUFFIXES, ".ipa"):
                yield f"{folder}/{path.name}", path
    for folder in ("ios", "macos"):
        for path in sorted((SHARED / "corpus" / folder).glob("*")):
            if path.suffix in (*PROFILE_SUFFIXES, ".ipa"):
                yield f"corpus/{folder}/{path.name}", path


def blobs() -> Iterator[tuple[str, str, str, str, bytes, bytes | None]]:
    """(kind, file, member, arch, CMS blob, detached content) for every CMS blob."""
    for name, path in files():
        if path.suffix in PROFILE_SUFFIXES:
            data = path.read_bytes()
            if data[:1] == b"\x30":
                yield "profile", name, "-", "-", data, None
            continue
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            continue
        with archive:
            for info in archive.infolist():
                if info.filename.endswith("/") or info.filename.startswith("__MACOSX/"):
                    continue
                if info.filename.endswith("/embedded.mobileprovision"):
                    data = archive.read(info)
                    if data[:1] == b"\x30":
                        yield "profile", name, info.filename, "-", data, None
                    continue
                with archive.open(info) as fh:
                    if not macho.is_macho(fh.read(8)):
                        continue
                with archive.open(info) as fh:
                    slices = macho.read_signed_slices(fh, info.file_size)
                for signed in slices:
                    entries = macho.superblob_entries(signed.signature, signed.arch)
                    wrapper = entries.get(0x10000, (0, b""))[1][8:]
                    if wrapper and 0 in entries:
                        yield "code", name, info.filename, signed.arch, wrapper, entries[0][1]


def openssl_verdict(blob: bytes, content: bytes | None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        blob_path, content_path = Path(tmp, "blob.der"), Path(tmp, "content.bin")
        blob_path.write_bytes(blob)
        args = ["openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER",
                "-in", str(blob_path), "-out", "/dev/null"]
        if content is not None:
            content_path.write_bytes(content)
            args += ["-content", str(content_path)]
        done = subprocess.run(args, capture_output=True, check=False)
    return "ok" if done.returncode == 0 else "failure"


def main() -> int:
    lines = [f"{kind} {name} {member} {arch} {openssl_verdict(blob, content)}"
             for kind, name, member, arch, blob, content in blobs()]
    (HERE / "verdicts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} CMS blobs recorded in {HERE / 'verdicts.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
