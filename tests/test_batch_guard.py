"""Batches: several files serialised into one document (``inspect --json``, ``check --format
json|junit|github|text``). One file's result that cannot be serialised (a bug: here, a value JSON
cannot hold, as an integer of thousands of digits from an unbounded parse would be) is that file's
error result; the other files keep theirs, and the document still parses.

The failure is injected (a wrapped serialiser adds the value to one file's result): the readers are
being bounded one by one, and the guard must hold for the next bug, whatever input causes it.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import FIXTURES, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
IPA = FIXTURES / "ios" / "adhoc.ipa"
HUGE = 10 ** 5000  # str() of it raises ValueError (Python's 4300-digit limit)


def test_inspect_json_one_unserialisable_result(monkeypatch) -> None:
    import inspector.cli.inspect as inspect_cmd

    real = inspect_cmd.to_json

    def poisoned(record: Any, now: Any = None) -> dict[str, Any]:
        data = real(record, now)
        if record.format == "apk":
            data["poison"] = HUGE
        return data

    monkeypatch.setattr(inspect_cmd, "to_json", poisoned)
    r = run_cli("inspect", "--json", "--no-hash", str(APK), str(IPA))
    assert r.code == 70, r.err  # a bug is exit 70, for that file only
    apk, ipa = json.loads(r.out)["results"]
    assert apk["file"] == {"path": str(APK)}
    assert apk["error"]["kind"] == "InternalError" and apk["error"]["exit_code"] == 70
    assert "ValueError" in apk["error"]["message"]
    assert ipa["format"] == "ipa" and ipa["summary"]["identifier"] == "com.fixture.app"
    # Without the poison the same batch is two records, exit 0.
    monkeypatch.setattr(inspect_cmd, "to_json", real)
    r = run_cli("inspect", "--json", "--no-hash", str(APK), str(IPA))
    assert r.code == 0 and [x["format"] for x in json.loads(r.out)["results"]] == ["apk", "ipa"]


class _Unwritable:
    """A value no writer can format (str(), format(), JSON all fail), as a bug could leave behind."""

    def __str__(self) -> str:
        raise ValueError("a value that cannot be written")

    __format__ = lambda self, spec: str(self)  # noqa: E731


@pytest.mark.parametrize("fmt", ["json", "junit", "github", "text"])
def test_check_one_unwritable_verdict(monkeypatch, fmt: str) -> None:
    import dataclasses

    import inspector.cli.check as check_cmd
    from inspector.checks import Finding

    real = check_cmd.evaluate

    def poisoned(record: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(record, *args, **kwargs)
        if record.format != "apk":
            return result
        bad = Finding(result.rules[0].code, "info", "x", _Unwritable())  # type: ignore[arg-type]
        return dataclasses.replace(result, findings=(*result.findings, bad))

    monkeypatch.setattr(check_cmd, "evaluate", poisoned)
    r = run_cli("check", "--format", fmt, "--now", "2026-01-01", str(APK), str(IPA))
    assert r.code == 70, (r.out, r.err)
    if fmt == "json":
        doc = json.loads(r.out)
        apk, ipa = doc["results"]
        assert apk["error"]["kind"] == "InternalError" and apk["error"]["exit_code"] == 70
        assert ipa["file"]["path"] == str(IPA) and "findings" in ipa
        assert doc["passed"] is False
    elif fmt == "junit":
        root = ET.fromstring(r.out)
        suites = list(root.iter("testsuite"))
        assert [suite.get("name") for suite in suites] == [str(APK), str(IPA)]
        assert suites[0].get("errors") == "1" and int(suites[1].get("tests") or 0) > 1
    elif fmt == "github":
        lines = r.out.splitlines()
        assert lines[0].startswith(f"::error file={APK},title=unreadable::") and "internal error" in lines[0]
    else:
        lines = r.out.splitlines()
        assert lines[0].startswith(f"{APK}: UNREADABLE: ") and "internal error" in lines[0]
        assert any(line.startswith(str(IPA)) for line in lines)
