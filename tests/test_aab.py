"""The AAB parser against what aapt2, jarsigner, keytool and protoc say about the same bundles.

Every expected value comes from tests/reference/aab/ (recorded by its make.sh from the fixtures in
fixtures/aab/ and the shared corpus): aapt2 dump xmltree/badging/resources of each module's
proto manifest and resource table, keytool -printcert of each signature block, jarsigner -verify,
protoc --decode_raw of BundleConfig.pb and unzip -Z1 for member names.
"""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tool_outputs import parse_badging, read_recorded

import inspector
from inspector.containers import aapt2_pb
from inspector.errors import ArtifactError
from inspector.formats import aab
from inspector.formats._manifest import Element, Ref
from tests.conftest import CORPUS, FIXTURES, corpus, run_cli
from tests.tool_outputs import read_icon_members

REF = Path(__file__).resolve().parent / "reference" / "aab"
FIXTURE_AABS = sorted((FIXTURES / "aab").glob("*.aab"))
CORPUS_AABS = sorted((CORPUS / "android").glob("*.aab"))
ALL = [(p.stem, p) for p in FIXTURE_AABS] + [(f"corpus-{p.stem}", p) for p in CORPUS_AABS]
IDS = [name for name, _ in ALL]

_NS = {"http://schemas.android.com/apk/res/android": "android:",
       "http://schemas.android.com/apk/distribution": "dist:"}


def test_every_bundle_has_references() -> None:
    assert len(FIXTURE_AABS) >= 3
    assert sorted(corpus("android").glob("*.aab")), "the shared corpus holds AABs"
    for name, _ in ALL:
        assert (REF / f"{name}.badging.txt").exists(), name


# -- reading the recorded tool outputs -----------------------------------------------------------
@dataclass
class XNode:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[XNode] = field(default_factory=list)


def _qualified(name: str) -> str:
    for uri, prefix in _NS.items():
        if name.startswith(uri + ":"):
            return prefix + name[len(uri) + 1:]
    return name


def parse_xmltree(text: str) -> XNode:
    """aapt2 dump xmltree: ``E: tag (line=N)`` and ``A: key(0xid)=value (Raw: "...")`` lines,
    nested by indentation."""
    root: XNode | None = None
    stack: list[tuple[int, XNode]] = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if body.startswith("E: "):
            node = XNode(_qualified(re.sub(r" \(line=\d+\)$", "", body[3:])))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if stack:
                stack[-1][1].children.append(node)
            else:
                root = node
            stack.append((indent, node))
        elif body.startswith("A: "):
            m = re.match(r'A: (.+?)(?:\(0x[0-9a-f]{8}\))?=(.*?)(?: \(Raw: ".*"\))?$', body)
            assert m, body
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack[-1][1].attrs[_qualified(m.group(1))] = m.group(2)
    assert root is not None
    return root


def render(element: Element) -> XNode:
    """Our Element in aapt2's notation: references by name, strings quoted, numbers bare."""
    def show(value: object) -> str:
        if isinstance(value, Ref):
            return value.name or f"@0x{value.id:08x}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return f'"{value}"'
    return XNode(element.tag, {k: show(v) for k, v in element.attrs.items()},
                 [render(c) for c in element.children])


def find(node: XNode, tag: str) -> XNode | None:
    return next((c for c in node.children if c.tag == tag), None)


def resource_blocks(text: str) -> dict[str, list[tuple[str, str]]]:
    """aapt2 dump resources: ``type/name`` -> [(qualifier, value as printed)]."""
    blocks: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in text.split("\n"):
        m = re.match(r"^    resource 0x[0-9a-f]{8} (\S+)", line)
        if m:
            current = blocks.setdefault(m.group(1), [])
            continue
        m = re.match(r"^      \(([^)]*)\) (.*)$", line)
        if m and current is not None:
            current.append((m.group(1), m.group(2)))
    return blocks


