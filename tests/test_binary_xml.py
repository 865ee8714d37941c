"""Android binary XML: every manifest of the shared AXML corpus, against aapt2's xmltree dump."""

from __future__ import annotations

import re

import pytest

from inspector.errors import ArtifactError
from inspector.formats._manifest import manifest_facts
from inspector.formats.apk import read_binary_xml
from tests.conftest import corpus
from tests.tool_outputs import REFERENCE

AXML_REFERENCE = REFERENCE / "axml"
NAMES = sorted(p.name.removesuffix(".xmltree.txt") for p in AXML_REFERENCE.glob("*.xmltree.txt"))


def _first_element(body: str) -> str:
    return re.search(r"^\s*E: (\S+)", body, re.M).group(1)  # type: ignore[union-attr]


_IDS = {"versionCode": "0x0101021b", "versionName": "0x0101021c"}

#: aapt2 reads these, androguard's string pool reader refuses them: a clear error is the contract.
REFUSED = {"AndroidManifest_StringNotTerminated.xml"}


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
    if name in REFUSED:
        with pytest.raises(ArtifactError) as info:
            read_binary_xml(data)
        assert info.value.member == "AndroidManifest.xml"
        return
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
    facts = manifest_facts(root, None)
    assert facts.package_name == _root_attr(body, "package")
    code = _root_attr(body, "versionCode")
    assert facts.version_code == (int(code) if code is not None else None)
    assert facts.version_name == _root_attr(body, "versionName")


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
