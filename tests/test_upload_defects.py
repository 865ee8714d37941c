"""Upload defects found against the contract, each checked against the loopback server: the icon a
custom build needs, Windows builds no platform fits, a curl dry run that bash can run as printed
(an extracted icon included), and a dry run without a token."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.applivery_server import ApplivServer, serving
from tests.conftest import FIXTURES, CliResult, run_cli
from tests.test_icns import LARGE, icns
from tests.test_pkg_icon import PLIST, _pkg

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
PKG = FIXTURES / "pkg" / "product.pkg"  # no icon inside
PNG = FIXTURES / "macho" / "icon-rgb.png"
TOKEN = "app-TOKEN-defects-9a2"


@pytest.fixture
def server(monkeypatch, tmp_path):
    with serving(monkeypatch, app_token=TOKEN, home=tmp_path) as s:
        yield s


def upload(*argv: str) -> CliResult:
    result = run_cli("upload", "--no-git", "--no-deployer", "--retry-delay", "0", *argv)
    assert TOKEN not in result.out + result.err
    return result


def one_line_usage_error(r: CliResult, *words: str) -> None:
    assert r.code == 2, r
    assert r.err.count("\n") == 1 and r.err.startswith("inspector: error: "), r.err
    for word in words:
        assert word in r.err, (word, r.err)


def run_curl(command: str, server: ApplivServer) -> subprocess.CompletedProcess[str]:
    if shutil.which("curl") is None:
        pytest.skip("curl is needed to run the dry run's command")
    env = {**os.environ, "APPLIVERY_APP_TOKEN": TOKEN}
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (done.returncode, done.stderr, done.stdout)
    return done


# -- packageIcon: required for a build the service cannot process ------------------------------

def test_a_pkg_without_an_icon_is_refused_before_sending(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    one_line_usage_error(upload(str(PKG), "--no-check"), "product.pkg", "needs --package-icon")
    assert server.requests == []
    r = upload(str(PKG), "--no-check", "--package-icon", str(PNG))
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.files["packageIcon"].data == PNG.read_bytes()


def test_a_pkg_icon_is_extracted_and_sent(server, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    pkg = _pkg(tmp_path, PLIST, {"AppIcon.icns": icns((b"ic08", LARGE))})
    r = upload(str(pkg), "--no-check")
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields == [("buildPlatform", "macos"), ("packageName", "com.example.iconic"),
                          ("packageVersion", "3.1")]
    # LARGE is the PNG the test put inside the .icns: the bytes the server got must be it.
    assert got.files["packageIcon"].data == LARGE and got.files["packageIcon"].content_type == "image/png"


# -- Windows builds ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["setup.exe", "App.msi"])
def test_a_windows_installer_fits_no_platform(server, tmp_path, name) -> None:
    build = tmp_path / name
    build.write_bytes(b"MZ" + bytes(64))
    # No token either: the platform is refused first, before the token, the build or the network.
    for extra in ([], ["--build-platform", "xbox-series"]):
        r = upload(str(build), *extra)
        one_line_usage_error(r, name, "fits none of the service's build platforms", "cannot be uploaded")
    assert server.requests == []


@pytest.mark.parametrize("name", ["App.msix", "App.appx", "App.msixbundle", "App.appxbundle"])
def test_a_windows_app_package_is_an_xbox_build(server, tmp_path, monkeypatch, name) -> None:
    build = tmp_path / name
    with zipfile.ZipFile(build, "w") as archive:  # an app package is a zip with a manifest
        archive.writestr("AppxManifest.xml", "<Package/>")
    one_line_usage_error(upload(str(build)), name, "needs --build-platform xbox-one or xbox-series")
    one_line_usage_error(upload(str(build), "--build-platform", "ps5"),
                         "--build-platform ps5 does not fit --build-platform xbox-one or xbox-series")
    assert server.requests == []
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    r = upload(str(build), "--build-platform", "xbox-one", "--package-name", "com.acme.app",
               "--package-version", "2.0", "--package-icon", str(PNG))
    assert r.code == 0, r.err
    [got] = server.uploads()
    assert got.fields[0] == ("buildPlatform", "xbox-one") and got.files["build"].filename == name


# -- --dry-run=curl runs as printed --------------------------------------------------------------

def test_curl_with_an_extracted_icon_runs_against_the_server(server, tmp_path) -> None:
    made = _pkg(tmp_path, PLIST, {"AppIcon.icns": icns((b"ic08", LARGE))})
    pkg = tmp_path / 'My "App"; v3.pkg'  # curl's -F syntax needs both quoted
    made.rename(pkg)
    r = upload(str(pkg), "--no-check", "--dry-run=curl")  # no token: the command reads the variable
    assert r.code == 0, r.err
    assert "bytes extracted" not in r.out and "<" not in r.out
    written = re.search(r"packageIcon extracted from the build written to (\S+) "
                        r"\(the curl command reads it\)", r.err)
    assert written, r.err
    icon_file = Path(written.group(1))
    try:
        assert icon_file.read_bytes() == LARGE
        run_curl(r.out, server)
    finally:
        icon_file.unlink()
    [got] = server.uploads()
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    assert got.files["packageIcon"].data == LARGE
    # curl writes a double quote in a part's filename as %22 (the HTML form encoding); the ; arrived.
    assert got.files["build"].filename == "My %22App%22; v3.pkg"
    assert got.files["build"].sha256 == hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert got.fields == [("buildPlatform", "macos"), ("packageName", "com.example.iconic"),
                          ("packageVersion", "3.1")]


def test_an_icon_named_by_the_config_is_read_by_curl_from_anywhere(server, tmp_path) -> None:
    project = tmp_path / "project"
    (project / "art").mkdir(parents=True)
    shutil.copyfile(PNG, project / "art" / "icon.png")
    (project / "inspector.toml").write_text('[upload]\npackage-icon = "art/icon.png"\n')
    r = upload(str(PKG), "--no-check", "--config", str(project / "inspector.toml"), "--dry-run=curl")
    assert r.code == 0, r.err
    run_curl(r.out, server)  # run from tmp_path, not from the config's folder
    assert server.uploads()[0].files["packageIcon"].data == PNG.read_bytes()


# -- a dry run needs no token ----------------------------------------------------------------------

def test_a_dry_run_without_a_token(server) -> None:
    r = upload(str(APK), "--no-check", "--dry-run")
    assert r.code == 0, r.err
    assert r.json["headers"]["Authorization"] == "Bearer $APPLIVERY_APP_TOKEN"
    assert "no token set: the dry run shows the Authorization header as $APPLIVERY_APP_TOKEN" in r.err
    r = upload(str(APK), "--no-check", "--dry-run=curl", "--organization", "org1", "--app", "app1")
    assert '-H "Authorization: Bearer $APPLIVERY_SERVICE_ACCOUNT_TOKEN"' in r.out
    r = upload(str(APK), "--no-check", "--dry-run=curl")
    assert '-H "Authorization: Bearer $APPLIVERY_APP_TOKEN"' in r.out
    run_curl(r.out, server)
    [got] = server.uploads()
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    # Without --dry-run a token is still required, and nothing is sent.
    one_line_usage_error(upload(str(APK), "--no-check"), "no token")
    assert len(server.requests) == 1