def bcp47(qualifier: str) -> str:
    """aapt2's locale qualifier as BCP-47: pt-rBR -> pt-BR, b+sr+Latn -> sr-Latn."""
    if qualifier.startswith("b+"):
        return "-".join(qualifier[2:].split("+"))
    return qualifier.replace("-r", "-")


def string_value(printed: str) -> str:
    # () "Inspector Bundle" src=...   -> Inspector Bundle
    m = re.match(r'^"(.*)"(?: src=\S+)?$', printed)
    assert m, printed
    return m.group(1)


@dataclass
class KeytoolCert:
    owner: str
    serial: str
    not_before: datetime
    not_after: datetime
    sha1: str
    sha256: str
    key_algorithm: str
    key_size: int


def parse_keytool(text: str) -> KeytoolCert:
    def get(label: str) -> str:
        m = re.search(rf"^\s*{label}: (.*)$", text, re.M)
        assert m, label
        return m.group(1).strip()

    def when(value: str) -> datetime:
        return datetime.strptime(value.replace(" UTC ", " "), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)

    start, _, end = get("Valid from").partition(" until: ")
    key = re.match(r"(\d+)-bit (\w+)", get("Subject Public Key Algorithm"))
    assert key
    return KeytoolCert(
        owner=get("Owner"), serial=get("Serial number"), not_before=when(start),
        not_after=when(end), sha1=get("SHA1").replace(":", "").lower(),
        sha256=get("SHA256").replace(":", "").lower(), key_algorithm=key.group(2),
        key_size=int(key.group(1)),
    )


def modules_of(members: list[str]) -> list[str]:
    return sorted({m.split("/")[0] for m in members if re.match(r"^[^/]+/manifest/AndroidManifest\.xml$", m)})


# -- every bundle against the tools ----------------------------------------------------------------
@pytest.fixture(scope="module", params=ALL, ids=IDS)
def case(request: pytest.FixtureRequest):
    name, path = request.param
    return name, path, inspector.inspect(path, digest=False)


def test_manifest_tree_matches_aapt2_for_every_module(case) -> None:
    name, path, _ = case
    members = read_recorded(REF / f"{name}.members.txt").body.split()
    with zipfile.ZipFile(path) as z:
        for module in modules_of(members):
            recorded = read_recorded(REF / f"{name}.{module}.xmltree.txt")
            assert recorded.exit == 0, recorded.body
            expected = parse_xmltree(recorded.body)
            data = z.read(f"{module}/manifest/AndroidManifest.xml")
            assert render(aab.to_element(aapt2_pb.parse_xml(data))) == expected, module


def test_manifest_facts_match_badging(case) -> None:
    name, _, app = case
    b = parse_badging(read_recorded(REF / f"{name}.badging.txt").body)
    assert app.format == "aab"
    assert app.package_name == b.package["name"]
    assert app.version_code == int(b.package["versionCode"])
    assert app.version_name == b.package["versionName"]
    assert app.compile_sdk == int(b.package["compileSdkVersion"])
    assert app.compile_sdk_codename == b.package["compileSdkVersionCodename"]
    assert app.platform_build_version_code == int(b.package["platformBuildVersionCode"])
    assert app.platform_build_version_name == b.package["platformBuildVersionName"]
    assert app.min_sdk == int(b.sdk)
    assert app.target_sdk == int(b.target_sdk)
    assert app.max_sdk == (int(b.max_sdk) if b.max_sdk else None)
    assert list(app.permissions) == b.permissions
    assert app.test_only == b.testonly
    assert app.label.default == b.label


def test_debuggable_as_aapt2_shows_it(case) -> None:
    # badging prints application-debuggable only for a literal true; a reference is resolved
    # here from aapt2's dump of the resource table, default configuration.
    name, _, app = case
    tree = parse_xmltree(read_recorded(REF / f"{name}.base.xmltree.txt").body)
    application = find(tree, "application")
    raw = application.attrs.get("android:debuggable", "false") if application else "false"
    if raw.startswith("@"):
        blocks = resource_blocks(read_recorded(REF / f"{name}.resources.txt").body)
        raw = dict(blocks[raw[1:]])[""]
        assert raw.split()[0] in ("true", "false")
        raw = raw.split()[0]
    assert app.debuggable == (raw == "true")
    b = parse_badging(read_recorded(REF / f"{name}.badging.txt").body)
    if b.debuggable:
        assert app.debuggable


