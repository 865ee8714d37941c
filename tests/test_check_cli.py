"""``inspector check``: settings precedence (flag > environment > config file > default), the config
file's shape, every output format (JUnit parsed back as XML, GitHub lines exact), and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import FIXTURES, run_cli, unset_environment

NOW = "2026-06-01"
APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")
DEBUG_APK = str(FIXTURES / "apk" / "debuggable.apk")
IPA = str(FIXTURES / "ios" / "adhoc.ipa")
WRONG_CERT = str(FIXTURES / "ios" / "wrong-certificate.ipa")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No stray INSPECTOR_* or CI variables, and a working directory without a config file."""
    unset_environment(monkeypatch, ("INSPECTOR_", "GITHUB_"), ("NO_COLOR",))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args: str):
    return run_cli("check", "--now", NOW, *args)


def json_check(*args: str) -> dict:
    result = check("--format", "json", *args)
    assert result.err == "" or "settings for" in result.err, result.err
    return result.json


def test_pass_and_fail_exit_codes() -> None:
    assert check(APK).code == 0
    failed = check(WRONG_CERT)
    assert failed.code == 1
    assert "IOS004" in failed.out and "FAILED: 4 errors" in failed.out  # and SIG003 three times


def test_unreadable_and_unknown_files_keep_their_exit_codes(tmp_path: Path) -> None:
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"not a build at all")
    truncated = tmp_path / "cut.ipa"
    truncated.write_bytes((FIXTURES / "ios" / "adhoc.ipa").read_bytes()[:3000])
    assert check(str(junk)).code == 4
    result = check(str(truncated), APK)
    assert result.code == 3
    assert "cut.ipa: UNREADABLE:" in result.out and "Traceback" not in result.err
    assert "1 of 2 files passed" in result.out


def test_usage_errors_exit_2() -> None:
    assert check("--min-days", "soon", APK).code == 2
    assert check("--signing-type", "sideload", IPA).code == 2
    assert check("--format", "xml", APK).code == 2
    assert check("--expect-version-name-regex", "(", APK).code == 2


def test_flag_beats_environment_beats_file(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "inspector.toml").write_text('[check]\nexpect-id = "from.file"\n')
    doc = json_check(APK)
    assert doc["results"][0]["findings"][0]["expected"] == "from.file"
    monkeypatch.setenv("INSPECTOR_EXPECT_ID", "from.env")
    doc = json_check(APK)
    assert doc["results"][0]["findings"][0]["expected"] == "from.env"
    doc = json_check("--expect-id", "com.applivery.*", APK)
    assert doc["passed"] is True and doc["results"][0]["findings"] == []


def test_explain_names_each_source(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "inspector.toml").write_text(
        '[check]\nwarn-days = 45\nmin-days = 3\n[check.android]\nmin-target-sdk = 30\n'
        '[check.ios]\nmin-target-sdk = 99\n')
    monkeypatch.setenv("INSPECTOR_MIN_DAYS", "7")
    result = check("--explain", "--strict", APK)
    lines = {line.split()[0]: line for line in result.err.splitlines()[1:]}
    assert result.err.splitlines()[0].startswith("inspector: settings for android artifacts")
    assert lines["warn-days"].split()[1:] == ["45", f"{clean / 'inspector.toml'}", "[check]"]
    assert lines["min-days"].endswith("environment INSPECTOR_MIN_DAYS")
    assert lines["min-target-sdk"].split()[1] == "30"  # the android section, not the ios one
    assert lines["min-target-sdk"].endswith("[check.android]")
    assert lines["strict"].endswith("flag --strict")
    assert lines["expect-id"].endswith("default")


def test_platform_sections_apply_to_their_platform_only(clean: Path) -> None:
    (clean / "inspector.toml").write_text('[check.ios]\nexpect-team = "OTHER98765"\n')
    assert check(APK).code == 0
    result = check(IPA)
    assert result.code == 1 and "GEN005" in result.out


def test_pyproject_tool_section(clean: Path) -> None:
    (clean / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.inspector.check]\nmin-version-code = 100\n')
    sub = clean / "deep" / "er"
    sub.mkdir(parents=True)
    result = run_cli("check", "--now", NOW, "--config", str(clean / "pyproject.toml"), APK)
    assert result.code == 1 and "GEN004" in result.out


