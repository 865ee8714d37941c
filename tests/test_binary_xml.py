"""Android binary XML: every manifest of the shared AXML corpus, against aapt2's xmltree dump."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspector.errors import ArtifactError
from inspector.formats._manifest import manifest_facts
from inspector.formats.apk import read_binary_xml
from inspector.limits import BUDGET, artifact_budget
from tests import hostile
from tests.conftest import corpus
from tests.tool_outputs import REFERENCE

AXML_REFERENCE = REFERENCE / "axml"
NAMES = sorted(p.name.removesuffix(".xmltree.txt") for p in AXML_REFERENCE.glob("*.xmltree.txt"))


def _first_element(body: str) -> str:
    return re.search(r"^\s*E: (\S+)", body, re.M).group(1)  # type: ignore[union-attr]


_IDS = {"versionCode": "0x0101021b", "versionName": "0x0101021c"}


def _root_attr(body: str, name: str) -> str | None:
    # The root element's attributes come right after its "E:" line, before any child "E:".
    # A stripped attribute name shows as "(0x0101021c)=..." alone: match the id then.
    root = body.split("E: ", 2)[1]
    key = rf"(?:\S+:)?{name}(?:\(0x[0-9a-f]+\))?"
    if name in _IDS:
        key = rf"(?:{key}|\({_IDS[name]}\))"
    m = re.search(rf"A: {key}=(\"([^\"]*)\"|(-?\d+))", root)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(3)


@pytest.mark.parametrize("name", NAMES)
def test_axml_corpus(name: str) -> None:
    path = corpus("axml", name)
    recorded = read_recorded_plain(name)
    data = path.read_bytes()
    if recorded[0] != 0:
        # aapt2 refuses it; inspector may be more lenient (as the platform is), but if it
        # refuses, it must be a clear ArtifactError naming the member.
        try:
            root = read_binary_xml(data)
        except ArtifactError as exc:
            assert exc.member == "AndroidManifest.xml"
            return
        assert root.tag
        return
    body = recorded[1]
    root = read_binary_xml(data)
    assert root.tag == _first_element(body)
    if root.tag != "manifest":
        return
    facts = manifest_facts(root, None).fields
    assert facts["package_name"] == _root_attr(body, "package")
    code = _root_attr(body, "versionCode")
    assert facts["version_code"] == (int(code) if code is not None else None)
    assert facts["version_name"] == _root_attr(body, "versionName")


def read_recorded_plain(name: str) -> tuple[int, str]:
    text = (AXML_REFERENCE / f"{name}.xmltree.txt").read_text(encoding="utf-8", errors="replace")
    first, _, body = text.partition("\n")
    return int(first.removeprefix("# exit ")), body


def test_random_bytes_are_not_binary_xml() -> None:
    import os

    for size in (0, 7, 8, 100, 5000):
        with pytest.raises(ArtifactError) as info:
            read_binary_xml(os.urandom(size))
        assert info.value.member == "AndroidManifest.xml"


# Generated and hostile inputs: each ends in one clear ArtifactError or a correct tree, after a
# bounded amount of work (bench/bench_hostile.py times them as APKs).

def test_zeros_after_the_string_pool_are_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.containers import axml

    end = hostile.fixture_manifest()[1]
    zeros = hostile.axml_zeros(1 << 20)
    headers: list[int] = []
    original = axml.chunk_header

    def counted(*args: object) -> tuple[int, int, int]:
        headers.append(1)
        assert len(headers) <= 100, "the reader walks on through the zeros"
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(axml, "chunk_header", counted)
    with pytest.raises(ArtifactError) as info:
        read_binary_xml(zeros)
    assert info.value.member == "AndroidManifest.xml"
    # Refused at the first zero chunk header: the third read (the pool's is read twice).
    assert f"chunk 0x0000 at {end} has header size 0" in info.value.problem
    assert len(headers) == 3


def test_a_large_resource_map_still_reads_the_manifest() -> None:
    data = hostile.fixture_manifest()[0]
    grown = hostile.axml_big_resource_map(3 << 20)
    expected = manifest_facts(read_binary_xml(data), None)
    assert manifest_facts(read_binary_xml(grown), None) == expected


def test_oversized_manifest_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import inspector

    apk = hostile.axml_oversized_apk(tmp_path)
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(apk, digest=False)
    assert info.value.member == "AndroidManifest.xml"
    assert "limit" in info.value.problem


def test_deep_nesting_is_one_clear_error() -> None:
    data = hostile.axml_deep(100_000)
    with artifact_budget() as budget, pytest.raises(ArtifactError) as info:
        read_binary_xml(data)
    assert "elements nest deeper than 256 levels" in info.value.problem
    # Refused at the element past the limit: the 100,000 levels are read no further.
    assert BUDGET["XML elements"] - budget.left("XML elements") == 257


def test_counts_past_their_chunk_are_one_clear_error() -> None:
    import struct

    from tests.android_bytes import document, end_element, start_element, string_pool

    pool = string_pool(["manifest", "package", "a.b"])
    good = document(pool, [], start_element(0, [(0xFFFFFFFF, 1, 2, 3, 2)]) + end_element(0))
    assert read_binary_xml(good).attrs == {"package": "a.b"}
    many_strings = bytearray(good)
    struct.pack_into("<I", many_strings, 8 + 8, 16 << 20)
    attr_count = good.index(struct.pack("<HH", 20, 20)) + 4
    many_attrs = bytearray(good)
    struct.pack_into("<H", many_attrs, attr_count, 0xFFFF)
    # Refused from the counts, before anything they count is read.
    for bad, words in ((bytes(many_strings), "claims 16777216 strings"),
                       (bytes(many_attrs), "65535 attributes of 20 bytes do not fit")):
        with pytest.raises(ArtifactError, match=words) as info:
            read_binary_xml(bad)
        assert info.value.member == "AndroidManifest.xml"


@pytest.mark.parametrize("utf8", [False, True], ids=["utf16", "utf8"])
def test_both_string_encodings_and_long_lengths_match_androguard(utf8: bool) -> None:
    ag = pytest.importorskip("androguard.core.axml")
    pytest.importorskip("loguru").logger.disable("androguard")
    from inspector.containers import axml
    from tests.android_bytes import document, end_element, start_element, string_pool

    # UTF-16 lengths over 0x7fff take two units; UTF-8 lengths over 0x7f take two bytes.
    long = "y" * (20_000 if utf8 else 40_000)
    strings = ["manifest", "package", "a.b", "x" * 200, "é" * 300, long, "label"]
    data = document(string_pool(strings, utf8=utf8), [0, 0, 0, 0, 0, 0, 0x01010001],
                    start_element(0, [(0xFFFFFFFF, 1, 2, 3, 2), (0xFFFFFFFF, 3, 4, 3, 4),
                                      (0xFFFFFFFF, 6, 5, 3, 5)]) + end_element(0))
    parser = ag.AXMLParser(data)
    while next(parser) != ag.START_TAG:
        pass
    theirs = [(str(parser.sb[parser.m_attributes[i * ag.ATTRIBUTE_LENGTH + ag.ATTRIBUTE_IX_NAME]]),
               str(parser.getAttributeValue(i))) for i in range(parser.getAttributeCount())]
    ours = axml.read_xml(data)
    assert [(a.name, a.raw) for a in ours.attributes] == theirs
    assert ours.attributes[2].resource_id == 0x01010001


def test_many_indexes_naming_one_long_string_are_one_clear_error() -> None:
    # 10 000 decodes of 400 KB: 4 GB of text without a bound
    data = hostile.axml_overlapping_strings(10_000)
    with pytest.raises(ArtifactError, match="decodes to far more text than it holds") as info:
        read_binary_xml(data)
    assert info.value.member == "AndroidManifest.xml"