def test_label_and_translations_match_the_resource_table(case) -> None:
    name, _, app = case
    tree = parse_xmltree(read_recorded(REF / f"{name}.base.xmltree.txt").body)
    label = find(tree, "application").attrs["android:label"]
    if not label.startswith("@"):
        assert app.label.default == label.strip('"')
        assert app.label.resource is None and not app.label.localized
        return
    blocks = resource_blocks(read_recorded(REF / f"{name}.resources.txt").body)
    values = blocks[label[1:]]
    assert app.label.resource == label
    assert app.label.default == string_value(dict(values)[""])
    assert dict(app.label.localized) == {bcp47(q): string_value(v) for q, v in values if q}


def test_icon_files_match_the_resource_table(case) -> None:
    name, _, app = case
    tree = parse_xmltree(read_recorded(REF / f"{name}.base.xmltree.txt").body)
    icon = find(tree, "application").attrs.get("android:icon")
    if icon is None:
        assert app.icon.resource is None and not app.icon.files
        return
    blocks = resource_blocks(read_recorded(REF / f"{name}.resources.txt").body)
    expected = [(q or "default", v.split()[1]) for q, v in blocks[icon[1:]] if v.startswith("(file) ")]
    assert app.icon.resource == icon
    assert [(f.density, f.path) for f in app.icon.files] == expected
    round_icon = find(tree, "application").attrs.get("android:roundIcon")
    assert app.icon.round_resource == round_icon


def test_modules_delivery_titles_and_abis(case) -> None:
    name, _, app = case
    members = read_recorded(REF / f"{name}.members.txt").body.split()
    blocks = resource_blocks(read_recorded(REF / f"{name}.resources.txt").body)
    expected = []
    for module in modules_of(members):
        tree = parse_xmltree(read_recorded(REF / f"{name}.{module}.xmltree.txt").body)
        dist = find(tree, "dist:module")
        delivery = None
        title = None
        if module == "base":
            delivery = "install-time"
        elif dist is not None:
            element = find(dist, "dist:delivery")
            if element is not None and element.children:
                first = element.children[0]
                delivery = first.tag.removeprefix("dist:")
                if first.tag == "dist:install-time" and find(first, "dist:conditions"):
                    delivery = "conditional"
            elif "dist:onDemand" in dist.attrs:
                delivery = "on-demand" if dist.attrs["dist:onDemand"] == "true" else "install-time"
        if dist is not None and "dist:title" in dist.attrs:
            ref = dist.attrs["dist:title"]
            title = string_value(dict(blocks[ref[1:]])[""]) if ref.startswith("@") else ref.strip('"')
        abis = sorted({m.split("/")[2] for m in members
                       if re.match(rf"^{re.escape(module)}/lib/[^/]+/[^/]+$", m)})
        expected.append((module, delivery, tuple(abis), title))
    got = [(m.name, m.delivery, m.abis, m.title) for m in app.modules]
    assert got[0][0] == "base"
    assert sorted(got) == sorted(expected)
    assert app.abis == tuple(sorted({a for _, _, abis, _ in expected for a in abis}))


def test_bundletool_version_matches_protoc(case) -> None:
    name, _, app = case
    text = read_recorded(REF / f"{name}.bundleconfig.txt").body
    m = re.search(r'^1 \{\n  2: "([^"]*)"', text, re.M)
    assert app.bundletool_version == (m.group(1) if m else None)