def test_config_found_in_a_parent(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "inspector.toml").write_text('[check]\nmin-version-code = 100\n')
    sub = clean / "app" / "build"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert "GEN004" in check(APK).out


@pytest.mark.parametrize(("text", "message"), [
    ('[check]\nmin-days = "x"\n', "min-days"),
    ('[check]\nfrobnicate = 1\n', "unknown key 'frobnicate'"),
    ('[checks]\n', "unknown section"),
    ('[check\n', "not valid TOML"),
    ('[upload]\ntoken = "abc"\n', "secret does not belong"),
    ('[upload.integrations]\napp-token = "abc"\n', "secret does not belong"),
    ('[check.android]\nsigning-type = ["sideload"]\n', "not one of"),
])
def test_bad_config_is_a_usage_error(clean: Path, text: str, message: str) -> None:
    (clean / "inspector.toml").write_text(text)
    result = check(APK)
    assert result.code == 2
    assert message in result.err and "inspector.toml" in result.err
    assert "abc" not in result.err


def test_list_options_from_flag_env_and_file(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "inspector.toml").write_text('[check]\nrequire-abi = ["x86"]\n')
    assert "AND009" in check(APK).out
    monkeypatch.setenv("INSPECTOR_REQUIRE_ABI", "arm64-v8a, armeabi-v7a")
    assert check(APK).code == 0
    result = check("--require-abi", "arm64-v8a", "--require-abi", "x86_64", APK)
    assert "x86_64" in result.out and result.code == 1


def test_boolean_flag_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTOR_STRICT", "true")
    assert check(DEBUG_APK).code == 1
    assert check("--no-strict", DEBUG_APK).code == 0
    monkeypatch.setenv("INSPECTOR_STRICT", "maybe")
    assert check(DEBUG_APK).code == 2


def test_max_size_units() -> None:
    assert check("--max-size", "1M", APK).code == 0
    result = check("--max-size", "10k", APK)
    assert result.code == 1 and "GEN007" in result.out


def test_json_format() -> None:
    doc = json_check(DEBUG_APK, WRONG_CERT)
    assert doc["schema"] == "inspector-check/1" and doc["now"] == "2026-06-01T00:00:00Z"
    assert doc["passed"] is False
    debug, wrong = doc["results"]
    assert debug["passed"] is True and debug["counts"] == {"error": 0, "warning": 2, "info": 0}
    assert debug["summary"]["identifier"] == "com.applivery.inspector.fixture.debug"
    assert debug["file"]["path"] == DEBUG_APK
    assert "AND001" in debug["rules"] and "IOS001" not in debug["rules"]
    finding = wrong["findings"][0]
    assert [f["code"] for f in wrong["findings"]] == ["IOS004"] + ["SIG003"] * 3
    assert set(finding) == {"code", "severity", "field", "expected", "actual", "message",
                            "fails_gate"}
    assert finding["code"] == "IOS004" and finding["fails_gate"] is True


def test_json_format_reports_unreadable_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ipa"
    junk.write_bytes(b"\0" * 64)
    result = check("--format", "json", str(junk), APK)
    assert result.code == 4
    bad, good = json.loads(result.out)["results"]
    assert bad["error"]["exit_code"] == 4 and good["passed"] is True


def test_github_format_lines_exact(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = clean / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = check("--format", "github", DEBUG_APK, WRONG_CERT)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"::warning file={DEBUG_APK},title=AND001::the app is debuggable "
        "(android:debuggable=true): a debug build, not a release",
        f"::warning file={DEBUG_APK},title=AND002::signed with the Android Debug certificate "
        "(CN=Android Debug): the SDK's key, not a release key",
        f"::error file={WRONG_CERT},title=IOS004::app is signed by 'Apple Distribution: Someone "
        "Else (OTHER98765)' (SHA-1 3c080a84592f1abb1606a13c7f663974d743fb3b), which is not among "
        "the profile's DeveloperCertificates: devices refuse it",
        f"::error file={WRONG_CERT},title=SIG003::app: application-identifier "
        "OTHER98765.com.fixture.app is not allowed by the profile's TEAMID1234.com.fixture.app: "
        "a device refuses to install it",
        f"::error file={WRONG_CERT},title=SIG003::app: com.apple.developer.team-identifier "
        "OTHER98765 is not allowed by the profile's TEAMID1234: a device refuses to install it",
        f"::error file={WRONG_CERT},title=SIG003::app: keychain-access-groups "
        "OTHER98765.com.fixture.app not allowed by the profile's [TEAMID1234.*]: a device "
        "refuses to install it",
    ]
    md = summary.read_text()
    assert md.startswith("## inspector check")
    assert "| identifier | com.fixture.app |" in md and "| error | IOS004 |" in md
    check("--format", "github", APK)
    assert summary.read_text().count("## inspector check") == 2  # appended, never overwritten


