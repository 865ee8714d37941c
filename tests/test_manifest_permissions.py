"""The permission and OpenGL ES facts an earlier reader dropped, against aapt2's badging: each
permission's ``maxSdkVersion``, ``uses-permission-sdk-23``, and the required ``glEsVersion``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import inspector
from inspector.records.android import AndroidApp
from tests.conftest import FIXTURES
from tests.test_apk import APK_REFERENCE, READABLE, _apk_for
from tests.tool_outputs import read_recorded

_KV = re.compile(r"(\w[\w-]*)='([^']*)'")
DIFF_REFERENCE = APK_REFERENCE.parent / "diff"


def badging_permissions(text: str) -> tuple[list[tuple[str, int | None, bool]], str | None]:
    """``(name, maxSdkVersion, sdk-23)`` per permission line, first of each name; uses-gl-es."""
    out: dict[str, tuple[str, int | None, bool]] = {}
    gl = None
    # aapt2 also prints the permissions it implies (READ_ for WRITE_EXTERNAL_STORAGE) as
    # uses-permission lines, each with a uses-implied-permission line: not the manifest's own.
    implied = {dict(_KV.findall(line))["name"] for line in text.split("\n")
               if line.startswith("uses-implied-permission:")}
    for line in text.split("\n"):
        tag = line.split(":", 1)[0]
        if tag in ("uses-permission", "uses-permission-sdk-23"):
            kv = dict(_KV.findall(line))
            if kv["name"] in implied:
                continue
            max_sdk = int(kv["maxSdkVersion"]) if "maxSdkVersion" in kv else None
            out.setdefault(kv["name"], (kv["name"], max_sdk, tag != "uses-permission"))
        elif line.strip().startswith("uses-gl-es:"):
            gl = line.split("'")[1]
    return list(out.values()), gl


def _cases() -> list[tuple[Path, str]]:
    """(reference, APK) pairs; a corpus APK is named, and found (or the test skipped) when the
    test runs, never while tests are collected: a clone without ../shared collects them too."""
    cases = [(APK_REFERENCE / f"{n}.badging.txt", n) for n in READABLE]
    cases += [(p, str(FIXTURES / "diff" / read_recorded(p).command.split()[-1]))
              for p in sorted(DIFF_REFERENCE.glob("*.badging.txt"))]
    return cases


@pytest.mark.parametrize(("reference", "name"), _cases(), ids=lambda p: Path(p).name)
def test_permissions_and_gl_es_match_aapt2_badging(reference: Path, name: str) -> None:
    apk = Path(name) if "/" in name else _apk_for(name)  # _apk_for skips when the corpus is absent
    expected, gl = badging_permissions(read_recorded(reference).body)
    app = inspector.inspect(apk, digest=False, verify=False)
    assert isinstance(app, AndroidApp)
    got = [(p.name, p.max_sdk, p.sdk_23) for p in app.uses_permissions]
    # aapt2 lists <uses-permission> lines before the -sdk-23 ones, as the names in ``permissions``.
    assert sorted(got) == sorted(expected)
    assert [p.name for p in app.uses_permissions] == list(app.permissions)
    if gl is None:
        assert app.gl_es_version is None
    else:
        number = int(gl, 16)
        assert app.gl_es_version == f"{number >> 16}.{number & 0xFFFF}"


def test_the_cases_include_max_sdk_sdk_23_and_gl_es() -> None:
    seen = {"max_sdk": 0, "sdk_23": 0, "gl_es": 0}
    for reference, _ in _cases():
        perms, gl = badging_permissions(read_recorded(reference).body)
        seen["max_sdk"] += any(p[1] is not None for p in perms)
        seen["sdk_23"] += any(p[2] for p in perms)
        seen["gl_es"] += gl is not None
    assert seen["max_sdk"] >= 5 and seen["gl_es"] >= 5
    # The sdk-23 cases are the diff fixtures' new manifest (fixtures/diff/make.sh).
    assert seen["sdk_23"] >= 5
