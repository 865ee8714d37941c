"""The Format enum and its descriptors (inspector/format.py): one descriptor per format, and the
package agrees with them. Detection answers members, inspect runs the descriptor's parser and
returns its record class, the text report, the summary and the upload request read the same facts,
the JSON form is the committed goldens' strings, and no module outside inspector/format.py spells a
format as a bare string."""

from __future__ import annotations

import ast
import json
import typing
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import inspector
from inspector.checks import RULES
from inspector.checks._rule import ALL_FORMATS
from inspector.detect import detect
from inspector.errors import UsageError
from inspector.format import EMBEDDED_PROFILE, FORMAT_INFO, Format, by_extension, format_of
from inspector.records.base import jsonable
from inspector.records.load import record_from_json
from inspector.report import render_text
from inspector.summary import summarize
from inspector.upload.request import (
    BUILD_EXTENSIONS,
    BUILD_PLATFORMS,
    Secret,
    Target,
    UploadFields,
    build_request,
)
from tests.conftest import FIXTURES, ROOT

GOLDEN = ROOT / "tests" / "golden"
# The fixtures tests/test_golden_json.py pins, one per format (tests/golden/<value>.json), each
# built by its folder's committed make.sh as a file of that format.
CASES = {
    Format.APK: "apk/signed-v1v2v3.apk",
    Format.AAB: "aab/bundle-signed.aab",
    Format.IPA: "ios/adhoc.ipa",
    Format.PROFILE: "macos/mac-development.provisionprofile",
    Format.PKG: "pkg/signed.pkg",
}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _golden(fmt: Format) -> dict[str, Any]:
    doc = json.loads((GOLDEN / f"{fmt.value}.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = doc["results"][0]
    return result


def test_every_format_has_one_descriptor() -> None:
    assert list(FORMAT_INFO) == list(Format) and len(Format) == 5
    for fmt in Format:
        assert fmt.info is FORMAT_INFO[fmt] and fmt.info.format is fmt
    with pytest.raises(TypeError):
        FORMAT_INFO[Format.APK] = FORMAT_INFO[Format.AAB]  # type: ignore[index]
    assert inspector.Format is Format


def test_the_json_and_text_form_is_the_goldens_string() -> None:
    # The goldens were written with bare strings before the enum: its value must be theirs.
    assert {p.stem for p in GOLDEN.glob("*.json")} == {f.value for f in Format}
    for fmt in Format:
        written = _golden(fmt)["format"]
        assert written == fmt.value and Format(written) is fmt
        assert str(fmt) == f"{fmt}" == written
        assert json.dumps({"format": fmt}) == json.dumps({"format": written})
        assert type(jsonable(fmt)) is str and jsonable(fmt) == written


@pytest.mark.parametrize("fmt", list(CASES))
def test_detect_answers_a_member(fmt: Format) -> None:
    kind, archive = detect(FIXTURES / CASES[fmt])
    if archive is not None:
        archive.close()
    assert type(kind) is Format and kind is fmt


@pytest.mark.parametrize("fmt", list(CASES))
def test_inspect_runs_the_descriptors_parser_and_returns_its_record(
        fmt: Format, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    calls: list[tuple[str, Path]] = []
    for other in Format:
        module = importlib.import_module(other.info.parser)
        assert module.parse.__module__ == other.info.parser  # its own parse, not one re-exported

        def spy(source: Any, _parse: Any = module.parse, _name: str = other.info.parser) -> Any:
            calls.append((_name, source.path))
            return _parse(source)

        monkeypatch.setattr(module, "parse", spy)
    path = FIXTURES / CASES[fmt]
    record = inspector.inspect(path, digest=False, verify=False)
    assert calls == [(fmt.info.parser, path)]
    cls = type(record)
    assert f"{cls.__module__}.{cls.__qualname__}" == fmt.info.record
    assert record.format is fmt
    # The record's hint admits the format (and an embedded profile's kind for a profile).
    allowed = set(typing.get_args(typing.get_type_hints(cls)["format"]))
    assert fmt in allowed
    assert (EMBEDDED_PROFILE in allowed) is (fmt is Format.PROFILE)


@pytest.mark.parametrize("fmt", list(CASES))
def test_the_text_report_is_the_descriptors(fmt: Format, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    record = inspector.inspect(FIXTURES / CASES[fmt], digest=False, verify=False)
    first = render_text(record, NOW).splitlines()[0]
    assert first == f"{Path(CASES[fmt]).name}  ({fmt.info.human_name})"
    module = importlib.import_module(fmt.info.text_report)
    rendered: list[object] = []
    real = module.render

    def spy(rec: Any, now: Any, *, verbose: bool = False) -> Any:
        rendered.append(rec)
        return real(rec, now, verbose=verbose)

    monkeypatch.setattr(module, "render", spy)
    render_text(record, NOW)
    assert rendered == [record]


@pytest.mark.parametrize("fmt", list(CASES))
def test_platforms_are_the_goldens(fmt: Format) -> None:
    golden = _golden(fmt)
    assert golden["summary"]["build_platform"] == fmt.info.build_platform
    # The service's own name for the build's platform; a profile is no build (no applivery block).
    assert (golden["applivery"] or {}).get("os") == fmt.info.build_platform
    if fmt is not Format.PROFILE:  # this one is a macOS profile: its Platform key says so
        assert golden["summary"]["platform"] == fmt.info.platform
    record = inspector.inspect(FIXTURES / CASES[fmt], digest=False, verify=False)
    summary = summarize(record)
    assert summary.format is fmt and summary.build_platform == fmt.info.build_platform


def test_extensions_agree_with_the_upload_contract() -> None:
    for fmt in Format:
        info = fmt.info
        assert info.extensions and all(e == e.lower() and "." not in e for e in info.extensions)
        for ext in info.extensions:
            assert by_extension(f"Build.{ext.upper()}") is fmt
        if info.build_platform is None:
            assert not set(info.extensions) & set(BUILD_EXTENSIONS)
            assert not info.automatic
        else:
            assert set(info.extensions) <= set(BUILD_EXTENSIONS)
            assert info.build_platform in BUILD_PLATFORMS
    for fmt, rel in CASES.items():
        assert by_extension(rel) is fmt  # the fixtures are named as their tools name them
    assert by_extension("game.dmg") is None and by_extension("apk") is None


def test_upload_follows_the_descriptor(tmp_path: Path) -> None:
    target = Target(Secret("t" * 24))
    profile = inspector.inspect(FIXTURES / CASES[Format.PROFILE], digest=False, verify=False)
    with pytest.raises(UsageError, match=r"x\.ipa: a provisioning profile is not a build"):
        build_request(tmp_path / "x.ipa", UploadFields(), target, summarize(profile))
    for fmt in Format:
        if fmt.info.build_platform is None:
            continue
        name = tmp_path / f"b.{fmt.info.extensions[0]}"
        if fmt.info.automatic:
            # The service reads the build itself: nothing the user did not set is sent for it.
            request = build_request(name, UploadFields(), target)
            assert "buildPlatform" not in request.field_names()
        else:
            with pytest.raises(UsageError, match=rf"b\.{fmt.value}: a {fmt.value} build is uploaded "
                                                 "as a custom build platform"):
                build_request(name, UploadFields(), target)


def test_saved_records_load_with_members() -> None:
    for fmt in Format:
        record = record_from_json(_golden(fmt))
        assert record.format is fmt
    ipa = _golden(Format.IPA)
    embedded = record_from_json(ipa).app.mobileprovision
    assert embedded.format == EMBEDDED_PROFILE and type(embedded.format) is str
    # A kind the hint does not admit is named with the values it does, as plain strings.
    ipa["app"]["mobileprovision"]["format"] = "embedded"
    with pytest.raises(ValueError, match=r"'embedded' is not one of \('profile', 'embedded-profile'\)"):
        record_from_json(ipa)


def test_an_embedded_profile_is_no_format() -> None:
    with pytest.raises(ValueError):
        Format(EMBEDDED_PROFILE)
    assert format_of(EMBEDDED_PROFILE) is Format.PROFILE and format_of(Format.APK) is Format.APK
    assert by_extension("embedded.mobileprovision") is Format.PROFILE  # its bytes are a profile's


def test_rules_name_formats_by_member() -> None:
    assert frozenset(Format) == ALL_FORMATS
    assert RULES and all(type(f) is Format for r in RULES for f in r.formats)


# ------------------------------------------------------------------ no bare format strings
_FORMAT_STRINGS = frozenset({*(f.value for f in Format), EMBEDDED_PROFILE})
#: (module, string) -> how many times it may occur, and why that string is not a format there.
_ALLOWED: dict[tuple[str, str], tuple[int, str]] = {
    **{("inspector/upload/request.py", ext): (1, "BUILD_EXTENSIONS: the service's accepted file "
                                                 "extensions, in the contract's order")
       for ext in ("ipa", "apk", "aab", "pkg")},
    ("inspector/upload/response.py", "pkg"): (1, "the service's JSON key info.pkg"),
    ("inspector/report/applivery.py", "pkg"): (1, "the service's JSON key info.pkg"),
    ("inspector/summary.py", "profile"): (4, "Expiry kind 'profile' and a standalone profile's "
                                             "owner name"),
    ("inspector/checks/apple.py", "profile"): (1, "a standalone profile's owner name"),
    ("inspector/diff.py", "profile"): (1, "the label of a diff line"),
    ("inspector/verify/profile.py", "profile"): (1, "the verification scheme name"),
    ("inspector/verify/bundles.py", "profile"): (1, "the verification scheme name"),
}


def _bare_strings(tree: ast.AST) -> Counter[str]:
    return Counter(node.value for node in ast.walk(tree)
                   if isinstance(node, ast.Constant) and node.value in _FORMAT_STRINGS)


def test_the_scan_sees_a_bare_format_string() -> None:
    planted = ast.parse('ok = record.format == "ipa" or kind in ("apk", Format.AAB)\n'
                        'x: Literal["embedded-profile"]\ndoc = "an apk"\n')
    assert _bare_strings(planted) == Counter({"ipa": 1, "apk": 1, "embedded-profile": 1})


def test_no_bare_format_strings_outside_the_format_module() -> None:
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted((ROOT / "inspector").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "inspector/format.py":
            continue
        for text, count in _bare_strings(ast.parse(path.read_text(encoding="utf-8"))).items():
            found[rel, text] += count
    assert dict(found) == {key: count for key, (count, _) in _ALLOWED.items()}
