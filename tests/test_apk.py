"""APK facts against what aapt2 and apksigner printed for every fixture and corpus APK."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

import inspector
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.formats._manifest import measure_icon
from inspector.limits import MAX_ICONS_MEASURED as ICON_FILES_MEASURED
from inspector.records.android import AndroidApp, Icon, IconFile
from tests.conftest import CORPUS, FIXTURES, corpus, run_cli
from tests.tool_outputs import (
    REFERENCE,
    parse_apksigner,
    parse_badging,
    read_icon_members,
    read_recorded,
)

APK_REFERENCE = REFERENCE / "apk"


def _apk_for(name: str) -> Path:
    if name.startswith("corpus-"):
        base = name.removeprefix("corpus-") + ".apk"
        folder = "android" if (CORPUS / "android" / base).exists() else "axml"
        return corpus(folder, base)
    return FIXTURES / "apk" / f"{name}.apk"


NAMES = sorted(p.name.removesuffix(".badging.txt") for p in APK_REFERENCE.glob("*.badging.txt"))
READABLE = [n for n in NAMES if read_recorded(APK_REFERENCE / f"{n}.badging.txt").exit == 0]
#: aapt2 refuses these; inspector reads them (the first as Android does, the second with a warning
#: that Android refuses it) and must give the facts of the untampered twin and the warning.
READ_AS_ANDROID = {
    "corpus-minimal_def_mod": ("corpus-minimal_orig", "read as stored"),
    "corpus-v1-only-with-nul-in-entry-name": ("corpus-golden-aligned-v1-out", "NUL"),
}
UNREADABLE = [n for n in NAMES if n not in READABLE and n not in READ_AS_ANDROID]


def test_every_fixture_and_corpus_apk_has_a_reference() -> None:
    fixtures = {p.stem for p in (FIXTURES / "apk").glob("*.apk")}
    assert fixtures, "no APK fixtures"
    assert fixtures <= set(NAMES)
    in_corpus = {"corpus-" + p.stem for p in corpus("android").glob("*.apk")}
    in_corpus |= {"corpus-" + p.stem for p in corpus("axml").glob("*.apk")}
    assert in_corpus <= set(NAMES)


@pytest.fixture(scope="module")
def records() -> dict[str, AndroidApp]:
    return {}


def _inspect(name: str, cache: dict[str, AndroidApp]) -> AndroidApp:
    if name not in cache:
        record = inspector.inspect(_apk_for(name), digest=False)
        assert isinstance(record, AndroidApp)
        cache[name] = record
    return cache[name]


@pytest.mark.parametrize("name", READABLE)
def test_manifest_facts_match_aapt2_badging(name: str, records: dict[str, AndroidApp]) -> None:
    app = _inspect(name, records)
    b = parse_badging(read_recorded(APK_REFERENCE / f"{name}.badging.txt").body)
    assert app.format == "apk"
    assert app.package_name == b.package["name"]
    expected_code = b.package.get("versionCode") or None
    assert (None if app.version_code is None else str(app.version_code)) == expected_code
    assert app.version_name == (b.package.get("versionName") or None)
    if b.sdk is not None:
        # aapt2 prints minSdk 1 when uses-sdk omits it; inspector reports what the manifest says.
        assert app.min_sdk == int(b.sdk) or (app.min_sdk is None and b.sdk == "1")
    if b.target_sdk is not None:
        assert app.target_sdk == int(b.target_sdk)
    if b.max_sdk is not None:
        assert app.max_sdk == int(b.max_sdk)
    if b.package.get("compileSdkVersion"):
        assert app.compile_sdk == int(b.package["compileSdkVersion"])
        assert app.compile_sdk_codename == (b.package.get("compileSdkVersionCodename") or None)
    # aapt2's badging prints platformBuildVersionCode='' when the attribute is an integer (as
    # aapt2 link writes it); its xmltree dump shows the value.
    tree = read_recorded(APK_REFERENCE / f"{name}.xmltree.txt").body
    m = re.search(r"A: platformBuildVersionCode=(?:\"(\d+)\"|(\d+))", tree)
    expected_pbvc = b.package.get("platformBuildVersionCode") or (m and (m.group(1) or m.group(2)))
    assert app.platform_build_version_code == (int(expected_pbvc) if expected_pbvc else None)
    if b.package.get("platformBuildVersionName"):
        assert app.platform_build_version_name == b.package["platformBuildVersionName"]
    assert app.split == (b.package.get("split") or None)
    if name == "corpus-compact-entry":
        # Debian's aapt2 (10.0.0) predates compact resource entries (Android 14) and resolves
        # no label ("Entry at index 0 is too small"); the label is the only app string in the
        # table's pool, which the test reads itself.
        with zipfile.ZipFile(_apk_for(name)) as z:
            assert app.label.default is not None
            assert app.label.default.encode() in z.read("resources.arsc")
        return
    assert app.label.default == b.label
    # aapt2 prints a label for every locale the APK has, falling back to the default value;
    # inspector lists the values really localized. Both must agree wherever both speak.
    for locale, value in app.label.localized.items():
        assert b.labels.get(locale, b.label) == value
    assert {k: v for k, v in b.labels.items() if v != b.label} == {
        k: v for k, v in app.label.localized.items() if v != app.label.default
    }
    assert app.debuggable == b.debuggable
    assert list(app.abis) == sorted(b.native_code)
    declared = [p for p in b.permissions if p not in b.implied_permissions]
    assert list(app.permissions) == declared
    ours = {f.name: f.required for f in app.features}
    assert {k: v for k, v in ours.items() if k not in b.implied_features} == b.declared_features
    icon_paths = {f.path for f in app.icon.files}
    assert set(b.icons.values()) <= icon_paths


#: aapt2's application-icon-<dpi> keys that are no screen density: anydpi and nodpi.
_NOT_A_DENSITY = {"65534", "65535"}


def _densest_pick(name: str) -> str | None:
    """The file aapt2 dump badging takes for the densest screen it lists (application-icon-640
    when the app has xxxhdpi icons)."""
    icons = parse_badging(read_recorded(APK_REFERENCE / f"{name}.badging.txt").body).icons
    densities = [int(d) for d in icons if d not in _NOT_A_DENSITY]
    return icons[str(max(densities))] if densities else None


BEST_ICON_CASES = [n for n in READABLE if (_densest_pick(n) or ".xml").rsplit(".", 1)[1] != "xml"]


def test_the_raster_icon_cases_include_webp_and_png() -> None:
    picks = {_densest_pick(n) for n in BEST_ICON_CASES}
    assert "res/mipmap-xxxhdpi-v4/ic_launcher.webp" in picks
    assert "res/mipmap-xxxhdpi-v4/ic_launcher.png" in picks


def test_a_jpeg_icon_file_is_a_raster_icon_too(records: dict[str, AndroidApp]) -> None:
    # webp-icon.apk's ldpi file is a JPEG (aapt2 badging: application-icon-120).
    app = _inspect("webp-icon", records)
    member = parse_badging(read_recorded(APK_REFERENCE / "webp-icon.badging.txt").body).icons["120"]
    ldpi = [f for f in app.icon.files if f.path == member]
    assert [(f.format, f.width, f.height) for f in ldpi] == [read_icon_members()["webp-icon.apk", member]]
    assert ldpi[0].format == "jpeg"


@pytest.mark.parametrize("name", BEST_ICON_CASES)
def test_best_icon_is_the_file_aapt2_takes_for_the_densest_screen(
        name: str, records: dict[str, AndroidApp]) -> None:
    # Where aapt2 takes a raster file (no adaptive icon in the way), it is the one --extract-icon
    # writes: the densest, whether PNG or WebP.
    app = _inspect(name, records)
    assert app.icon.best is not None
    assert app.icon.best.path == _densest_pick(name)


def test_webp_icon_fixture_sizes_match_identify_and_its_best_is_the_xxxhdpi_webp(
        records: dict[str, AndroidApp]) -> None:
    app = _inspect("webp-icon", records)
    measured = read_icon_members()
    assert {f.path: (f.format, f.width, f.height) for f in app.icon.files} == {
        member: seen for (archive, member), seen in measured.items() if archive == "webp-icon.apk"
    }
    assert app.icon.best == app.icon.files[-1]
    assert (app.icon.best.density, app.icon.best.format) == ("xxxhdpi", "webp")
    assert not app.icon.adaptive
    assert app.warnings == ()


@pytest.mark.parametrize("name", ["android", "minimal_orig"])
def test_corpus_webp_icons_are_raster_icons_behind_the_adaptive_one(
        name: str, records: dict[str, AndroidApp]) -> None:
    # WebP mipmaps (names shortened by R8: res/xC.webp) and an anydpi-v26 adaptive icon, the
    # Android Studio template. aapt2 badging names only the XML; identify sized every WebP.
    app = _inspect(f"corpus-{name}", records)
    measured = {m: seen for (a, m), seen in read_icon_members().items() if a == f"{name}.apk"}
    assert len(measured) == 5 and {kind for kind, _, _ in measured.values()} == {"webp"}
    rasters = [f for f in app.icon.files if f.raster]
    assert {f.path: (f.format, f.width, f.height) for f in rasters} == measured
    assert app.icon.adaptive
    largest = max(measured, key=lambda m: measured[m][1] * measured[m][2])
    assert app.icon.best is not None and app.icon.best.path == largest
    member, data = inspector.extract_icon(_apk_for(f"corpus-{name}"), app)
    assert member == largest
    with zipfile.ZipFile(_apk_for(f"corpus-{name}")) as z:
        assert data == z.read(largest)


def _name_of(archive: str) -> str:
    stem = archive.removesuffix(".apk")
    return stem if (FIXTURES / "apk" / archive).exists() else f"corpus-{stem}"


@pytest.mark.parametrize("archive", sorted({a for a, _ in read_icon_members() if a.endswith(".apk")}))
def test_icon_sizes_match_identify(archive: str, records: dict[str, AndroidApp]) -> None:
    # Every icon file aapt2 names (badging's application-icon lines, or dump resources for the
    # WebP cases), as identify (or file, for what identify cannot read) measured it.
    app = _inspect(_name_of(archive), records)
    ours = {f.path: (f.format, f.width, f.height) for f in app.icon.files}
    for (a, member), seen in read_icon_members().items():
        if a == archive:
            assert ours[member] == seen, member


def test_every_raster_icon_file_of_the_fixtures_is_measured(records: dict[str, AndroidApp]) -> None:
    # aapt2 dump resources lists each icon file; every PNG or WebP among them has its size.
    for name in NAMES:
        if name.startswith("corpus-") or name not in READABLE:
            continue
        app = _inspect(name, records)
        for f in app.icon.files:
            assert f.raster == (not f.path.endswith(".xml")), (name, f)
            assert f.raster == (f.width is not None and f.height is not None), (name, f)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in UNREADABLE])
def test_signatures_match_apksigner(name: str, records: dict[str, AndroidApp]) -> None:
    path = APK_REFERENCE / f"{name}.certs.txt"
    recorded = read_recorded(path)
    certs = parse_apksigner(recorded.body)
    app = _inspect(name, records)
    if not certs.verifies:
        # apksigner refuses it (unsigned, or a broken signature): inspector reports presence only.
        if "unsigned" in name:
            assert not app.signing.signed
            assert "DOES NOT VERIFY" in recorded.body
        return
    verified = {s for s, ok in certs.schemes.items() if ok and s != "v4"}
    assert verified <= set(app.signing.schemes)
    ours = {c.sha256 for c in app.signing.certificates}
    for signer in certs.signers:
        assert signer.sha256 in ours
        cert = next(c for c in app.signing.certificates if c.sha256 == signer.sha256)
        assert cert.sha1 == signer.sha1
        assert cert.key_algorithm == signer.key_algorithm
        if signer.key_size is not None:
            assert cert.key_size == signer.key_size
        assert _dn_parts(cert.subject) == _dn_parts(signer.dn)


def _dn_parts(dn: str) -> list[str]:
    return [p.strip() for p in dn.replace("\\,", "\0").split(",")]


def test_unreadable_corpus_apks_give_one_clear_error() -> None:
    for name in UNREADABLE:
        path = _apk_for(name)
        with pytest.raises(inspector.InspectorError) as info:
            inspector.inspect(path, digest=False)
        text = str(info.value)
        assert str(path) in text
        assert "\n" not in text


@pytest.mark.parametrize("name", sorted(READ_AS_ANDROID))
def test_unknown_compression_method_is_read_as_android_does(name: str) -> None:
    # The tampered APK is the untampered one with a bogus method id on the manifest entry, so
    # aapt2's view of the original is the expected value.
    app = inspector.inspect(_apk_for(name), digest=False)
    twin, warning = READ_AS_ANDROID[name]
    b = parse_badging(read_recorded(APK_REFERENCE / f"{twin}.badging.txt").body)
    assert app.package_name == b.package["name"]
    assert str(app.version_code) == b.package["versionCode"]
    assert app.label.default == b.label
    assert app.target_sdk == int(b.target_sdk or 0)
    assert any(warning in w for w in app.warnings)


def test_truncated_apk_is_a_clear_error(tmp_path: Path) -> None:
    source = FIXTURES / "apk" / "signed-v1v2v3.apk"
    data = source.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        broken = tmp_path / f"cut{cut}.apk"
        broken.write_bytes(data[:cut])
        with pytest.raises(inspector.InspectorError) as info:
            inspector.inspect(broken, digest=False)
        assert str(broken) in str(info.value)


def test_corrupt_manifest_names_the_member(tmp_path: Path) -> None:
    broken = tmp_path / "bad-manifest.apk"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\xff" * 64)
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(broken, digest=False)
    assert info.value.member == "AndroidManifest.xml"


def test_text_manifest_is_not_binary_xml(tmp_path: Path) -> None:
    broken = tmp_path / "text-manifest.apk"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("AndroidManifest.xml", b"<manifest package='a.b'/>")
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(broken, digest=False)
    assert info.value.member == "AndroidManifest.xml"


def test_zip_bomb_member_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.apk"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", b"\0" * (80 << 20))
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(bomb, digest=False)
    assert info.value.member == "AndroidManifest.xml"
    assert "limit" in info.value.problem or "bomb" in info.value.problem


def test_sha256_is_of_the_whole_file() -> None:
    import hashlib

    path = FIXTURES / "apk" / "signed-v1v2v3.apk"
    app = inspector.inspect(path)
    assert app.file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert app.file.size == path.stat().st_size


# -- icon files that are not what the resource table says --------------------------------------------
def _rezip(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """``source`` with members replaced (None: dropped); the signature no longer verifies, which
    inspector does not check."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    out.writestr(info, replace[info.filename])
            else:
                out.writestr(info, src.read(info))
    return target


