"""PKG records and reports against the tools' views (bsdtar, cpio, plistutil, openssl)."""

from __future__ import annotations

import hashlib
import os
import plistlib
import re
import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_xar import rebuild

from inspector.api import inspect
from inspector.containers.xar import XarArchive
from inspector.errors import ArtifactError
from inspector.records.pkg import Pkg
from tests.conftest import FIXTURES, ROOT, corpus, run_cli

PKG = FIXTURES / "pkg"
REF = ROOT / "tests" / "reference" / "pkg"
NOW = "2026-11-28T00:00:00Z"
APP_KEYS = ("CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion",
            "CFBundleDisplayName", "CFBundleName", "LSMinimumSystemVersion")


def record(name: str) -> Pkg:
    result = inspect(PKG / f"{name}.pkg")
    assert isinstance(result, Pkg)
    return result


def reference_plist(name: str) -> dict:
    return plistlib.loads((REF / f"{name}.Info.plist.xml").read_bytes())


def reference_xml(name: str) -> ET.Element:
    return ET.fromstring((REF / name).read_bytes())  # our own tool output: trusted


def payload_count(name: str) -> int:
    return len((REF / name).read_text().splitlines())


def check_component(component, info_xml: str, payload_txt: str | None) -> None:
    root = reference_xml(info_xml)
    payload = root.find("payload")
    assert component.identifier == root.get("identifier")
    assert component.version == root.get("version")
    assert component.install_location == root.get("install-location")
    assert component.number_of_files == int(payload.get("numberOfFiles"))
    assert component.install_kbytes == int(payload.get("installKBytes"))
    expected = [(b.get("path"), b.get("id"), b.get("CFBundleShortVersionString"),
                 b.get("CFBundleVersion")) for b in root.iter("bundle") if b.get("path")]
    assert [(b.path, b.id, b.CFBundleShortVersionString, b.CFBundleVersion)
            for b in component.bundles] == expected
    if payload_txt:
        # PackageInfo's count agrees with what cpio lists in the payload
        assert component.number_of_files == payload_count(payload_txt)


def check_app(pkg: Pkg, plist_name: str, component: str) -> None:
    plist = reference_plist(plist_name)
    assert pkg.app is not None
    for key in APP_KEYS:
        assert getattr(pkg.app, key) == plist.get(key), key
    assert pkg.app.source == "Info.plist"
    assert pkg.app.path == "./Applications/Fixture.app"
    assert pkg.app.component == component


def check_distribution(pkg: Pkg, dist_xml: str) -> None:
    root = reference_xml(dist_xml)
    assert pkg.kind == "product"
    assert pkg.title == root.findtext("title")
    assert pkg.product_id == root.find("product").get("id")
    assert pkg.product_version == root.find("product").get("version")
    assert ",".join(pkg.host_architectures) == root.find("options").get("hostArchitectures")
    mins = [v.get("min") for v in root.iter("os-version")]
    assert pkg.minimum_os == mins[0]  # the fixtures list the lowest first


@pytest.mark.parametrize("name", ["component", "pbzx", "bzip2"])
def test_component_packages(name: str) -> None:
    pkg = record(name)
    assert pkg.kind == "component"
    assert (pkg.title, pkg.product_id, pkg.minimum_os, pkg.host_architectures) == (
        None, None, None, ())
    (component,) = pkg.components
    check_component(component, f"{name}.PackageInfo.xml", f"{name}.payload.txt")
    assert component.folder is None
    assert component.payload == ("pbzx" if name == "pbzx" else "gzip")
    check_app(pkg, name, "com.example.fixture.pkg")
    assert not pkg.signature.signed
    assert pkg.warnings == ()
    assert pkg.file.sha256 is not None and len(pkg.file.sha256) == 64


def test_product_archive() -> None:
    pkg = record("product")
    check_distribution(pkg, "product.Distribution.xml")
    assert pkg.minimum_os == "11.0"
    (component,) = pkg.components
    assert component.folder == "Fixture.pkg"
    check_component(component, "product.Fixture.pkg.PackageInfo.xml",
                    "product.Fixture.pkg.payload.txt")
    check_app(pkg, "product", "com.example.fixture.pkg")
    assert pkg.warnings == ()


