"""Differential test: our binary XML and resource table readers against androguard's, file by file.

Every fixture APK, corpus APK and corpus AXML file is decoded by both; the element trees (names,
namespaces, attribute names, resource ids, types, data and strings) and the resolved label, icon
and debuggable values must be the same. Where androguard refuses a file, aapt2's recorded dump
(tests/reference/) is the reference instead. androguard is a test-only dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inspector.containers import axml
from inspector.containers.arsc import ResourceTable
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from tests.conftest import CORPUS, FIXTURES
from tests.tool_outputs import REFERENCE

ag = pytest.importorskip("androguard.core.axml")
pytest.importorskip("loguru").logger.disable("androguard")

_LABEL, _ICON, _DEBUGGABLE = 0x01010001, 0x01010002, 0x0101000F
#: Types whose text androguard computes with rounded radix constants (complexToFloat); for these
#: the raw type and data are compared, which is what both readers decode.
_ROUNDED = {axml.T_FLOAT, 0x05, 0x06}


def _apks() -> list[Path]:
    found = sorted((FIXTURES / "apk").glob("*.apk"))
    found += sorted(CORPUS.glob("android/*.apk")) + sorted(CORPUS.glob("axml/*.apk"))
    return found


def _axml_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("axml/*") if p.suffix != ".apk")


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@dataclass
class Node:
    namespace: str
    name: str
    attrs: list[tuple[Any, ...]]
    children: list[Node] = field(default_factory=list)


def _ours(root: axml.XmlElement) -> Node:
    attrs = []
    for a in root.attributes:
        text = (a.raw if a.raw is not None else "") if a.type == axml.T_STRING else None
        shown = None if a.type in _ROUNDED or a.type == axml.T_STRING else axml.format_value(a.type, a.data)
        attrs.append((a.namespace or "", a.name or "", a.resource_id, a.type, a.data, text, shown))
    return Node(root.namespace or "", root.name or "", attrs, [_ours(c) for c in root.children])


def _theirs(data: bytes) -> Node | None:
    """androguard's tree, built from its pull parser's events; None if it refuses the file."""
    try:
        parser = ag.AXMLParser(data)
        if not parser.is_valid():
            return None
        root: Node | None = None
        stack: list[Node] = []
        while True:
            event = next(parser)
            if event == ag.START_TAG:
                attrs = []
                for i in range(parser.getAttributeCount()):
                    off = i * ag.ATTRIBUTE_LENGTH
                    name_ix = parser.m_attributes[off + ag.ATTRIBUTE_IX_NAME]
                    ids = parser.m_resourceIDs
                    vtype = parser.getAttributeValueType(i)
                    vdata = parser.getAttributeValueData(i)
                    text = str(parser.getAttributeValue(i)) if vtype == axml.T_STRING else None
                    shown = None if vtype in _ROUNDED or vtype == axml.T_STRING else ag.format_value(
                        vtype, vdata)
                    attrs.append((str(parser.getAttributeNamespace(i)), str(parser.sb[name_ix]),
                                  ids[name_ix] if name_ix < len(ids) else None, vtype, vdata, text, shown))
                node = Node(str(parser.namespace), str(parser.name), attrs)
                if stack:
                    stack[-1].children.append(node)
                elif root is None:
                    root = node
                stack.append(node)
            elif event == ag.END_TAG:
                if stack:
                    stack.pop()
            elif event == ag.END_DOCUMENT or not parser.is_valid():
                break
        return root
    except ag.ResParserError:
        return None


def _compare_trees(data: bytes, what: str) -> axml.XmlElement:
    theirs = _theirs(data)
    assert theirs is not None, f"androguard refuses {what}; use the aapt2 reference"
    ours = axml.read_xml(data)
    assert _ours(ours) == theirs
    return ours


def _aapt2_tree(text: str) -> list[tuple[str, list[str]]]:
    """``(element name, [attribute values])`` in document order, from ``aapt2 dump xmltree``."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = re.match(r"^ *E: (\S*) \(line=\d+\)$", line)
        if m:
            out.append((m.group(1), []))
            continue
        m = re.match(r"^ *A: .*?=(\"(?:[^\"]*)\"|@0x[0-9a-f]+|-?\d+|true|false)(?: \(Raw: .*\))?$", line)
        if m and out:
            out[-1][1].append(m.group(1).strip('"'))
    return out


