"""When there is no icon to extract, ``find_icon`` (and ``inspect --extract-icon``) says why, in
the format's words: for a PKG, whether the app names an icon file, and whether the payload holds
it and it holds a PNG; never "this kind of file has no icon". The packages are built here by
bsdtar, cpio and gzip (tests/test_pkg_icon.py's ``_pkg``), so their contents fix the answers."""

from __future__ import annotations

from pathlib import Path

import pytest

import inspector
from inspector.api import extract_icon, find_icon
from tests.conftest import FIXTURES, run_cli
from tests.test_icns import LARGE, icns
from tests.test_pkg_icon import PLIST, _pkg

ICON = "Applications/Iconic.app/Contents/Resources/AppIcon.icns"


@pytest.mark.parametrize(("plist", "icons", "reason"), [
    ({**PLIST, "CFBundleIconFile": "Missing"}, {"AppIcon.icns": icns((b"ic08", LARGE))},
     "the icon file the app names, Applications/Iconic.app/Contents/Resources/Missing.icns, "
     "is not in Payload"),
    ({k: v for k, v in PLIST.items() if k != "CFBundleIconFile"},
     {"AppIcon.icns": icns((b"ic08", LARGE))},
     "the app's Info.plist names no icon file (CFBundleIconFile); an icon kept only in "
     "Assets.car is not read"),
    (PLIST, {"AppIcon.icns": icns((b"is32", b"\x00" * 40))}, f"{ICON} holds no PNG image"),
])
def test_pkg_reasons(tmp_path: Path, plist: dict, icons: dict, reason: str) -> None:
    pkg = _pkg(tmp_path, plist, icons)
    record = inspector.inspect(pkg, digest=False)
    assert find_icon(pkg, record) == reason
    assert extract_icon(pkg, record) is None
    out = tmp_path / "icons"
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(out), str(pkg))
    assert result.code == 0, result.err
    assert f"Iconic.pkg: no icon written: {reason}" in result.out
    assert "this kind of file has no icon" not in result.out


def test_pkg_found_icon_is_the_same_through_both(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, PLIST, {"AppIcon.icns": icns((b"ic08", LARGE))})
    record = inspector.inspect(pkg, digest=False)
    assert find_icon(pkg, record) == extract_icon(pkg, record) == (f"Payload:./{ICON}", LARGE)


def test_pkg_without_an_app(tmp_path: Path) -> None:
    pkg = FIXTURES / "pkg" / "noapp.pkg"  # fixtures/pkg/make.sh: a payload with no .app
    record = inspector.inspect(pkg, digest=False)
    assert record.app is None
    assert find_icon(pkg, record) == "the package installs no app bundle"


def test_android_reason_unchanged(tmp_path: Path) -> None:
    apk = FIXTURES / "apk" / "split-feature.apk"
    assert find_icon(apk, inspector.inspect(apk, digest=False)) == "the app declares no icon"