def test_several_components_app_from_the_one_that_has_it() -> None:
    pkg = record("multi")
    check_distribution(pkg, "multi.Distribution.xml")
    assert pkg.minimum_os == "12.3"
    assert [c.folder for c in pkg.components] == ["Tool.pkg", "App.pkg"]
    check_component(pkg.components[0], "multi.Tool.pkg.PackageInfo.xml",
                    "multi.Tool.pkg.payload.txt")
    check_component(pkg.components[1], "multi.App.pkg.PackageInfo.xml",
                    "multi.App.pkg.payload.txt")
    assert [c.payload for c in pkg.components] == ["gzip", "pbzx"]
    check_app(pkg, "multi", "com.example.fixture.pkg")


def test_the_app_is_the_shallowest_bundle_not_the_first() -> None:
    # PackageInfo and the payload both list the embedded helper app before the main app.
    listing = (REF / "component.payload.txt").read_text()
    assert listing.index("FixtureHelper.app/Contents/Info.plist") < listing.index(
        "Fixture.app/Contents/Info.plist")
    pkg = record("component")
    assert pkg.components[0].bundles[0].id == "com.example.fixture.helper"
    assert pkg.app is not None and pkg.app.CFBundleIdentifier == "com.example.fixture"


def test_without_packageinfo_bundles_the_first_top_level_app_is_found(tmp_path: Path) -> None:
    # Drop the <bundle path> entries from PackageInfo: rule 2 (payload scan) must still skip
    # the helper app that comes first in the stream.
    data = (PKG / "component.pkg").read_bytes()
    with XarArchive(PKG / "component.pkg") as xar:
        info = xar.info("PackageInfo")
        original = xar.read("PackageInfo")
    stripped = re.sub(rb'<bundle path="[^"]*"[^>]*/>', b"", original)
    replacement = stripped.ljust(len(original), b" ")  # same length: offsets stay valid
    data = data[:info.offset] + replacement + data[info.offset + len(original):]

    def fix_checksum(xml: bytes) -> bytes:
        return re.sub(rb'<extracted-checksum style="sha1">[0-9a-f]+',
                      b'<extracted-checksum style="sha1">' + hashlib.sha1(replacement).hexdigest().encode(),
                      xml, count=1)

    path = tmp_path / "nobundles.pkg"
    path.write_bytes(rebuild(data, fix_checksum))
    pkg = inspect(path)
    assert pkg.components[0].bundles == ()
    check_app(pkg, "component", "com.example.fixture.pkg")


def test_no_app_bundle() -> None:
    pkg = record("noapp")
    (component,) = pkg.components
    check_component(component, "noapp.PackageInfo.xml", "noapp.payload.txt")
    assert component.payload == "cpio"
    assert pkg.app is None
    assert pkg.warnings == ()


def fingerprint(text: str) -> list[str]:
    return [f.replace(":", "").lower()
            for f in re.findall(r"sha256 Fingerprint=([0-9A-F:]+)", text)]


def test_signed_package() -> None:
    pkg = record("signed")
    check_distribution(pkg, "signed.Distribution.xml")
    check_app(pkg, "signed", "com.example.fixture.pkg")
    sig = pkg.signature
    assert sig.signed and sig.styles == ("RSA", "CMS")
    text = (REF / "signed.certs.txt").read_text()
    assert [c.sha256 for c in sig.chain] == fingerprint(text)
    subjects = re.findall(r"subject=(.*)", text)
    assert [c.subject.replace(", ", ",") for c in sig.chain] == subjects
    ends = [datetime.strptime(t, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)
            for t in re.findall(r"notAfter=(.*)", text)]
    assert [c.not_after for c in sig.chain] == ends
    assert sig.leaf is not None
    assert sig.team_id == re.search(r"OU=([^,]+)", subjects[0]).group(1) == "FIXTURE123"
    assert pkg.warnings == ()


def test_cms_signature_without_keyinfo_reads_the_cms_blob(tmp_path: Path) -> None:
    # Drop KeyInfo from both signatures: the chain then comes from the CMS SignedData itself.
    data = rebuild((PKG / "signed.pkg").read_bytes(),
                   lambda x: re.sub(rb"<KeyInfo.*?</KeyInfo>", b"", x, flags=re.S))
    path = tmp_path / "cms-only.pkg"
    path.write_bytes(data)
    pkg = inspect(path)
    assert pkg.signature.styles == ("RSA", "CMS")
    assert [c.sha256 for c in pkg.signature.chain][:1] == fingerprint(
        (REF / "signed.certs.txt").read_text())[:1]
    assert any("<signature style='RSA'> carries no certificate" in w for w in pkg.warnings)


