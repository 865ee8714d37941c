"""Format detection is by content, never by file name."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from inspector.detect import detect
from inspector.errors import ArtifactError, UnknownFormatError
from tests.conftest import FIXTURES, corpus


def _detect(path: Path) -> str:
    kind, archive = detect(path)
    if archive is not None:
        archive.close()
    return kind


def test_apk_renamed_is_still_an_apk(tmp_path: Path) -> None:
    renamed = tmp_path / "build.zip"
    shutil.copy(FIXTURES / "apk" / "signed-v1v2v3.apk", renamed)
    assert _detect(renamed) == "apk"


def _zip(path: Path, *names: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name in names:
            z.writestr(name, b"x")
    return path


def test_members_decide(tmp_path: Path) -> None:
    assert _detect(_zip(tmp_path / "a", "base/manifest/AndroidManifest.xml", "BundleConfig.pb")) == "aab"
    assert _detect(_zip(tmp_path / "b", "AndroidManifest.xml")) == "apk"
    assert _detect(_zip(tmp_path / "c", "Payload/App.app/Info.plist")) == "ipa"
    assert _detect(_zip(tmp_path / "d", "Top/Payload/App.app/Info.plist")) == "ipa"
    with pytest.raises(UnknownFormatError):
        _detect(_zip(tmp_path / "e", "hello.txt"))


def test_xar_and_cms_magic(tmp_path: Path) -> None:
    pkg = tmp_path / "x.bin"
    pkg.write_bytes(b"xar!\x00\x1c\x00\x01" + b"\0" * 40)
    assert _detect(pkg) == "pkg"
    assert _detect(corpus("ios", "ios_adhoc.mobileprovision")) == "profile"
    assert _detect(corpus("ios", "bplist.mobileprovision")) == "profile"
    assert _detect(corpus("macos", "MacAppOnly.pkg")) == "pkg"


def test_not_an_ipa_is_unknown() -> None:
    with pytest.raises(UnknownFormatError) as info:
        _detect(corpus("ios", "not-an-ipa.ipa"))
    assert "not-an-ipa.ipa" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as info:
        _detect(tmp_path / "nope.apk")
    assert "cannot open" in str(info.value)


def test_a_lone_binary_manifest_is_named_as_such() -> None:
    with pytest.raises(UnknownFormatError) as info:
        _detect(corpus("axml", "AndroidManifest-Chinese.xml"))
    assert "Android binary XML" in info.value.problem
