"""A PKG's app icon: the .icns its Info.plist names, streamed out of a payload that bsdtar, cpio and
gzip make here (as fixtures/pkg/make.sh does), and the upload request that carries it."""

from __future__ import annotations

import gzip
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

import inspector
from inspector.api import extract_icon
from inspector.upload import Secret, Target, UploadFields, prepare
from tests.conftest import FIXTURES
from tests.test_icns import LARGE, SMALL, icns

PACKAGE_INFO = """<?xml version="1.0" encoding="utf-8"?>
<pkg-info identifier="com.example.iconic.pkg" version="3.1" install-location="/" format-version="2">
    <payload numberOfFiles="6" installKBytes="4"/>
    <bundle path="./Applications/Iconic.app" id="com.example.iconic" CFBundleShortVersionString="3.1"
            CFBundleVersion="310"/>
</pkg-info>
"""


def _pkg(tmp: Path, plist: dict, icons: dict[str, bytes], *, plist_last: bool = False) -> Path:
    if shutil.which("bsdtar") is None:
        pytest.skip("bsdtar (libarchive-tools) is needed to write a xar")
    contents = tmp / "root" / "Applications" / "Iconic.app" / "Contents"
    (contents / "Resources").mkdir(parents=True)
    (contents / "Info.plist").write_bytes(plistlib.dumps(plist, fmt=plistlib.FMT_BINARY))
    for name, data in icons.items():
        (contents / "Resources" / name).write_bytes(data)
    names = sorted("./" + str(p.relative_to(tmp / "root")) for p in (tmp / "root").rglob("*"))
    if plist_last:  # the icons come first in the payload: the reader keeps them until it knows
        names.sort(key=lambda n: n.endswith("Info.plist"))
    cpio = subprocess.run(["bsdtar", "-cf", "-", "--format", "odc", "-n", "-T", "-"], cwd=tmp / "root",
                          input="\n".join(names).encode(), capture_output=True, check=True).stdout
    component = tmp / "component"
    component.mkdir()
    (component / "Payload").write_bytes(gzip.compress(cpio, mtime=0))
    (component / "PackageInfo").write_text(PACKAGE_INFO, encoding="utf-8")
    out = tmp / "Iconic.pkg"
    subprocess.run(["bsdtar", "--format", "xar", "--options", "xar:compression=none", "-cf", str(out),
                    "PackageInfo", "Payload"], cwd=component, check=True, capture_output=True)
    return out


PLIST = {"CFBundleIdentifier": "com.example.iconic", "CFBundleShortVersionString": "3.1",
         "CFBundleVersion": "310", "CFBundleIconFile": "AppIcon"}


@pytest.mark.parametrize("plist_last", [False, True])
def test_the_icon_named_by_info_plist(tmp_path, plist_last: bool) -> None:
    pkg = _pkg(tmp_path, PLIST, {"AppIcon.icns": icns((b"ic07", SMALL), (b"ic08", LARGE)),
                                 "Other.icns": icns((b"ic08", SMALL))}, plist_last=plist_last)
    record = inspector.inspect(pkg, digest=False)
    assert extract_icon(pkg, record) == ("Payload:./Applications/Iconic.app/Contents/Resources/AppIcon.icns",
                                         LARGE)


def test_a_pkg_upload_carries_its_icon_platform_id_and_version(tmp_path) -> None:
    pkg = _pkg(tmp_path, PLIST, {"AppIcon.icns": icns((b"ic08", LARGE))})
    request = prepare(pkg, UploadFields(), Target(Secret("t0ken")))
    assert request.field_names() == ["buildPlatform", "packageName", "packageVersion", "packageIcon", "build"]
    assert dict(request.fields) == {"buildPlatform": "macos", "packageName": "com.example.iconic",
                                    "packageVersion": "3.1"}
    assert request.files[0].data == LARGE and request.files[0].content_type == "image/png"
    # --package-icon still wins
    request = prepare(pkg, UploadFields(package_icon=SMALL), Target(Secret("t0ken")))
    assert request.files[0].data == SMALL


@pytest.mark.parametrize("plist", [{**PLIST, "CFBundleIconFile": "Missing"},
                                   {k: v for k, v in PLIST.items() if k != "CFBundleIconFile"}])
def test_no_icon_file_is_none(tmp_path, plist) -> None:
    pkg = _pkg(tmp_path, plist, {"AppIcon.icns": icns((b"ic08", LARGE))})
    assert extract_icon(pkg, inspector.inspect(pkg, digest=False)) is None


def test_the_committed_fixtures_have_no_icon() -> None:
    pkg = FIXTURES / "pkg" / "product.pkg"
    assert extract_icon(pkg, inspector.inspect(pkg, digest=False)) is None