def test_bad_certificate_in_keyinfo(tmp_path: Path) -> None:
    data = rebuild((PKG / "signed.pkg").read_bytes(),
                   lambda x: re.sub(rb"<X509Certificate>[^<]+", b"<X509Certificate>AAAA", x,
                                    count=1))
    path = tmp_path / "badcert.pkg"
    path.write_bytes(data)
    with pytest.raises(ArtifactError) as err:
        inspect(path)
    assert err.value.member == "TOC <signature style='RSA'>"


def test_corpus_product_without_payload() -> None:
    path = corpus("macos", "MacAppOnly.pkg")
    pkg = inspect(path)
    check_distribution(pkg, "MacAppOnly.Distribution.xml")
    assert pkg.minimum_os == "10.10"
    assert pkg.components == ()
    bundle = reference_xml("MacAppOnly.Distribution.xml").find(".//bundle-version/bundle")
    assert pkg.app is not None and pkg.app.source == "Distribution"
    assert (pkg.app.CFBundleIdentifier, pkg.app.CFBundleShortVersionString,
            pkg.app.CFBundleVersion, pkg.app.path) == (
        bundle.get("id"), bundle.get("CFBundleShortVersionString"),
        bundle.get("CFBundleVersion"), bundle.get("path"))
    assert any("Distribution's <bundle-version>" in w for w in pkg.warnings)


# -- streaming stops at the plist -----------------------------------------------------------
def shorten_payload(name: str, keep: int, tmp_path: Path) -> Path:
    """A copy whose Payload member's stored length is cut to ``keep`` bytes (TOC re-checksummed):
    the payload stream ends early, as a truncated download would."""
    def cut(xml: bytes) -> bytes:
        head, sep, tail = xml.partition(b"<name>Payload</name>")
        tail = re.sub(rb"<length>\d+</length>", b"<length>%d</length>" % keep, tail, count=1)
        # stored member: the decoded size is the stored length
        tail = re.sub(rb"<size>\d+</size>", b"<size>%d</size>" % keep, tail, count=1)
        return head + sep + tail

    path = tmp_path / f"short-{name}.pkg"
    path.write_bytes(rebuild((PKG / f"{name}.pkg").read_bytes(), cut))
    return path


def test_streaming_stops_once_the_plist_is_found(tmp_path: Path) -> None:
    # The last part of the gzip payload (the random noise.bin) is gone, yet the app is read:
    # nothing after Info.plist was decoded.
    pkg = inspect(shorten_payload("component", 3000, tmp_path))
    check_app(pkg, "component", "com.example.fixture.pkg")


