"""The command line: exit codes, messages, JSON document shape, several files at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inspector import __version__, extract_icon, inspect
from tests.conftest import FIXTURES, ROOT, run_cli
from tests.tool_outputs import REFERENCE, parse_badging, read_icon_members, read_recorded

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"


def test_version() -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"inspector {__version__}"


def test_no_command_is_a_usage_error() -> None:
    assert run_cli().code == 2


def test_every_command_prints_its_help() -> None:
    # argparse expands %-placeholders in help text: a "10%" in an option's words once made
    # `check --help` and `upload --help` end in a traceback.
    from inspector.cli import build_parser

    commands = [name for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
                for name in getattr(action, "choices", {}) or {}]
    assert {"inspect", "check", "upload", "diff", "status", "builds"} <= set(commands)
    for command in commands:
        result = run_cli(command, "--help")
        assert result.code == 0 and result.out.startswith("usage: inspector "), (command, result.err)
        assert "Traceback" not in result.err
    assert "10%" in run_cli("check", "--help").out


def test_bad_option_is_a_usage_error() -> None:
    result = run_cli("inspect", "--frobnicate", str(APK))
    assert result.code == 2
    assert "unrecognized arguments" in result.err


def test_bad_now_is_a_usage_error() -> None:
    result = run_cli("inspect", "--now", "yesterday", str(APK))
    assert result.code == 2
    assert "--now" in result.err
    assert "Traceback" not in result.err


def test_text_report_has_the_first_facts() -> None:
    result = run_cli("inspect", "--no-hash", str(APK))
    assert result.code == 0, result.err
    assert "com.applivery.inspector.fixture" in result.out
    assert "1.4.2 (versionCode 42)" in result.out
    assert "v1, v2, v3" in result.out


def test_json_document_shape() -> None:
    result = run_cli("inspect", "--json", "--now", "2026-11-28T00:00:00Z", str(APK))
    assert result.code == 0, result.err
    doc = result.json
    assert doc["schema"] == "inspector/1"
    assert doc["now"] == "2026-11-28T00:00:00Z"
    (app,) = doc["results"]
    assert app["format"] == "apk"
    assert app["package_name"] == "com.applivery.inspector.fixture"
    assert app["version_code"] == 42
    assert len(app["file"]["sha256"]) == 64
    cert = app["signing"]["signers"][0]["certificates"][0]
    assert set(cert) >= {"subject", "sha256", "sha1", "not_after", "days_left", "expired", "android_debug"}
    assert cert["not_after"].endswith("Z")


def test_now_moves_days_left() -> None:
    a = run_cli("inspect", "--json", "--no-hash", "--now", "2027-01-01", str(APK)).json
    b = run_cli("inspect", "--json", "--no-hash", "--now", "2027-01-11", str(APK)).json
    days_a = a["results"][0]["signing"]["signers"][0]["certificates"][0]["days_left"]
    days_b = b["results"][0]["signing"]["signers"][0]["certificates"][0]["days_left"]
    assert days_a - days_b == 10


def test_several_files_one_result_each_worst_exit_code(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(4096))
    missing = tmp_path / "missing.apk"
    result = run_cli("inspect", "--json", "--no-hash", str(APK), str(junk), str(missing))
    assert result.code == 4
    results = result.json["results"]
    assert [r.get("format") for r in results] == ["apk", None, None]
    assert results[1]["error"]["exit_code"] == 4
    assert results[1]["error"]["kind"] == "UnknownFormatError"
    assert results[2]["error"]["exit_code"] == 3
    assert results[2]["file"]["path"] == str(missing)


def test_unreadable_file_is_one_line_exit_3(tmp_path: Path) -> None:
    broken = tmp_path / "broken.apk"
    broken.write_bytes(APK.read_bytes()[:2000])
    result = run_cli("inspect", str(broken))
    assert result.code == 3
    lines = result.err.strip().split("\n")
    assert len(lines) == 1
    assert lines[0].startswith(f"inspector: error: {broken}: ")


def test_random_bytes_are_unknown_format(tmp_path: Path) -> None:
    junk = tmp_path / "random.apk"
    junk.write_bytes(os.urandom(10000))
    result = run_cli("inspect", str(junk))
    assert result.code == 4
    assert "unknown format" in result.err


def test_directory_and_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.apk"
    empty.write_bytes(b"")
    assert run_cli("inspect", str(tmp_path)).code == 3
    result = run_cli("inspect", str(empty))
    assert result.code == 3
    assert "empty" in result.err


def test_extract_icon_writes_the_best_png(tmp_path: Path) -> None:
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path / "icons"), str(APK))
    assert result.code == 0, result.err
    png = tmp_path / "icons" / f"{APK.name}.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "xxxhdpi" in result.out


def test_extract_icon_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert run_cli("inspect", "--extract-icon", str(target), str(APK)).code == 2


def _densest_badging_icon(name: str) -> str:
    """The file aapt2 dump badging takes for xxxhdpi screens (application-icon-640)."""
    badging = parse_badging(read_recorded(REFERENCE / "apk" / f"{name}.badging.txt").body)
    return badging.icons["640"]


def test_extract_icon_writes_a_webp_icon_as_webp_and_json_says_where(tmp_path: Path) -> None:
    apk = FIXTURES / "apk" / "webp-icon.apk"
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(tmp_path), str(apk))
    assert result.code == 0, result.err
    member = _densest_badging_icon("webp-icon")
    kind, width, height = read_icon_members()["webp-icon.apk", member]
    target = tmp_path / "webp-icon.apk.webp"
    with zipfile.ZipFile(apk) as z:
        assert target.read_bytes() == z.read(member)
    assert result.json["results"][0]["extracted_icon"] == {
        "member": member, "path": str(target), "format": kind, "width": width, "height": height,
        "bytes": target.stat().st_size,
    }
    assert result.err == (f"inspector: webp-icon.apk: icon {member} ({width}x{height} WebP) "
                          f"written to {target}\n")


def test_extract_icon_never_overwrites_an_earlier_input_of_the_same_name(tmp_path: Path) -> None:
    # Three inputs called app.apk (one App.apk: one file on a case-insensitive disk), all with
    # PNG icons: each gets its own file, in the order given.
    sources = ["signed-v1v2v3", "adaptive-icon", "debuggable"]
    inputs = []
    for i, (name, base) in enumerate(zip(sources, ["app.apk", "app.apk", "App.apk"], strict=True)):
        folder = tmp_path / f"in{i}"
        folder.mkdir()
        shutil.copy(FIXTURES / "apk" / f"{name}.apk", folder / base)
        inputs.append(str(folder / base))
    out = tmp_path / "icons"
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(out), *inputs)
    assert result.code == 0, result.err
    written = [r["extracted_icon"] for r in result.json["results"]]
    assert [Path(w["path"]).name for w in written] == ["app.apk.png", "app.apk-2.png", "App.apk-3.png"]
    assert sorted(p.name for p in out.iterdir()) == ["App.apk-3.png", "app.apk-2.png", "app.apk.png"]
    for name, w in zip(sources, written, strict=True):
        with zipfile.ZipFile(FIXTURES / "apk" / f"{name}.apk") as z:
            assert Path(w["path"]).read_bytes() == z.read(w["member"])
    assert written[1]["member"] == "res/mipmap-xhdpi-v4/ic_launcher.png"  # adaptive: PNG fallback
    assert result.err.count(" written to ") == 3


def test_no_icon_to_write_is_said_for_that_file(tmp_path: Path) -> None:
    apk = FIXTURES / "apk" / "split-feature.apk"  # a feature split: no application icon
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(tmp_path), str(apk))
    assert result.code == 0, result.err
    assert result.json["results"][0]["extracted_icon"] is None
    assert result.err == "inspector: split-feature.apk: no icon written: the app declares no icon\n"
    assert list(tmp_path.iterdir()) == []
    text = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path), str(apk))
    assert "split-feature.apk: no icon written: the app declares no icon" in text.out


def test_an_unusable_icon_folder_is_a_usage_error_before_any_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for folder in (blocker / "icons", tmp_path / ("x" * 300)):
        result = run_cli("inspect", "--no-hash", "--extract-icon", str(folder), str(APK))
        assert result.code == 2, result.err
        assert result.err.startswith(f"inspector: error: --extract-icon: cannot write into {folder} (")
        assert result.out == ""  # refused before any file was read


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into a read-only folder anyway")
def test_a_read_only_icon_folder_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "icons"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run_cli("inspect", "--no-hash", "--extract-icon", str(folder), str(APK))
    finally:
        folder.chmod(0o700)
    assert result.code == 2
    assert "Permission denied" in result.err


def test_python_dash_m_and_console_script_agree() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "inspector", "--version"], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"inspector {__version__}"


def test_the_command_ends_with_its_whole_output_and_exit_code(tmp_path: Path) -> None:
    # `python -m inspector` and the console script end through cli.console(), which freezes the
    # collector before exit: the report must still be whole, files written whole, codes kept.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    files = [str(APK)] * 40
    proc = subprocess.run([sys.executable, "-m", "inspector", "inspect", "--json", "--no-hash",
                           "--extract-icon", str(tmp_path), *files],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["results"]) == 40
    icons = list(tmp_path.iterdir())
    assert icons and all(i.read_bytes() == extract_icon(APK, inspect(APK, digest=False))[1]
                         for i in icons)
    bad = tmp_path / "not-a-build.apk"
    bad.write_bytes(b"not a zip")
    proc = subprocess.run([sys.executable, "-m", "inspector", "inspect", str(bad)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 4 and "not-a-build.apk: unknown format" in proc.stderr


def test_no_traceback_on_pipe_close() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        f"{sys.executable} -m inspector inspect --json --no-hash {APK} {APK} {APK} | head -c 10",
        shell=True, capture_output=True, text=True, env=env, check=False,
    )
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr


def test_verbose_adds_the_long_lists() -> None:
    ipa = str(FIXTURES / "ios" / "adhoc.ipa")
    short = run_cli("inspect", "--no-hash", ipa).out
    long = run_cli("inspect", "--no-hash", "--verbose", ipa).out
    assert "Device UDIDs" not in short and "DeveloperCertificate 1" not in short
    assert "Device UDIDs" in long and "DeveloperCertificate 1" in long
    assert short.count("Signing type rule") == long.count("Signing type rule") == 1