def test_signers_match_keytool_and_jarsigner(case) -> None:
    name, _, app = case
    jar = read_recorded(REF / f"{name}.jarsigner.txt")
    blocks = sorted(REF.glob(f"{name}.*.keytool.txt"))
    if "jar is unsigned." in jar.body:
        assert not blocks
        assert app.signing.schemes == () and app.signing.signers == ()
        assert not app.signing.signed
        assert any("unsigned" in w for w in app.warnings)
        return
    assert app.signing.schemes == ("v1",)
    assert len(app.signing.signers) == len(blocks)
    by_name = {s.name: s for s in app.signing.signers}
    for block in blocks:
        signer_name = block.name[len(name) + 1:].split(".")[0]
        expected = parse_keytool(read_recorded(block).body)
        cert = by_name[signer_name].certificates[0]
        assert by_name[signer_name].scheme == "v1"
        assert cert.subject == expected.owner
        assert cert.serial == expected.serial
        assert cert.sha256 == expected.sha256
        assert cert.sha1 == expected.sha1
        assert cert.not_before == expected.not_before
        assert cert.not_after == expected.not_after
        assert cert.key_size == expected.key_size
        assert cert.key_algorithm.upper() == expected.key_algorithm.upper()
    if jar.exit == 0:
        # jarsigner verified it and names the same signer.
        assert "jar verified." in jar.body
        subjects = set(re.findall(r"^      X\.509, (.*)$", jar.body, re.M))
        assert subjects == {s.certificates[0].subject for s in app.signing.signers}


def test_corpus_bundle_modified_after_signing_is_still_reported_as_signed() -> None:
    # jarsigner refuses it (a digest error): inspector reports what the signature claims and
    # leaves verification to jarsigner/apksigner, as the Signing record says.
    recorded = read_recorded(REF / "corpus-install-time-permanent-modules.jarsigner.txt")
    assert recorded.exit == 1 and "digest error" in recorded.body
    app = inspector.inspect(corpus("android", "install-time-permanent-modules.aab"), digest=False)
    assert app.signing.signed


# -- what the fixtures were made to show (README.md) ------------------------------------------------
def test_fixture_bundle_in_full() -> None:
    app = inspector.inspect(FIXTURES / "aab" / "bundle-signed.aab")
    assert app.file.sha256 and len(app.file.sha256) == 64
    assert {"fr", "de", "pt-BR"} <= set(app.label.localized)
    assert [m.delivery for m in app.modules] == ["install-time", "on-demand", "install-time",
                                                 "fast-follow"]
    assert app.modules[0].abis == ("arm64-v8a", "x86_64")
    assert app.bundletool_version == "1.15.6"
    assert app.signing.signed and not app.signing.debug_signed
    assert app.warnings == ()


def test_minimal_bundle_reads_values_through_resources() -> None:
    app = inspector.inspect(FIXTURES / "aab" / "minimal-ec-signed.aab", digest=False)
    assert app.version_name == "0.7-minimal"  # @string/version_name, default configuration
    assert app.debuggable is True  # @bool/is_debug: true by default, false in values-v28
    assert app.bundletool_version is None  # an empty BundleConfig.pb
    assert app.signing.signers[0].certificates[0].key_algorithm.upper() == "EC"


def test_delivery_rule_on_hand_made_manifests() -> None:
    def module(*children: Element, **attrs: object) -> Element:
        return Element("manifest", children=[Element("dist:module", dict(attrs), list(children))])

    def delivery(*kinds: Element) -> Element:
        return Element("dist:delivery", children=list(kinds))

    conditional = Element("dist:install-time", children=[Element("dist:conditions")])
    assert aab.delivery("base", Element("manifest")) == "install-time"
    assert aab.delivery("f", Element("manifest")) is None
    assert aab.delivery("f", module()) is None
    assert aab.delivery("f", module(delivery(conditional))) == "conditional"
    assert aab.delivery("f", module(delivery(Element("dist:install-time"),
                                             Element("dist:on-demand")))) == "install-time"
    assert aab.delivery("f", module(**{"dist:onDemand": True})) == "on-demand"
    assert aab.delivery("f", module(**{"dist:onDemand": "false"})) == "install-time"


