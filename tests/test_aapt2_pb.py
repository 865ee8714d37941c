"""inspector.containers.aapt2_pb: the hand-written reader of aapt2's protocol buffers.

Two kinds of evidence. First, equivalence with the official protobuf runtime: every manifest and
resource table of every fixture and corpus bundle is decoded by the runtime through
tests/reference/aab/aapt2_subset.proto (compiled by protoc into the committed aapt2_subset.pb)
and must give the same tree, entries and values. Second, hand-encoded messages for what the
bundles do not contain: the old plain-uint32 id shape, negative integers, every wire-format error.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from inspector.containers import aapt2_pb as pb
from inspector.errors import ArtifactError
from tests.conftest import CORPUS, FIXTURES

SUBSET = Path(__file__).resolve().parent / "reference" / "aab" / "aapt2_subset.proto"
BUNDLES = sorted((FIXTURES / "aab").glob("*.aab")) + sorted((CORPUS / "android").glob("*.aab"))


# -- a tiny encoder for hand-made messages --------------------------------------------------------
def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def v(number: int, value: int) -> bytes:
    return tag(number, 0) + varint(value)


def ld(number: int, *payload: bytes | str) -> bytes:
    data = b"".join(p.encode() if isinstance(p, str) else p for p in payload)
    return tag(number, 2) + varint(len(data)) + data


def f32(number: int, value: float) -> bytes:
    return tag(number, 5) + struct.pack("<f", value)


def table(wrapped: bool) -> bytes:
    """A table with one package 0x7f, type 0x03 "string", entries 0 and 5, in either id shape."""
    def ident(number: int, value: int) -> bytes:
        return ld(number, v(1, value) if value else b"") if wrapped else v(number, value)

    def entry(eid: int, name: str, *values: bytes) -> bytes:
        # the current schema puts config_value at 6; fields 3-5 and 7+ are skipped
        return ld(3, ident(1, eid), ld(2, name), ld(3, ld(3, "x")), *values, v(7, 1))

    default = ld(6, ld(1, b""), ld(2, ld(4, ld(2, ld(1, "Hello")))))
    french = ld(6, ld(1, ld(3, "fr")), ld(2, ld(4, ld(2, ld(1, "Bonjour")))))
    alias = ld(6, ld(2, ld(4, ld(1, v(2, 0x7F030000), ld(3, "string/greeting")))))
    types = ld(3, ident(1, 3), ld(2, "string"), entry(0, "greeting", default, french),
               entry(5, "alias", alias))
    return ld(1, ld(1, b"\x00")) + ld(2, ident(1, 0x7F), ld(2, "com.example"), types) + ld(4, "x")


# -- equivalence with the protobuf runtime ---------------------------------------------------------
@pytest.fixture(scope="module")
def runtime() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    # The schema compiled by protoc (tests/reference/aab/make.sh), committed so that the test needs
    # only the protobuf runtime; test_compiled_schema_is_current checks it against the .proto.
    files = descriptor_pb2.FileDescriptorSet.FromString(SUBSET.with_suffix(".pb").read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)

    class Messages:
        def __getattr__(self, name: str) -> Any:
            return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"aapt.pb.{name}"))

    return Messages()


def runtime_item(item: Any) -> Any:
    """The runtime's Item in the shape aapt2_pb gives it."""
    kind = item.WhichOneof("value")
    if kind == "ref":
        return pb.Reference(item.ref.id, item.ref.name, item.ref.type == 1)
    if kind in ("str", "raw_str", "styled_str"):
        return getattr(item, kind).value
    if kind == "file":
        return pb.FileRef(item.file.path, item.file.type)
    if kind == "prim":
        which = item.prim.WhichOneof("oneof_value")
        value = getattr(item.prim, which)
        name = which.removesuffix("_value").replace("_value_", "_")
        if name in ("null", "empty"):
            value = None
        return pb.Primitive(name, value)
    return None