def test_truncated_payload_before_the_plist(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as err:
        inspect(shorten_payload("component", 300, tmp_path))
    assert err.value.member == "Payload" and "truncated" in err.value.problem


def test_truncated_plain_payload_is_scanned_to_the_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as err:
        inspect(shorten_payload("noapp", 700, tmp_path))
    assert err.value.member == "Payload" and "truncated" in err.value.problem


def test_truncated_pbzx_payload(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as err:
        inspect(shorten_payload("pbzx", 100, tmp_path))
    assert err.value.member == "Payload" and "pbzx" in err.value.problem


def test_not_an_installer_package(tmp_path: Path) -> None:
    data = rebuild((PKG / "component.pkg").read_bytes(),
                   lambda x: x.replace(b"<name>PackageInfo</name>", b"<name>Other</name>"))
    path = tmp_path / "plain.xar"
    path.write_bytes(data)
    with pytest.raises(ArtifactError) as err:
        inspect(path)
    assert "neither a Distribution nor a PackageInfo" in err.value.problem


def test_hostile_packageinfo(tmp_path: Path) -> None:
    # A PackageInfo with a DTD inside an otherwise valid archive: refused, named.
    with XarArchive(PKG / "noapp.pkg") as xar:
        info = xar.info("PackageInfo")
        original = xar.read("PackageInfo")
    bomb = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><pkg-info>&a;</pkg-info>'
    data = (PKG / "noapp.pkg").read_bytes()
    data = data[:info.offset] + bomb.ljust(len(original)) + data[info.offset + len(original):]
    path = tmp_path / "dtd.pkg"
    path.write_bytes(rebuild(data, lambda x: re.sub(
        rb'<extracted-checksum style="sha1">[0-9a-f]+</extracted-checksum>', b"", x)))
    with pytest.raises(ArtifactError) as err:
        inspect(path)
    assert err.value.member == "PackageInfo" and "DTD" in err.value.problem


# -- the CLI ------------------------------------------------------------------------------
def test_cli_text() -> None:
    result = run_cli("inspect", "--now", NOW, str(PKG / "signed.pkg"))
    assert result.code == 0, result.err
    out = result.out
    for expected in ("macOS installer package", "Fixture App", "Bundle id",
                     "com.example.fixture", "Minimum macOS", "x86_64, arm64", "RSA + CMS",
                     "Team id", "FIXTURE123", "Component com.example.fixture.pkg",
                     "Install location", "Valid until", "1.2.3 (build 45)",
                     "Fixture Display / Fixture"):
        assert expected in out, expected
    # Friendly labels, not raw plist keys.
    assert "CFBundleShortVersionString" not in out and "LSMinimumSystemVersion" not in out


def test_cli_json_shape() -> None:
    result = run_cli("inspect", "--json", "--no-hash", "--now", NOW, str(PKG / "signed.pkg"),
                     str(PKG / "corrupt-toc.pkg"))
    assert result.code == 3
    doc = result.json
    assert doc["schema"] == "inspector/1"
    ok, bad = doc["results"]
    assert ok["format"] == "pkg" and ok["kind"] == "product"
    assert ok["file"]["sha256"] is None
    plist = reference_plist("signed")
    assert {k: ok["app"][k] for k in APP_KEYS} == {k: plist.get(k) for k in APP_KEYS}
    assert ok["signature"]["signed"] is True and ok["signature"]["team_id"] == "FIXTURE123"
    leaf = ok["signature"]["leaf"]
    assert leaf["sha256"] == fingerprint((REF / "signed.certs.txt").read_text())[0]
    expected_days = (datetime.fromisoformat(leaf["not_after"].replace("Z", "+00:00"))
                     - datetime.fromisoformat(NOW.replace("Z", "+00:00"))).days
    assert leaf["days_left"] == expected_days
    component = ok["components"][0]
    assert set(component) >= {"identifier", "version", "install_location", "number_of_files",
                              "install_kbytes", "bundles"}
    assert bad["error"]["kind"] == "ArtifactError"
    assert bad["error"]["member"] == "TOC"
    assert bad["error"]["exit_code"] == 3


def test_cli_bad_checksum_is_a_failed_verification() -> None:
    # The TOC reads; only its checksum is wrong: a fact of the record (inspect exits 0), which
    # the gate fails (SIG004, tests/test_pkg_verify.py).
    result = run_cli("inspect", "--json", "--no-hash", str(PKG / "bad-checksum.pkg"))
    assert result.code == 0, result.err
    (doc,) = result.json["results"]
    assert doc["verification"]["verified"] is False
    assert [f["member"] for f in doc["verification"]["failures"]] == ["TOC checksum"]
    assert doc["summary"]["verified"] is False


@pytest.mark.parametrize("name", ["corrupt-toc"])
def test_cli_errors(name: str) -> None:
    result = run_cli("inspect", str(PKG / f"{name}.pkg"))
    assert result.code == 3
    assert result.err.startswith("inspector: error: ")
    assert f"{name}.pkg: TOC" in result.err
    assert "Traceback" not in result.err


def test_cli_random_bytes_and_truncation(tmp_path: Path) -> None:
    random = tmp_path / "random.pkg"
    random.write_bytes(b"xar!" + os.urandom(2000))
    cut = tmp_path / "cut.pkg"
    cut.write_bytes((PKG / "product.pkg").read_bytes()[:5000])
    for path in (random, cut):
        result = run_cli("inspect", str(path))
        assert result.code == 3, result.err
        assert "internal error" not in result.err


def test_cli_corpus() -> None:
    result = run_cli("inspect", "--json", str(corpus("macos", "MacAppOnly.pkg")))
    assert result.code == 0
    (res,) = result.json["results"]
    assert res["title"] == reference_xml("MacAppOnly.Distribution.xml").findtext("title")
    assert res["app"]["source"] == "Distribution"
    assert res["signature"]["signed"] is False


def test_header_bytes_are_as_documented() -> None:
    head = (PKG / "component.pkg").read_bytes()[:28]
    magic, size, version, _, _, algorithm = struct.unpack(">4sHHQQI", head)
    assert (magic, size, version, algorithm) == (b"xar!", 28, 1, 1)