def test_a_broken_or_missing_icon_file_is_a_warning_and_the_next_density_is_best(tmp_path: Path) -> None:
    source = FIXTURES / "apk" / "webp-icon.apk"
    xxxhdpi = "res/mipmap-xxxhdpi-v4/ic_launcher.webp"
    with zipfile.ZipFile(source) as z:
        cut = z.read(xxxhdpi)[:20]  # RIFF header and the chunk's name, no size
    cases = {
        "cut.apk": (cut, f"icon file {xxxhdpi} (xxxhdpi): WebP header is cut short"),
        "gone.apk": (None, f"icon file {xxxhdpi} (xxxhdpi), named by the resource table, is missing"),
        "text.apk": (b"not an image at all", f"icon file {xxxhdpi} (xxxhdpi) is no PNG, WebP or JPEG image"),
    }
    for name, (data, warning) in cases.items():
        path = _rezip(source, tmp_path / name, {xxxhdpi: data})
        app = inspector.inspect(path, digest=False)
        assert warning in app.warnings, app.warnings
        assert app.icon.files[-1].format is None
        # What aapt2 takes for xxhdpi screens (application-icon-480): the PNG.
        expected = parse_badging(read_recorded(APK_REFERENCE / "webp-icon.badging.txt").body).icons["480"]
        assert app.icon.best is not None and app.icon.best.path == expected
        member, data_out = inspector.extract_icon(path, app)
        assert member == expected and data_out.startswith(b"\x89PNG\r\n\x1a\n")