def runtime_element(el: Any) -> pb.XmlElement:
    attrs = tuple(
        pb.XmlAttribute(a.namespace_uri, a.name, a.value, a.resource_id,
                        runtime_item(a.compiled_item) if a.HasField("compiled_item") else None)
        for a in el.attribute
    )
    children = tuple(runtime_element(c.element) for c in el.child if c.HasField("element"))
    namespaces = tuple((n.prefix, n.uri) for n in el.namespace_declaration)
    return pb.XmlElement(el.namespace_uri, el.name, attrs, children, namespaces)


def members(path: Path, suffix: str) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(n, z.read(n)) for n in z.namelist() if n.endswith(suffix)]


@pytest.mark.parametrize("path", BUNDLES, ids=[p.name for p in BUNDLES])
def test_manifests_decode_as_the_runtime_decodes_them(runtime: Any, path: Path) -> None:
    found = members(path, "/manifest/AndroidManifest.xml")
    assert found
    for name, data in found:
        node = runtime.XmlNode.FromString(data)
        assert pb.parse_xml(data) == runtime_element(node.element), name


@pytest.mark.parametrize("path", BUNDLES, ids=[p.name for p in BUNDLES])
def test_resource_tables_decode_as_the_runtime_decodes_them(runtime: Any, path: Path) -> None:
    found = members(path, "/resources.pb")
    assert found
    checked = 0
    for name, data in found:
        ours = pb.ResourceTable(data)
        theirs = runtime.ResourceTable.FromString(data)
        for package in theirs.package:
            pid = package.package_id.id
            assert ours.packages[pid] == package.package_name
            for rtype in package.type:
                for entry in rtype.entry:
                    rid = (pid << 24) | (rtype.type_id.id << 16) | entry.entry_id.id
                    got = ours.entry(rid)
                    assert got is not None, (name, hex(rid))
                    assert (got.type, got.name) == (rtype.name, entry.name)
                    assert ours.find(rtype.name, entry.name) == got
                    expected = [
                        ((cv.config.locale, cv.config.density, cv.config.sdk_version),
                         runtime_item(cv.value.item) if cv.value.HasField("item") else None)
                        for cv in entry.config_value
                    ]
                    assert [((c.config.locale, c.config.density, c.config.sdk_version), c.item)
                            for c in got.values] == expected, (name, entry.name)
                    checked += 1
    assert checked


@pytest.mark.parametrize("path", BUNDLES, ids=[p.name for p in BUNDLES])
def test_bundle_config_decodes_as_the_runtime_decodes_it(runtime: Any, path: Path) -> None:
    ((_, data),) = members(path, "BundleConfig.pb")
    config = runtime.BundleConfig.FromString(data)
    expected = config.bundletool.version if config.HasField("bundletool") else None
    assert pb.bundletool_version(data) == (expected or None)


# -- id shapes and values --------------------------------------------------------------------------
@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped-ids", "plain-uint32-ids"])
def test_both_id_shapes(wrapped: bool) -> None:
    t = pb.ResourceTable(table(wrapped))
    assert t.packages == {0x7F: "com.example"}
    greeting = t.entry(0x7F030000)
    assert greeting is not None
    assert (greeting.id, greeting.type, greeting.name) == (0x7F030000, "string", "greeting")
    assert [(c.config.locale, c.item) for c in greeting.values] == [("", "Hello"), ("fr", "Bonjour")]
    assert greeting.values[0].config.is_default and not greeting.values[1].config.is_default
    alias = t.entry(0x7F030005)
    assert alias is not None and alias.values[0].item == pb.Reference(0x7F030000, "string/greeting")
    assert t.find("string", "alias") == alias
    assert t.entry(0x7F030001) is None and t.entry(0x7F040000) is None and t.entry(0x01030000) is None
    assert t.find("string", "nothing") is None


def test_primitives() -> None:
    def attr(prim: bytes) -> pb.XmlAttribute:
        doc = ld(1, ld(3, "x"), ld(4, ld(2, "a"), ld(3, "raw"), ld(6, ld(7, prim))))
        return pb.parse_xml(doc).attributes[0]

    assert attr(v(6, -5)).item == pb.Primitive("int_decimal", -5)  # sign-extended, 10 bytes
    assert attr(v(7, 0xFFFFFFFF)).item == pb.Primitive("int_hexadecimal", 0xFFFFFFFF)
    assert attr(v(8, 1)).item == pb.Primitive("boolean", True)
    assert attr(f32(3, 1.5)).item == pb.Primitive("float", 1.5)
    assert attr(v(9, 0xFF00FF00)).item == pb.Primitive("color_argb8", 0xFF00FF00)
    assert attr(ld(1, b"")).item == pb.Primitive("null", None)
    # a oneof: the last member on the wire wins, as in the runtime
    assert attr(v(8, 1) + v(6, 3)).item == pb.Primitive("int_decimal", 3)