# -- icons -----------------------------------------------------------------------------------------
def test_icon_image_is_the_densest_png_of_the_base_module(tmp_path: Path) -> None:
    path = FIXTURES / "aab" / "bundle-signed.aab"
    app = inspector.inspect(path, digest=False)
    measured = {m.removeprefix("base/"): seen for (a, m), seen in read_icon_members().items()
                if a == "bundle-signed.aab" and "/ic_launcher." in m}
    assert {f.path: (f.format, f.width, f.height) for f in app.icon.files if f.raster} == measured
    member, data = inspector.extract_icon(path, app)
    assert member == "base/res/mipmap-xxhdpi-v4/ic_launcher.png"
    with zipfile.ZipFile(path) as z:
        assert data == z.read(member)
    result = run_cli("inspect", "--extract-icon", str(tmp_path), str(path))
    assert result.code == 0, result.err
    assert (tmp_path / "bundle-signed.aab.png").read_bytes() == data


def test_webp_icons_are_raster_icons_and_the_densest_is_extracted(tmp_path: Path) -> None:
    # The corpus bundle's launcher icon: an adaptive icon with WebP mipmaps, as Android Studio's
    # templates make them. identify measured each WebP (tests/reference/image/members.txt).
    path = corpus("android", "android.aab")
    app = inspector.inspect(path, digest=False)
    measured = {m.removeprefix("base/"): seen for (a, m), seen in read_icon_members().items()
                if a == "android.aab" and "/ic_launcher." in m}
    assert {f.path: (f.format, f.width, f.height) for f in app.icon.files if f.raster} == measured
    assert app.icon.adaptive
    member, data = inspector.extract_icon(path, app)
    assert member == "base/res/mipmap-xxxhdpi-v4/ic_launcher.webp"
    assert measured[member.removeprefix("base/")] == ("webp", 192, 192)
    with zipfile.ZipFile(path) as z:
        assert data == z.read(member)
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path), str(path))
    assert result.code == 0, result.err
    assert (tmp_path / "android.aab.webp").read_bytes() == data


# -- broken bundles --------------------------------------------------------------------------------
SOURCE = FIXTURES / "aab" / "bundle-unsigned.aab"


def rebuild(tmp_path: Path, name: str, replace: dict[str, bytes | None]) -> Path:
    """A copy of the unsigned fixture bundle with some members replaced (None: left out)."""
    out = tmp_path / name
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    dst.writestr(info.filename, replace[info.filename])
            else:
                dst.writestr(info, src.read(info))
    return out


def member_bytes(name: str) -> bytes:
    with zipfile.ZipFile(SOURCE) as z:
        return z.read(name)


MANIFEST = "base/manifest/AndroidManifest.xml"
TABLE = "base/resources.pb"


def assert_clear_error(path: Path, member: str) -> ArtifactError:
    with pytest.raises(ArtifactError) as caught:
        inspector.inspect(path, digest=False)
    error = caught.value
    assert error.member == member
    assert error.path == str(path)
    assert "protocol buffer" in error.problem
    result = run_cli("inspect", str(path))
    assert result.code == 3
    assert member in result.err and "Traceback" not in result.err
    return error


@pytest.mark.parametrize("keep", [1, 2, 3, 10, 100, 0.5, 0.9, -1])
def test_truncated_manifest(tmp_path: Path, keep: float) -> None:
    data = member_bytes(MANIFEST)
    cut = int(len(data) * keep) if isinstance(keep, float) else (keep if keep > 0 else len(data) - 1)
    error = assert_clear_error(rebuild(tmp_path, "cut.aab", {MANIFEST: data[:cut]}), MANIFEST)
    assert "past the end" in error.problem


@pytest.mark.parametrize("corrupt", ["wire type 7", "huge length", "varint run", "field 0"])
def test_corrupted_manifest(tmp_path: Path, corrupt: str) -> None:
    data = bytearray(member_bytes(MANIFEST))
    assert data[0] == 0x0A  # field 1 (element), length-delimited
    if corrupt == "wire type 7":
        data[0] = 0x0F
    elif corrupt == "huge length":
        data[1:2] = b"\xff\xff\xff\x7f"
    elif corrupt == "varint run":
        data[1:] = b"\xff" * 12
    else:
        data[0] = 0x02
    assert_clear_error(rebuild(tmp_path, "bad.aab", {MANIFEST: bytes(data)}), MANIFEST)