def test_an_icon_file_changed_after_inspection_is_an_artifact_error(tmp_path: Path) -> None:
    source = FIXTURES / "apk" / "webp-icon.apk"
    target = tmp_path / "swap.apk"
    target.write_bytes(source.read_bytes())
    app = inspector.inspect(target, digest=False)
    _rezip(source, tmp_path / "other.apk", {"res/mipmap-xxxhdpi-v4/ic_launcher.webp": b"plain text"})
    (tmp_path / "other.apk").replace(target)
    with pytest.raises(ArtifactError, match="not the webp image it was when inspected"):
        inspector.extract_icon(target, app)


def test_best_is_the_densest_raster_then_the_one_of_most_pixels() -> None:
    # The rule on hand-made records: density first (as aapt2 picks for the densest screen), then
    # pixels between files of one density; XML and unread files never qualify.
    files = (
        IconFile("anydpi-v26", "res/a.xml", adaptive=True),
        IconFile("nodpi", "res/n.png", format="png", width=512, height=512),
        IconFile("xhdpi", "res/x.webp", format="webp", width=96, height=96),
        IconFile("xhdpi-v26", "res/y.png", format="png", width=120, height=120),
        IconFile("xxhdpi", "res/unread.png"),
    )
    assert Icon("@mipmap/i", files).best == files[3]
    assert Icon("@mipmap/i", files[:3]).best == files[2]
    assert Icon("@mipmap/i", files[:2]).best == files[1]
    assert Icon("@mipmap/i", (files[0], files[4])).best is None


