"""``inspector diff`` and ``check --baseline`` on the real pairs of fixtures/diff/make.sh.

The expected values come from the tools' recorded outputs (tests/reference/diff/make.sh): zipinfo
for every member's compressed and uncompressed size, aapt2 badging for versions, SDK levels,
permissions and OpenGL ES, apksigner for the certificates and the lineage's capabilities; and from
how make.sh built each pair (which permission, activity, extension or entitlement it added).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

import inspector
from inspector.checks import Expectations, check
from inspector.diff import Change, Diff, diff, diff_files, effectively_exported, rotation
from inspector.formats._contents import category
from inspector.records.base import jsonable
from inspector.records.load import load_record
from inspector.records.verification import Verification
from inspector.report.diff import (
    render_diff_github,
    render_diff_json,
    render_diff_markdown,
    render_diff_text,
)
from tests.conftest import FIXTURES, run_cli
from tests.tool_outputs import REFERENCE, parse_badging, read_recorded

PAIRS = FIXTURES / "diff"
REF = REFERENCE / "diff"
APKS = ("old", "bump", "rotated", "rotated-no-data", "other-key", "grown")
_ZIPINFO = re.compile(r"^[-dl][-rwxsStT]+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(.+)$")


def _zipinfo(name: str) -> dict[str, tuple[int, int]]:
    """``member -> (compressed, uncompressed)`` as zipinfo -l printed them."""
    rec = read_recorded(REF / f"{name}.zipinfo.txt")
    assert rec.exit == 0
    out = {}
    for line in rec.body.split("\n"):
        m = _ZIPINFO.match(line)
        if m:
            out[m.group(3)] = (int(m.group(2)), int(m.group(1)))
    entries = int(re.search(r"number of entries: (\d+)", rec.body).group(1))  # type: ignore[union-attr]
    assert len(out) == entries, f"{name}: parsed {len(out)} of {entries} zipinfo lines"
    return out


def _record(name: str) -> object:
    for kind in ("ipa", "aab"):
        if name.endswith(f"-{kind}"):
            return inspector.inspect(PAIRS / f"{name.removesuffix(f'-{kind}')}.{kind}", digest=False)
    return inspector.inspect(PAIRS / f"{name}.apk", digest=False)


@pytest.fixture(scope="module")
def records() -> dict[str, object]:
    return {n: _record(n) for n in (*APKS, "new-aab", "old-ipa", "new-ipa")}


def _lineage_capabilities(name: str) -> dict[str, bool]:
    """``certificate SHA-256 -> installed-data capability`` from apksigner lineage -v."""
    body = read_recorded(REF / f"{name}.lineage.txt").body
    out, current = {}, None
    for line in body.split("\n"):
        m = re.match(r"Signer #\d+ in lineage certificate SHA-256 digest: (\w+)", line)
        if m:
            current = m.group(1)
        elif line.startswith("Has installed data capability:") and current:
            out[current] = line.split(":")[1].strip() == "true"
    return out


def _signer_sha256(name: str) -> set[str]:
    body = read_recorded(REF / f"{name}.certs.txt").body
    return set(re.findall(r"Signer #\d+ certificate SHA-256 digest: (\w+)", body))


# ---------------------------------------------------------------- sizes against zipinfo
def test_contents_match_zipinfo_member_by_member(records: dict[str, object]) -> None:
    compared = 0
    for name, record in records.items():
        members = _zipinfo(name)
        contents = record.contents  # type: ignore[attr-defined]
        fmt = record.format  # type: ignore[attr-defined]
        assert contents.members == len(members)
        assert contents.compressed == sum(c for c, _ in members.values())
        assert contents.uncompressed == sum(u for _, u in members.values())
        executables = frozenset(b.path + b.CFBundleExecutable for b in record.bundles  # type: ignore[attr-defined]
                                if b.CFBundleExecutable) if fmt == "ipa" else frozenset()
        expected: dict[str, list[int]] = {}
        for member, (packed, size) in members.items():
            slot = expected.setdefault(category(member, fmt, executables), [0, 0, 0])
            slot[0] += 1
            slot[1] += packed
            slot[2] += size
        assert {c.name: [c.members, c.compressed, c.uncompressed]
                for c in contents.categories} == expected
        files = sorted(((u, m) for m, (_, u) in members.items() if not m.endswith("/")),
                       key=lambda x: (-x[0], x[1]))
        assert [m.name for m in contents.largest] == [m for _, m in files[:len(contents.largest)]]
        for m in contents.largest:
            assert (m.compressed, m.uncompressed) == members[m.name]
            compared += 1
        compared += len(members)
    assert compared >= 150


def test_the_categories_are_what_make_sh_put_where(records: dict[str, object]) -> None:
    grown = {c.name: c for c in records["grown"].contents.categories}  # type: ignore[attr-defined]
    # make.sh stores a 64-byte ELF stand-in plus 262144 padding bytes, uncompressed (zip -0).
    assert grown["native/arm64-v8a"].uncompressed == 64 + 262144
    assert grown["native/arm64-v8a"].compressed == 64 + 262144
    ipa = {c.name for c in records["new-ipa"].contents.categories}  # type: ignore[attr-defined]
    assert {"code", "resources"} <= ipa


# ---------------------------------------------------------------- the pairs' findings
def _findings(old: object, new: object, **exp: object) -> dict[str, list[object]]:
    expectations = Expectations(baseline="old", baseline_record=old, **exp)  # type: ignore[arg-type]
    result = check(new, expectations, inspector_now())
    out: dict[str, list[object]] = {}
    for f in result.findings:
        if f.code.startswith("BAS"):
            out.setdefault(f.code, []).append(f)
    return out


def inspector_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 12, 1, tzinfo=UTC)


def test_version_bump_with_new_permissions(records: dict[str, object]) -> None:
    old, new = records["old"], records["bump"]
    b_old = parse_badging(read_recorded(REF / "old.badging.txt").body)
    b_new = parse_badging(read_recorded(REF / "bump.badging.txt").body)
    d = diff(old, new)
    assert d.problems == ()
    assert d.build_increased is True
    assert d.version is not None
    assert {(c.field, c.old, c.new) for c in d.version.changes} == {
        ("version", b_old.package["versionName"], b_new.package["versionName"]),
        ("build", b_old.package["versionCode"], b_new.package["versionCode"])}
    assert d.platform is not None
    assert ("minSdkVersion", b_old.sdk, b_new.sdk) in {(c.field, c.old, c.new)
                                                       for c in d.platform.changes}
    assert d.permissions is not None
    added = d.permissions.listed("permissions")
    assert added is not None
    # badging's own lines: RECORD_AUDIO (uses-permission), READ_CONTACTS (uses-permission-sdk-23)
    new_names = set(b_new.permissions) - set(b_old.permissions) - b_new.implied_permissions
    assert {a.split(" ")[0] for a in added.added} == new_names | {"android.permission.READ_CONTACTS"}
    assert "android.permission.READ_CONTACTS (uses-permission-sdk-23)" in added.added
    changes = {c.field: (c.old, c.new) for c in d.permissions.changes}
    assert changes["permission android.permission.WRITE_EXTERNAL_STORAGE"] == (
        "android.permission.WRITE_EXTERNAL_STORAGE (maxSdkVersion 28)",
        "android.permission.WRITE_EXTERNAL_STORAGE (maxSdkVersion 29)")
    assert changes["OpenGL ES"] == ("2.0", "3.1")  # badging: uses-gl-es '0x20000', '0x30001'
    assert d.exposure is not None
    assert d.exposure.listed("exported components").added == (  # type: ignore[union-attr]
        "activity com.applivery.inspector.diff.Open",)
    assert d.exposure.listed("deep links").added == ("fixture://open",)  # type: ignore[union-attr]
    assert d.icon is not None  # make.sh drew the xxxhdpi icon in another colour
    found = _findings(old, new)
    assert sorted(f.actual for f in found["BAS004"]) == [  # type: ignore[attr-defined]
        "android.permission.READ_CONTACTS (uses-permission-sdk-23)",
        "android.permission.RECORD_AUDIO"]
    assert [(f.expected, f.actual) for f in found["BAS005"]] == [("21", "23")]  # type: ignore[attr-defined]
    assert sorted(f.actual for f in found["BAS007"]) == [  # type: ignore[attr-defined]
        "activity com.applivery.inspector.diff.Open", "fixture://open"]
    assert "BAS001" not in found and "BAS002" not in found and "BAS003" not in found
    assert [f.severity for f in found["BAS006"]] == ["info"]  # type: ignore[attr-defined]


def test_a_different_key_without_a_lineage_breaks_updates(records: dict[str, object]) -> None:
    old, new = records["old"], records["other-key"]
    assert _signer_sha256("old") != _signer_sha256("other-key")  # apksigner's view
    rot = rotation(old, new)
    assert not rot.same and not rot.proven
    assert {rot.old_certificate} == _signer_sha256("old")
    assert {rot.new_certificate} == _signer_sha256("other-key")
    assert "no v3 lineage" in rot.reason
    found = _findings(old, new)
    assert [f.severity for f in found["BAS002"]] == ["error"]  # type: ignore[attr-defined]


def test_a_rotation_without_installed_data_breaks_updates(records: dict[str, object]) -> None:
    caps = _lineage_capabilities("rotated-no-data")
    old_cert = next(iter(_signer_sha256("old")))
    assert caps[old_cert] is False  # apksigner lineage: "Has installed data capability: false"
    rot = rotation(records["old"], records["rotated-no-data"])
    assert not rot.proven and "installed-data" in rot.reason
    assert [f.severity for f in _findings(records["old"], records["rotated-no-data"])["BAS002"]] == [
        "error"]  # type: ignore[attr-defined]


def test_a_rotation_counts_only_when_its_lineage_verified(records: dict[str, object]) -> None:
    old, new = records["old"], records["rotated"]
    caps = _lineage_capabilities("rotated")
    old_cert = next(iter(_signer_sha256("old")))
    assert caps[old_cert] is True
    # Verified (inspect's default): the v3 lineage's signatures check, so the rotation is proven.
    v3 = next(x for x in new.signing.signers if x.lineage)  # type: ignore[attr-defined]
    assert v3.lineage_verification is not None and v3.lineage_verification.verified is True
    rot = rotation(old, new)
    assert rot.proven and not rot.same and "verified v3 lineage" in rot.reason
    assert rot.new_certificate in _signer_sha256("rotated")
    found = _findings(old, new)
    assert "BAS002" not in found
    assert not diff(old, new).problems
    unverified = inspector.inspect(PAIRS / "rotated.apk", digest=False, verify=False)
    rot = rotation(old, unverified)
    assert not rot.proven and "not verified" in rot.reason
    assert rot.new_certificate in _signer_sha256("rotated")
    # The decision given a lineage the verifier accepted (or refused): the same facts otherwise.
    signers = tuple(dataclasses.replace(s, lineage_verification=Verification(True))
                    if s.lineage else s for s in new.signing.signers)  # type: ignore[attr-defined]
    proven = dataclasses.replace(new, signing=dataclasses.replace(new.signing, signers=signers))  # type: ignore[attr-defined,type-var]
    assert rotation(old, proven).proven
    assert "BAS002" not in _findings(old, proven)
    from inspector.records.verification import Failure

    refused = tuple(dataclasses.replace(s, lineage_verification=Verification(
        False, (Failure("v3", "lineage signature does not verify"),))) if s.lineage else s
        for s in new.signing.signers)  # type: ignore[attr-defined]
    bad = dataclasses.replace(new, signing=dataclasses.replace(new.signing, signers=refused))  # type: ignore[attr-defined,type-var]
    assert "did not verify" in rotation(old, bad).reason
    # A lineage that checks, from a signer whose own signature does not: no proof either.
    unsigned = tuple(dataclasses.replace(s, verification=Verification(
        False, (Failure("v3", "signature does not verify"),))) if s.lineage else s
        for s in signers)
    bad = dataclasses.replace(new, signing=dataclasses.replace(new.signing, signers=unsigned))  # type: ignore[attr-defined,type-var]
    assert not rotation(old, bad).proven


def test_a_grown_native_library(records: dict[str, object]) -> None:
    old, new = records["old"], records["grown"]
    a, b = _zipinfo("old"), _zipinfo("grown")
    lib = "lib/arm64-v8a/libfoo.so"
    d = diff(old, new)
    assert d.size is not None
    assert d.size.grown[0].name == lib
    assert (d.size.grown[0].old_compressed, d.size.grown[0].new_compressed) == (a[lib][0], b[lib][0])
    assert d.size.grown[0].uncompressed_delta == b[lib][1] - a[lib][1]
    native = next(c for c in d.size.categories if c.name == "native/arm64-v8a")
    assert native.uncompressed_delta == b[lib][1] - a[lib][1]
    assert d.size.file.old_compressed == (PAIRS / "old.apk").stat().st_size
    assert d.size.file.new_compressed == (PAIRS / "grown.apk").stat().st_size
    growth = d.size.growth
    assert [f.severity for f in _findings(old, new, max_size_increase="10%")["BAS006"]] == ["error"]  # type: ignore[attr-defined]
    assert [f.severity for f in _findings(old, new, max_size_increase=str(growth))["BAS006"]] == [
        "info"]  # type: ignore[attr-defined]
    assert [f.severity for f in _findings(old, new, max_size_increase=str(growth - 1))["BAS006"]] == [
        "error"]  # type: ignore[attr-defined]


def test_an_ipa_with_a_new_extension_and_entitlement(records: dict[str, object]) -> None:
    old, new = records["old-ipa"], records["new-ipa"]
    d = diff(old, new)
    assert d.code is not None
    assert d.code.listed("extensions").added == (  # type: ignore[union-attr]
        "PlugIns/Widget.appex (extension, com.fixture.app.widget)",)
    assert d.permissions is not None
    assert "aps-environment" in d.permissions.listed("entitlements").added  # type: ignore[union-attr]
    assert d.permissions.listed("capabilities").added == ("Push Notifications",)  # type: ignore[union-attr]
    assert d.build_increased is True
    found = _findings(old, new)
    named = {f.actual for f in found["BAS004"]}  # type: ignore[attr-defined]
    assert {"aps-environment", "Push Notifications"} <= named
    assert "BAS002" not in found  # same team
    widget = [m for m in d.size.grown if "Widget.appex" in m.name]  # type: ignore[union-attr]
    members = _zipinfo("new-ipa")
    for m in widget:
        assert m.old_uncompressed is None and (m.new_compressed, m.new_uncompressed) == members[m.name]
    assert widget


def test_the_apple_team_changing_is_a_warning(records: dict[str, object]) -> None:
    # No fixture pair has two teams: the new build's profile names another one.
    new = records["new-ipa"]
    profile = dataclasses.replace(new.app.mobileprovision, TeamIdentifier=("OTHER98765",))  # type: ignore[attr-defined]
    other = dataclasses.replace(new, app=dataclasses.replace(new.app, mobileprovision=profile))  # type: ignore[attr-defined,type-var]
    found = _findings(records["old-ipa"], other)
    assert [f.severity for f in found.get("BAS002", [])] == ["warning"]  # type: ignore[attr-defined]


def test_id_and_build_number(records: dict[str, object]) -> None:
    other_app = inspector.inspect(FIXTURES / "apk" / "signed-v1v2v3.apk", digest=False)
    found = _findings(records["old"], other_app)
    assert [f.severity for f in found["BAS001"]] == ["error"]  # type: ignore[attr-defined]
    # The same build again: its build number is not greater.
    found = _findings(records["old"], records["old"])
    assert [f.severity for f in found["BAS003"]] == ["error"]  # type: ignore[attr-defined]
    same = diff(records["old"], records["old"])
    assert not same.changed
    assert same.problems == ("build number not greater (42 -> 42)",)


def test_a_baseline_of_another_platform_is_only_not_the_same_app(records: dict[str, object]) -> None:
    # An IPA as the baseline of an APK: BAS001 says it is another app; comparing an iOS
    # MinimumOSVersion with a minSdkVersion, or CFBundleVersion with versionCode, says nothing.
    found = _findings(records["new-ipa"], records["old"])
    assert sorted(found) == ["BAS001"]
    assert [f.field for f in found["BAS001"]] == ["package", "platform"]  # type: ignore[attr-defined]
    result = run_cli("check", "--baseline", str(PAIRS / "new.ipa"), str(PAIRS / "old.apk"))
    assert result.code == 1 and "BAS005" not in result.out and "BAS003" not in result.out


def test_no_baseline_no_findings(records: dict[str, object]) -> None:
    result = check(records["bump"], Expectations(), inspector_now())
    assert not [f for f in result.findings if f.code.startswith("BAS")]


# ---------------------------------------------------------------- a saved JSON as the baseline
@pytest.mark.parametrize(("old", "new"), [("old.apk", n + ".apk") for n in APKS[1:]]
                         + [("old.ipa", "new.ipa")])
def test_diff_against_saved_json_is_the_diff_against_the_build(old: str, new: str,
                                                               tmp_path: Path) -> None:
    saved = tmp_path / "old.json"
    result = run_cli("inspect", "--json", "--no-hash", str(PAIRS / old))
    assert result.code == 0
    saved.write_text(result.out, encoding="utf-8")
    assert saved.stat().st_size < 64 * 1024  # a few KB a pipeline keeps
    from_build = diff_files(PAIRS / old, PAIRS / new)
    from_json = diff_files(saved, PAIRS / new)
    assert jsonable(from_json) == jsonable(from_build)
    assert from_json.verdict == from_build.verdict


def test_load_record_round_trips_every_record(records: dict[str, object], tmp_path: Path) -> None:
    for name, record in records.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"schema": "inspector/1",
                                    "results": [inspector.to_json(record)]}), encoding="utf-8")
        assert load_record(path) == record, name


@pytest.mark.parametrize(("content", "problem"), [
    ("not json", "not valid JSON"),
    ('{"schema": "other/1", "results": []}', "not an inspect --json document"),
    ('{"schema": "inspector/1", "results": []}', "holds 0 results"),
    ('{"schema": "inspector/1", "results": [{"format": "apk"}]}', "apk.file: missing"),
])
def test_a_bad_saved_baseline_is_one_clear_error(content: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text("{" + content if content == "not json" else content, encoding="utf-8")
    result = run_cli("diff", str(path), str(PAIRS / "bump.apk"))
    assert result.code == 3
    assert problem in result.err and str(path) in result.err
    assert "Traceback" not in result.err


# ---------------------------------------------------------------- the command and its outputs
def test_diff_text_json_markdown(tmp_path: Path) -> None:
    text = run_cli("diff", str(PAIRS / "old.apk"), str(PAIRS / "other-key.apk"))
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0].startswith("BREAKING: com.applivery.inspector.diff 1.4.2 (42) -> ")
    assert "signing" in lines and "permissions" in lines
    doc = json.loads(run_cli("diff", "--format", "json", str(PAIRS / "old.apk"),
                             str(PAIRS / "bump.apk")).out)
    assert doc["schema"] == "inspector-diff/1"
    assert doc["verdict"].startswith("CHANGED: ")
    assert doc["build_increased"] is True and doc["identity"] is None
    md = run_cli("diff", "--format", "markdown", str(PAIRS / "old.apk"), str(PAIRS / "bump.apk")).out
    assert md.startswith("## inspector diff")
    assert "| permissions | added | `permissions` | `android.permission.RECORD_AUDIO` |" in md


def test_diff_github_appends_the_step_summary(tmp_path: Path) -> None:
    from inspector.cli.diff import run

    summary = tmp_path / "summary.md"
    summary.write_text("before\n", encoding="utf-8")
    import argparse
    import contextlib
    import io

    args = argparse.Namespace(old=str(PAIRS / "old.apk"), new=str(PAIRS / "other-key.apk"),
                              format="github", no_verify=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(args, {"GITHUB_STEP_SUMMARY": str(summary)}) == 0
    assert out.getvalue().startswith("::error title=inspector diff::Android signer changed")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("before\n## inspector diff")


def _hostile(records: dict[str, object]) -> Diff:
    evil = "evil\n::error::forged\r\n| x | `y` |\x1b[31m"
    old, new = records["old"], records["bump"]
    new = dataclasses.replace(new, package_name=evil, version_name=evil,  # type: ignore[type-var]
                              permissions=(*new.permissions, evil),  # type: ignore[attr-defined]
                              uses_permissions=())
    return diff(old, new)


def test_no_artifact_text_forges_a_line(records: dict[str, object]) -> None:
    d = _hostile(records)
    for output in (render_diff_text(d), render_diff_markdown(d), render_diff_github(d)):
        for line in output.splitlines():
            assert not line.startswith("::") or line.startswith(("::error title=inspector diff::",
                                                                  "::notice title=inspector diff::"))
            assert "\x1b" not in line and "\r" not in line
    # In Markdown every such value sits in a code span, its pipes escaped.
    md = render_diff_markdown(d)
    assert "``evil\\n::error::forged\\r\\n\\| x \\| `y` \\|\\x1b[31m``" in md
    json.loads(render_diff_json(d))


# ---------------------------------------------------------------- check --baseline
def test_check_baseline_from_flag_env_and_saved_json(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli("check", "--baseline", str(PAIRS / "old.apk"), str(PAIRS / "other-key.apk"))
    assert result.code == 1 and "BAS002" in result.out
    saved = tmp_path / "old.json"
    saved.write_text(run_cli("inspect", "--json", str(PAIRS / "old.apk")).out, encoding="utf-8")
    monkeypatch.setenv("INSPECTOR_BASELINE", str(saved))
    result = run_cli("check", str(PAIRS / "bump.apk"))
    assert result.code == 0, result.out  # warnings alone pass (a baseline is no expectation)
    assert "BAS004" in result.out and "BAS007" in result.out
    result = run_cli("check", "--max-size-increase", "1%", str(PAIRS / "grown.apk"))
    assert result.code == 1 and "BAS006" in result.out
    result = run_cli("check", "--max-size-increase", "1M", str(PAIRS / "grown.apk"))
    assert "BAS006" in result.out and "error    BAS006" not in result.out


@pytest.mark.parametrize("value", ["x%", "-1%", "ten"])
def test_a_bad_size_increase_is_a_usage_error(value: str) -> None:
    result = run_cli("check", "--baseline", str(PAIRS / "old.apk"), "--max-size-increase", value,
                     str(PAIRS / "bump.apk"))
    assert result.code == 2 and "max-size-increase" in result.err


def test_an_unreadable_baseline_is_one_error_before_any_build_is_read(tmp_path: Path) -> None:
    # The builds are fine: the run ends on the baseline, once, and no build is called unreadable.
    result = run_cli("check", "--baseline", "missing.apk", str(PAIRS / "bump.apk"), str(PAIRS / "old.apk"))
    assert result.code == 3 and result.out == ""
    assert result.err.splitlines() == [
        "inspector: error: the baseline missing.apk: cannot open (No such file or directory)"]
    noise = tmp_path / "noise.bin"
    noise.write_bytes(b"not a build at all")
    result = run_cli("check", "--baseline", str(noise), str(PAIRS / "bump.apk"))
    assert result.code == 4 and result.out == "" and len(result.err.splitlines()) == 1
    assert result.err.startswith(f"inspector: error: the baseline {noise}: unknown format")


def test_upload_reads_the_baseline_before_any_build(tmp_path: Path) -> None:
    result = run_cli("upload", "--dry-run", "--baseline", "missing.apk", str(PAIRS / "bump.apk"))
    assert result.code == 3 and result.out == ""
    assert result.err.splitlines()[-1] == (
        "inspector: error: the baseline missing.apk: cannot open (No such file or directory)")


# ---------------------------------------------------------------- Android's export rule
def test_exported_as_android_decides() -> None:
    from inspector.records.android import Component, IntentFilter

    with_filter = Component("activity", "a", None, intent_filters=(IntentFilter(("x",)),))
    assert effectively_exported(with_filter, 30) is True
    assert effectively_exported(with_filter, 31) is False
    assert effectively_exported(Component("activity", "a", None), 30) is False
    assert effectively_exported(Component("provider", "p", None), 16) is True
    assert effectively_exported(Component("provider", "p", None), 17) is False
    assert effectively_exported(Component("service", "s", True), 34) is True


def test_an_app_bundle_reads_the_manifest_facts_of_its_apk(records: dict[str, object]) -> None:
    # new.aab is bump.apk's manifest and resources in aapt2's protobuf format (make.sh); the
    # APK's facts are checked against aapt2 badging (test_manifest_permissions.py).
    aab, apk = records["new-aab"], records["bump"]
    for field in ("uses_permissions", "gl_es_version", "permissions", "features", "components",
                  "deep_links", "min_sdk", "target_sdk", "version_code"):
        assert getattr(aab, field) == getattr(apk, field), field
    by_apk, by_aab = diff(records["old"], apk), diff(records["old"], aab)
    for section in ("version", "platform", "permissions", "exposure"):
        assert getattr(by_aab, section) == getattr(by_apk, section), section
    assert by_aab.identity.changes == (Change("format", "apk", "aab"),)  # type: ignore[union-attr]


def test_app_bundles_compare_their_signers_without_an_install_verdict() -> None:
    # An AAB's JAR signature is the upload key's; the store signs what devices install.
    old = inspector.inspect(FIXTURES / "aab" / "bundle-signed.aab", digest=False)
    new = inspector.inspect(FIXTURES / "aab" / "minimal-ec-signed.aab", digest=False)
    d = diff(old, new)
    assert d.rotation is None
    assert d.signing is not None
    assert any(c.field == "v1 certificate SHA-256" for c in d.signing.changes)
    found = _findings(old, new)
    assert "BAS002" not in found and [f.severity for f in found["BAS001"]] == ["error"]  # type: ignore[attr-defined]


def test_a_named_pipe_as_a_side_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli("diff", str(fifo), str(PAIRS / "bump.apk"))
    assert result.code == 3 and str(fifo) in result.err
