"""Golden JSON, one per format: the whole ``inspect --json`` document of a fixture, so that a renamed,
dropped or retyped field cannot slip through. The values themselves are checked against the
independent tools by each format's own tests; these files pin the shape (docs/json-schema.md).

After an intended schema change: ``INSPECTOR_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_json.py``,
then read the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import FIXTURES, ROOT, run_cli

GOLDEN = ROOT / "tests" / "golden"
NOW = "2026-06-01T00:00:00Z"
CASES = {
    "apk": "apk/signed-v1v2v3.apk",
    "aab": "aab/bundle-signed.aab",
    "ipa": "ios/adhoc.ipa",
    "profile": "macos/mac-development.provisionprofile",
    "pkg": "pkg/signed.pkg",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_golden_json(kind: str) -> None:
    rel = f"fixtures/{CASES[kind]}"
    result = run_cli("inspect", "--json", "--now", NOW, str(FIXTURES / CASES[kind]))
    assert result.code == 0, result.err
    doc = result.json
    doc["results"][0]["file"]["path"] = rel
    golden = GOLDEN / f"{kind}.json"
    if os.environ.get("INSPECTOR_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert doc == expected