def test_reference_to_a_theme_attribute() -> None:
    doc = ld(1, ld(3, "x"), ld(4, ld(2, "a"), ld(6, ld(1, v(1, 1), v(2, 0x7F010000), ld(3, "attr/c")))))
    assert pb.parse_xml(doc).attributes[0].item == pb.Reference(0x7F010000, "attr/c", attribute=True)


def test_unknown_fields_and_text_nodes_are_skipped() -> None:
    doc = ld(1, ld(3, "root"), v(99, 7), ld(5, ld(2, "some text")),
             ld(5, ld(1, ld(3, "child")), ld(3, v(1, 4))), f32(98, 0.0)) + ld(3, v(1, 1))
    root = pb.parse_xml(doc)
    assert root.name == "root" and [c.name for c in root.children] == ["child"]


# -- malformed input -------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "problem"), [
    (b"\x0a\x05abc", "past the end"),                     # length beyond the message
    (b"\x0a", "past the end"),                            # length missing
    (b"\x08" + b"\xff" * 11, "longer than 10 bytes"),     # endless varint
    (b"\x08\xff", "past the end"),                        # varint cut short
    (b"\x0b", "wire type 3"),                             # start group
    (b"\x0e", "wire type 6"),
    (b"\x0f", "wire type 7"),
    (b"\x02\x00", "field number 0"),
    (b"\x0d\x00\x00", "fixed32"),
    (b"\x09\x00", "fixed64"),
    (ld(1, ld(3, b"\xff\xfe")), "UTF-8"),
    (b"", "empty XmlNode"),
    (ld(2, "just text"), "no root element"),
])
def test_malformed_xml(data: bytes, problem: str) -> None:
    with pytest.raises(ArtifactError) as caught:
        pb.parse_xml(data)
    assert caught.value.problem.startswith("malformed protocol buffer")
    assert problem in caught.value.problem
    assert caught.value.member is None  # the caller names the member


def test_nesting_is_bounded() -> None:
    node = ld(1, ld(3, "leaf"))
    for _ in range(300):
        node = ld(1, ld(3, "e"), ld(5, node))
    with pytest.raises(ArtifactError, match="nested deeper"):
        pb.parse_xml(node)


def test_malformed_table() -> None:
    with pytest.raises(ArtifactError, match="past the end"):
        pb.ResourceTable(table(True)[:-4])  # into the package, past its trailer
    # a broken entry surfaces when its type is first indexed, not when the table opens
    good = table(True)
    broken = good.replace(ld(2, "alias"), tag(2, 2) + varint(120) + b"alias")
    t = pb.ResourceTable(broken)
    with pytest.raises(ArtifactError, match="past the end"):
        t.entry(0x7F030000)


def test_bundletool_version() -> None:
    assert pb.bundletool_version(ld(1, ld(2, "1.15.6")) + ld(2, ld(1, ""))) == "1.15.6"
    assert pb.bundletool_version(b"") is None
    assert pb.bundletool_version(ld(3, "x")) is None
    with pytest.raises(ArtifactError):
        pb.bundletool_version(b"\x0a\x08\x12\x06")


def test_compiled_schema_is_current(tmp_path: Path) -> None:
    if shutil.which("protoc") is None:
        pytest.skip("protoc not installed (the committed aapt2_subset.pb is used as it is)")
    out = tmp_path / "subset.pb"
    subprocess.run(["protoc", f"--descriptor_set_out={out}", f"--proto_path={SUBSET.parent}",
                    SUBSET.name], check=True)
    assert out.read_bytes() == SUBSET.with_suffix(".pb").read_bytes()