def test_github_strict_warning_becomes_error() -> None:
    result = check("--format", "github", "--strict", DEBUG_APK)
    assert result.out.splitlines()[0].startswith(f"::error file={DEBUG_APK},title=AND001::")


def test_junit_format_parses() -> None:
    result = check("--format", "junit", DEBUG_APK, WRONG_CERT, "--strict")
    root = ET.fromstring(result.out)
    assert root.tag == "testsuites"
    debug, wrong = root.findall("testsuite")
    assert debug.get("name") == DEBUG_APK
    cases = {c.get("name").split()[0]: c for c in debug.findall("testcase")}
    assert int(debug.get("tests")) == len(cases) and "AND001" in cases
    assert cases["AND001"].find("failure").get("type") == "warning"  # strict: warnings fail
    assert cases["AND003"].find("failure") is None
    assert int(debug.get("failures")) == 2
    failure = {c.get("name").split()[0]: c for c in wrong.findall("testcase")}["IOS004"].find(
        "failure")
    assert "not among the profile's DeveloperCertificates" in failure.get("message")
    assert int(root.get("failures")) == 4  # 2 warnings, IOS004, SIG003 (one case per rule)


def test_junit_without_strict_keeps_warnings_out_of_failures() -> None:
    root = ET.fromstring(check("--format", "junit", DEBUG_APK).out)
    (suite,) = root.findall("testsuite")
    assert suite.get("failures") == "0"
    outs = [c.find("system-out") for c in suite.findall("testcase")]
    assert any(o is not None and o.text.startswith("warning:") for o in outs)


def test_text_has_no_colour_off_a_terminal() -> None:
    assert "\033[" not in check(DEBUG_APK).out


def test_check_passes_a_wildcard_profile_ipa() -> None:
    result = check("--expect-id", "com.fixture.app", "--min-days", "14", str(FIXTURES / "ios" /
                                                                               "wildcard.ipa"))
    assert result.code == 0, result.out


def test_every_corpus_file_gets_a_verdict_or_a_clear_error() -> None:
    from tests.conftest import corpus

    files = sorted(str(p) for p in corpus().glob("*/*") if p.name != "SOURCES.md")
    result = check("--format", "json", *files)
    assert result.code in (1, 3, 4) and "Traceback" not in result.err
    results = result.json["results"]
    assert len(results) == len(files)
    for entry in results:
        assert ("error" in entry) != ("passed" in entry)
        if "error" in entry:
            assert entry["error"]["exit_code"] in (3, 4) and entry["error"]["message"]
    by_name = {Path(e["file"]["path"]).name: e for e in results}
    # Corpus apps signed in 2016-2021: their profiles and certificates have expired. embedded.ipa
    # holds an empty Frameworks/CarPlay.framework/ folder (no binary, no seal: `unzip -l` lists
    # the folder and nothing in it; tests/test_verify_apple.py): SIG002.
    assert [f["code"] for f in by_name["embedded.ipa"]["findings"]] == ["EXP001"] * 3 + ["SIG002"]
    assert by_name["android.apk"]["passed"] is True


def test_a_bug_on_one_file_does_not_stop_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspector.cli.check as check_module

    real = check_module.evaluate

    def flaky(record, *args):
        if record.format == "ipa":
            raise RuntimeError("boom")
        return real(record, *args)

    monkeypatch.setattr(check_module, "evaluate", flaky)
    result = check("--format", "json", IPA, APK)
    assert result.code == 70
    bad, good = result.json["results"]
    assert bad["error"]["kind"] == "InternalError" and "boom" in bad["error"]["message"]
    assert good["passed"] is True