def _flatten(root: axml.XmlElement) -> list[tuple[str, list[str]]]:
    values = []
    for a in root.attributes:
        if a.type == axml.T_STRING:
            values.append(a.raw if a.raw is not None else a.string or "")
        elif a.type == axml.T_REFERENCE:
            values.append(f"@0x{a.data:08x}")
        elif a.type == axml.T_INT_BOOLEAN:
            values.append("false" if a.data == 0 else "true")
        elif a.type == axml.T_INT_DEC:
            values.append(axml.format_value(a.type, a.data))
    out = [(root.name or "", values)]
    for child in root.children:
        out += _flatten(child)
    return out


@pytest.mark.parametrize("path", _axml_files(), ids=_id)
def test_axml_corpus_tree_matches_androguard_or_aapt2(path: Path) -> None:
    data = path.read_bytes()
    reference = REFERENCE / "axml" / f"{path.name}.xmltree.txt"
    recorded = reference.read_text(encoding="utf-8", errors="replace").split("\n")
    aapt2_reads = recorded[0] == "# exit 0"
    if _theirs(data) is not None:
        try:
            _compare_trees(data, path.name)
        except ArtifactError:
            # Refusing is allowed only where aapt2 refuses too (androguard is more lenient there).
            assert not aapt2_reads
        return
    if not aapt2_reads:
        # Both refuse it: aapt2 reads binary XML with the platform's own parser (ResXMLTree), so
        # a file it refuses is refused here too, with one clear error (today one corpus file,
        # whose total size is past its data, as aapt2's "Bad XML block" says).
        with pytest.raises(ArtifactError) as err:
            axml.read_xml(data)
        assert err.value.member == "AndroidManifest.xml"
        return
    # androguard refuses it: aapt2's dump is the reference, element by element in document order.
    expected = _aapt2_tree("\n".join(recorded[1:]))
    ours = _flatten(axml.read_xml(data))
    assert [n for n, _ in ours] == [n for n, _ in expected]
    for (_, got), (name, want) in zip(ours, expected, strict=True):
        # aapt2 prints "" for a string Android cannot read (missing terminator): we read None.
        assert [v for v in got if v] == [v for v in want if v], name


def _manifest_refs(root: axml.XmlElement) -> dict[int, int]:
    app = next((c for c in root.children if c.name == "application"), None)
    if app is None:
        return {}
    return {a.resource_id: a.data for a in app.attributes
            if a.resource_id in (_LABEL, _ICON, _DEBUGGABLE) and a.type == axml.T_REFERENCE and a.data}


def _locale(config: Any) -> str | None:
    lang_region = config.get_language_and_region()
    if not lang_region or lang_region == "\x00\x00":
        return None
    language, _, region = lang_region.partition("-r")
    script = bytes(getattr(config, "localeScript", b"") or b"").rstrip(b"\0").decode("ascii", "replace")
    return "-".join(part for part in (language, script, region) if part)


@pytest.mark.parametrize("path", _apks(), ids=_id)
def test_apk_manifest_and_resources_match_androguard(path: Path) -> None:
    try:
        with ZipArchive(path) as z:
            manifest = z.read("AndroidManifest.xml")
            table = z.read("resources.arsc") if "resources.arsc" in z else None
    except ArtifactError as exc:
        pytest.skip(f"no readable manifest ({exc}); test_apk checks the error")
    if _theirs(manifest) is None:
        pytest.skip("androguard refuses it")
    root = _compare_trees(manifest, _id(path))
    refs = _manifest_refs(root)
    if table is None or not refs:
        return
    ours = ResourceTable(table)
    theirs = ag.ARSCParser(table)
    for attr, res_id in refs.items():
        want = [(c, v) for c, v in theirs.get_resolved_res_configs(res_id) if isinstance(v, str)]
        got = [(c, v) for c, v in ours.resolve(res_id) if isinstance(v, str)]
        if attr == _ICON:
            assert [(c.qualifier(), v) for c, v in got] == [(c.get_qualifier(), v) for c, v in want]
        elif attr == _LABEL:
            assert [(c.locale, v) for c, v in got] == [(_locale(c), v) for c, v in want]
        else:
            assert [v for _, v in got] == [v for _, v in want]
        assert [c.is_default for c, _ in got] == [c.is_default() for c, _ in want]
        names = {theirs.get_id(p, res_id) for p in theirs.get_packages_names()} - {(None, None, None)}
        assert ours.name(res_id) in {f"@{t}/{n}" for t, n, _ in names} | ({None} if not names else set())