def test_a_jpeg_best_icon_is_written_as_jpg(tmp_path: Path) -> None:
    # webp-icon.apk without its WebP and PNG files: the ldpi JPEG is all that is left.
    source = FIXTURES / "apk" / "webp-icon.apk"
    with zipfile.ZipFile(source) as z:
        others = [n for n in z.namelist() if n.startswith("res/mipmap-") and not n.endswith(".jpg")]
        jpeg = z.read("res/mipmap-ldpi-v4/ic_launcher.jpg")
    path = _rezip(source, tmp_path / "jpeg.apk", dict.fromkeys(others))
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(tmp_path / "out"), str(path))
    assert result.code == 0, result.err
    written = result.json["results"][0]["extracted_icon"]
    assert Path(written["path"]).name == "jpeg.apk.jpg"
    assert Path(written["path"]).read_bytes() == jpeg
    measured = read_icon_members()["webp-icon.apk", "res/mipmap-ldpi-v4/ic_launcher.jpg"]
    assert (written["format"], written["width"], written["height"]) == measured


def test_at_most_icon_files_measured_headers_are_read() -> None:
    # A hostile resource table can give one icon thousands of configurations; only the first
    # ICON_FILES_MEASURED files are read (here all of them name webp-icon.apk's real files).
    with zipfile.ZipFile(FIXTURES / "apk" / "webp-icon.apk") as z:
        real = [n for n in z.namelist() if n.startswith("res/mipmap-")]
    many = Icon("@mipmap/ic_launcher", tuple(
        IconFile(f"v{i}", real[i % len(real)]) for i in range(ICON_FILES_MEASURED + 8)))
    warnings: list[str] = []
    with ZipArchive(FIXTURES / "apk" / "webp-icon.apk") as archive:
        measured = measure_icon(archive, many, warnings)
    assert all(f.raster for f in measured.files[:ICON_FILES_MEASURED])
    assert not any(f.raster for f in measured.files[ICON_FILES_MEASURED:])
    assert warnings == [f"the icon has {ICON_FILES_MEASURED + 8} files: only the first "
                        f"{ICON_FILES_MEASURED} were measured"]


def test_an_adaptive_icon_without_raster_fallback_says_why_nothing_is_written(tmp_path: Path) -> None:
    # adaptive-icon.apk without its PNG fallbacks: only the anydpi-v26 XML is left.
    source = FIXTURES / "apk" / "adaptive-icon.apk"
    with zipfile.ZipFile(source) as z:
        pngs = [n for n in z.namelist() if n.startswith("res/mipmap-") and n.endswith(".png")]
    path = _rezip(source, tmp_path / "xml-only.apk", dict.fromkeys(pngs))
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path / "out"), str(path))
    assert result.code == 0, result.err
    assert ("xml-only.apk: no icon written: @mipmap/ic_launcher is an adaptive icon (XML) with no "
            "PNG, WebP or JPEG fallback") in result.out
    assert "best:" not in result.out
    assert list((tmp_path / "out").iterdir()) == []