def test_random_bytes_as_manifest(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    for i in range(5):
        noise = bytes(rng.randrange(256) for _ in range(2000))
        assert_clear_error(rebuild(tmp_path, f"noise{i}.aab", {MANIFEST: noise}), MANIFEST)


def test_truncated_resource_table(tmp_path: Path) -> None:
    data = member_bytes(TABLE)
    for cut in (5, len(data) // 2, len(data) - 3):
        assert_clear_error(rebuild(tmp_path, f"table{cut}.aab", {TABLE: data[:cut]}), TABLE)


def test_resource_table_broken_inside_an_entry(tmp_path: Path) -> None:
    # Packages and types are indexed when the table opens, entries only when looked up: the
    # error must still name the table when it surfaces during the label lookup.
    data = bytearray(member_bytes(TABLE))
    at = data.find(b"app_name")
    assert at > 0
    data[at - 1] = 0x7F  # the name's length now runs past its entry
    assert_clear_error(rebuild(tmp_path, "entry.aab", {TABLE: bytes(data)}), TABLE)


def test_corrupt_feature_manifest_and_bundle_config(tmp_path: Path) -> None:
    camera = "camera/manifest/AndroidManifest.xml"
    data = member_bytes(camera)
    assert_clear_error(rebuild(tmp_path, "camera.aab", {camera: data[: len(data) // 2]}), camera)
    assert_clear_error(rebuild(tmp_path, "config.aab", {"BundleConfig.pb": b"\x0a\x08\x12\x06"}),
                       "BundleConfig.pb")


def test_missing_resource_table_is_a_warning(tmp_path: Path) -> None:
    app = inspector.inspect(rebuild(tmp_path, "notable.aab", {TABLE: None}), digest=False)
    assert app.package_name == "com.applivery.inspector.bundle"
    assert app.label.default is None and app.label.resource == "@string/app_name"
    assert any("resources.pb" in w for w in app.warnings)
    assert [m.title for m in app.modules] == [None, None, None, None]


def test_truncated_file_and_random_bytes(tmp_path: Path) -> None:
    data = SOURCE.read_bytes()
    cut = tmp_path / "cut.aab"
    cut.write_bytes(data[: len(data) - 40])
    result = run_cli("inspect", str(cut))
    assert result.code == 3 and "Traceback" not in result.err
    noise = tmp_path / "noise.aab"
    noise.write_bytes(random.Random(7).randbytes(5000))
    result = run_cli("inspect", "--json", str(noise))
    assert result.code == 4
    assert result.json["results"][0]["error"]["kind"] == "UnknownFormatError"


# -- the command line ------------------------------------------------------------------------------
def test_cli_json_shape() -> None:
    path = FIXTURES / "aab" / "bundle-signed.aab"
    result = run_cli("inspect", "--json", "--now", "2026-01-01T00:00:00Z", str(path))
    assert result.code == 0, result.err
    doc = result.json
    assert doc["schema"] == "inspector/1"
    (app,) = doc["results"]
    assert app["format"] == "aab"
    assert app["file"]["name"] == "bundle-signed.aab" and len(app["file"]["sha256"]) == 64
    assert app["package_name"] == "com.applivery.inspector.bundle"
    assert app["version_code"] == 420
    assert app["bundletool_version"] == "1.15.6"
    assert app["modules"][1] == {"name": "camera", "delivery": "on-demand", "abis": [],
                                 "title": "Camera tools", "kind": "feature", "instant": False}
    assert app["label"]["localized"]["pt-BR"] == "Inspetor de pacote"
    assert app["icon"]["best"] == "res/mipmap-xxhdpi-v4/ic_launcher.png"
    signing = app["signing"]
    assert signing["schemes"] == ["v1"] and signing["signed"] is True
    cert = signing["signers"][0]["certificates"][0]
    assert cert["days_left"] == 10592 and cert["expired"] is False
    assert app["warnings"] == []


# -- the Resources adapter on a hand-made table (rules the bundles above do not exercise) ----------
def test_resource_rules_on_a_hand_made_table() -> None:
    from test_aapt2_pb import f32, ld, v

    def entry(eid: int, name: str, *values: bytes) -> bytes:
        return ld(3, ld(1, v(1, eid) if eid else b""), ld(2, name), *values)

    def value(item: bytes, config: bytes = b"") -> bytes:
        return ld(6, ld(1, config), ld(2, ld(4, item)))

    def typ(tid: int, name: str, *entries: bytes) -> bytes:
        return ld(3, ld(1, v(1, tid)), ld(2, name), *entries)

    ref = lambda rid, name: ld(1, v(2, rid), ld(3, name))  # noqa: E731
    data = ld(2, ld(1, v(1, 0x7F)), ld(2, "com.example"),
              typ(2, "mipmap", entry(0, "ic", value(ref(0x7F040000, "drawable/ic_real")))),
              typ(3, "string",
                  entry(0, "greeting", value(ld(2, ld(1, "Hello"))),
                        value(ld(2, ld(1, "Bonjour")), ld(3, "fr")),
                        value(ld(2, ld(1, "Hallo (Nacht)")), ld(3, "de") + v(17, 1))),
                  entry(1, "loop", value(ref(0x7F030001, "string/loop")))),
              typ(4, "drawable",
                  entry(0, "ic_real", value(ld(5, ld(1, "res/drawable-xxhdpi-v4/ic_real.png")), v(18, 480)),
                        value(ld(5, ld(1, "res/drawable-night-v8/ic_real.png")), v(17, 1)),
                        value(ld(5, ld(1, "res/drawable-anydpi-v26/ic_real.xml")),
                              v(18, 0xFFFE) + v(24, 26)))),
              typ(5, "bool", entry(0, "flag", value(ld(7, v(8, 0)), v(24, 28)), value(ld(7, v(8, 1))))),
              typ(6, "dimen", entry(0, "ratio", value(ld(7, f32(3, 0.5))))))
    r = aab._Resources(data, "x/resources.pb")
    assert r.value(Ref(0x7F050000)) is True  # the default configuration, not values-v28
    assert r.value(Ref(0x7F060000)) == 0.5
    assert r.strings(Ref(0, "@string/greeting")) == ("Hello", {"fr": "Bonjour"})  # night skipped
    assert r.value(Ref(0x7F030001)) is None  # a reference cycle ends, unresolved
    assert r.files(Ref(0x7F020000)) == [("xxhdpi", "res/drawable-xxhdpi-v4/ic_real.png"),
                                        ("anydpi-v26", "res/drawable-anydpi-v26/ic_real.xml")]
    assert r.name(Ref(0x7F020000)) == "@mipmap/ic"
    assert r.value(Ref(0x01040000, "@android:string/greeting")) is None  # framework: not ours
    assert r.value(Ref(0, "@android:string/greeting")) is None
    assert r.strings(Ref(0x7F039999)) == (None, {})
    assert r.name(Ref(0x7F039999, "@string/gone")) == "@string/gone"


@pytest.mark.parametrize("name", ["bundle-signed", "corpus-install-time-permanent-modules"])
def test_module_kind_and_instant_follow_the_dist_attributes(name: str) -> None:
    path = (FIXTURES / "aab" / f"{name}.aab" if not name.startswith("corpus-")
            else corpus("android", f"{name.removeprefix('corpus-')}.aab"))
    app = inspector.inspect(path, digest=False)
    for module in app.modules:
        if module.name == "base":
            assert module.kind == "base"
            continue
        tree = read_recorded(REF / f"{name}.{module.name}.xmltree.txt").body
        asset_pack = 'distribution:type="asset-pack"' in tree
        assert module.kind == ("asset-pack" if asset_pack else "feature")
        assert module.instant == bool(re.search(r"distribution:instant=(true|\"true\")", tree))
