"""No artifact or service text can forge a line of our output, in any format.

The hostile inputs are built here at test time: an APK whose versionName holds a newline, a GitHub
workflow command, a terminal escape and live Markdown/HTML (its manifest written with
tests/android_bytes.py), stored under a file name with a control character; a loopback server that
answers with a build id, a status and processing logs made to add ``$GITHUB_OUTPUT`` keys and print
``::error`` commands. One test sweeps every output format over the one hostile record.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from inspector.report import escape
from tests.android_bytes import document, end_element, start_element, string_pool, xml_chunk
from tests.applivery_server import ApplivServer, Received
from tests.conftest import FIXTURES, CliResult, run_cli, unset_environment

ANDROID_NS = "http://schemas.android.com/apk/res/android"
FORGED = "::error::forged"
#: A version name made to break every output: a new line that is a workflow command, a v1 command,
#: a terminal escape, a bidi override, GitHub's percent escapes, Markdown and HTML that would render.
HOSTILE = (f"1.0\n{FORGED}\r\n##[warning]v1\x1b[2J\u202e %0A,title=x:: "
           "## passed ![t](https://track.example/t.png) [go](https://evil.example) <img src=x> "
           "`x` | cell | www.evil.example a@b.example &amp;")
TOKEN = "app-TOKEN-escape-7d1e"
NOW = "2026-01-01"


def hostile_manifest(version_name: str, package: str = "com.evil.app") -> bytes:
    """A binary AndroidManifest.xml: ``<manifest package versionCode=7 versionName>`` with
    ``<uses-sdk minSdkVersion=21>`` and an empty ``<application>``, under the android namespace."""
    strings = ["versionCode", "versionName", "minSdkVersion", "manifest", "package", package, version_name,
               "application", ANDROID_NS, "android", "uses-sdk"]
    ns = 8

    def namespace(ctype: int) -> bytes:
        return xml_chunk(ctype, struct.pack("<II", 9, ns))

    nodes = (namespace(0x0100)
             + start_element(3, [(0xFFFFFFFF, 4, 5, 3, 5), (ns, 0, 0xFFFFFFFF, 0x10, 7), (ns, 1, 6, 3, 6)])
             + start_element(10, [(ns, 2, 0xFFFFFFFF, 0x10, 21)]) + end_element(10)
             + start_element(7) + end_element(7) + end_element(3) + namespace(0x0101))
    return document(string_pool(strings), [0x0101021b, 0x0101021c, 0x0101020c], nodes)


def hostile_apk(folder: Path, version_name: str = HOSTILE,
                name: str = "evil\x07\n::warning::name.apk") -> Path:
    """The unsigned fixture APK with :func:`hostile_manifest` in place of its manifest."""
    out = folder / name
    with zipfile.ZipFile(FIXTURES / "apk" / "unsigned.apk") as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            manifest = info.filename == "AndroidManifest.xml"
            dst.writestr(info.filename, hostile_manifest(version_name) if manifest else src.read(info))
    return out


def test_the_hostile_apk_really_carries_the_hostile_version_name(tmp_path) -> None:
    import inspector

    record = inspector.inspect(hostile_apk(tmp_path), digest=False)
    assert record.version_name == HOSTILE and record.package_name == "com.evil.app"  # type: ignore[union-attr]


def checked(*argv: str) -> CliResult:
    """``inspector ARGV``: no traceback, no internal error, the token never shown."""
    r = run_cli(*argv)
    assert "Traceback" not in r.err and r.code != 70, r.err
    assert TOKEN not in r.out + r.err
    return r


def assert_no_forged_line(text: str, where: str) -> None:
    """No line reads as a GitHub workflow command (the runner trims leading white space), and no
    raw terminal escape or other control character besides tab is left."""
    for line in text.split("\n"):
        assert not re.match(r"\s*(::|##\[)", line), f"{where}: forged line {line!r}"
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", line), f"{where}: control in {line!r}"


def assert_valid_utf8(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AssertionError(f"{where}: not valid UTF-8 ({exc})") from None


@pytest.fixture
def clean_env(monkeypatch) -> Iterator[None]:
    unset_environment(monkeypatch, ("APPLIVERY_", "INSPECTOR_", "GITHUB_"), ("JENKINS_URL", "GITLAB_CI"))
    yield


# -- the sweep: every output format over one hostile record -----------------------------------------

@pytest.mark.parametrize("name", ["evil\x07\n::warning::name.apk", "::error file=x,line=1::forged.apk"])
def test_every_output_format_over_one_hostile_record(tmp_path, monkeypatch, clean_env, name) -> None:
    # Given relative, the file name starts the verdict line of `check` and the report's title line.
    monkeypatch.chdir(tmp_path)
    apk = hostile_apk(tmp_path, name=name).name
    expect = ("--expect-version-name", "2.0", "--now", NOW)  # a finding that quotes the version name
    shown = 0

    for argv in (["inspect", apk], ["inspect", "--verbose", apk]):
        r = checked(*argv)
        assert r.code == 0, r.err
        assert "1.0\\n::error::forged" in r.out  # the value is there, escaped on its own line
        assert_no_forged_line(r.out, " ".join(argv[:2]))
        shown += 1

    r = checked("inspect", "--json", apk)
    assert_valid_utf8(r.out, "inspect --json")
    assert r.json["results"][0]["version_name"] == HOSTILE  # JSON keeps the exact value
    assert_no_forged_line(r.out, "inspect --json")
    shown += 1

    r = checked("check", apk, *expect)
    assert r.code == 1
    assert "1.0\\n::error::forged" in r.out
    assert_no_forged_line(r.out + r.err, "check text")
    shown += 1

    r = checked("check", apk, *expect, "--format", "json")
    assert_valid_utf8(r.out, "check json")
    assert any(f["actual"] == HOSTILE for f in r.json["results"][0]["findings"])
    assert_no_forged_line(r.out, "check json")
    shown += 1

    r = checked("check", apk, *expect, "--format", "junit")
    root = ET.fromstring(r.out.encode("utf-8"))
    assert root.get("failures") == "2"  # GEN002 (the version name) and AND003 (unsigned)
    failure = next(f for f in root.iter("failure") if "2.0" in f.get("message", ""))
    assert "1.0\\n::error::forged" in failure.get("message", "")
    assert root.find("testsuite").get("name") == escape.xml(apk)  # type: ignore[union-attr]
    assert_no_forged_line(r.out, "check junit")
    shown += 1

    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = checked("check", apk, *expect, "--format", "github")
    commands = r.out.strip().split("\n")
    findings = len(checked("check", apk, *expect, "--format", "json").json["results"][0]["findings"])
    assert len(commands) == findings  # one command per finding, none forged by the artifact
    for line in commands:
        match = re.fullmatch(r"::(error|warning|notice) file=([^:,]*),title=([^:,]*)::(.*)", line)
        assert match, line
        # "::" inside the message is text: the runner splits the command at its first "::".
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202e]", line), line
    assert_no_forged_line(r.err, "check github stderr")
    shown += 1

    md = summary.read_text(encoding="utf-8")
    assert_valid_utf8(md, "step summary")
    assert_no_forged_line(md, "step summary")
    headings = [line for line in md.split("\n") if line.startswith("#")]
    assert headings == ["## inspector check", f"### ❌ <code>{escape.markdown(apk)}</code>: failed"]
    for live in ("![t](", "[go](", "<img", "`x`", "| cell |", "https://", "www.evil", "a@b"):
        assert live not in md, live
    shown += 1

    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    for mode in ("json", "curl"):
        r = checked("upload", apk, *expect, "--no-git", "--version-name", HOSTILE, f"--dry-run={mode}")
        assert r.code == 1 and r.out == ""  # the gate fails: nothing printed as sent
        assert_no_forged_line(r.err, f"upload gate ({mode})")
        r = checked("upload", apk, "--no-check", "--no-git", "--version-name", HOSTILE, f"--dry-run={mode}")
        assert r.code == 0, r.err
        assert_valid_utf8(r.out, f"dry run {mode}")
        assert_no_forged_line(r.out + r.err, f"dry run {mode}")
        shown += 1
    assert shown == 10


def test_a_file_name_with_control_characters_keeps_junit_valid(tmp_path, clean_env) -> None:
    names = ["ctl\x01\x1b\x7f\x85.apk", "nl\n::error::x.apk", "bidi\u202e.apk"]
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes((FIXTURES / "apk" / "signed-v1v2v3.apk").read_bytes())
        paths.append(str(path))
    paths.append(str(tmp_path / "missing\x02.apk"))  # an unreadable one: the <error> element
    r = checked("check", *paths, "--now", NOW, "--format", "junit")
    root = ET.fromstring(r.out.encode("utf-8"))
    suites = root.findall("testsuite")
    assert len(suites) == 4 and root.get("errors") == "1"
    assert [s.get("name") for s in suites] == [escape.xml(p) for p in paths]
    assert "\\x01" in suites[0].get("name", "") and "\n" in suites[1].get("name", "")


def test_inspect_json_of_an_undecodable_path_is_valid_utf8(tmp_path, clean_env) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff\xfe-name.apk"
    with open(raw, "wb") as handle:
        handle.write((FIXTURES / "apk" / "signed-v1v2v3.apk").read_bytes())
    name = os.fsdecode(raw)  # what argv gives Python: lone surrogates
    for argv in (("inspect", "--json", name), ("check", name, "--format", "json", "--now", NOW),
                 ("inspect", "--json", name + ".missing")):
        r = checked(*argv)
        assert_valid_utf8(r.out, argv[0])
        doc = json.loads(r.out)
        assert doc["results"][0]["file"]["path"].startswith(os.fsdecode(os.fsencode(tmp_path)))
        assert "\\udcff" in r.out  # the undecodable byte, as a JSON escape
    r = checked("check", name, "--now", NOW)
    assert_valid_utf8(r.out, "check text")


# -- service answers --------------------------------------------------------------------------------

FORGED_ID = "b1\nbuild_status=processed\nreleased=true\n::error::forged id"


class HostileServer(ApplivServer):
    """The loopback server, its answers rewritten: every new build gets :data:`FORGED_ID` (or
    ``build_id``) and ``status``; the list answers ``listed`` as set by the test."""

    build_id = FORGED_ID
    status = "processed\n::warning::forged status"

    def new_build(self, received: Received) -> dict[str, Any]:
        doc = super().new_build(received)
        build = self.builds.pop(doc["id"])
        build.id = doc["id"] = self.build_id
        doc["status"] = self.status
        self.builds[self.build_id] = build
        return doc


def read_github_output(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` read as the runner reads it (``name=value`` lines, or ``name<<DELIM``
    up to a line equal to DELIM); a malformed file fails the test as it fails the job."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        heredoc = line.find("<<")
        equals = line.find("=")
        if heredoc > 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2:]
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        else:
            assert equals > 0, f"malformed line {line!r}"
            out[line[:equals]] = line[equals + 1:]
            i += 1
    return out


@pytest.fixture
def hostile_server(monkeypatch, clean_env, tmp_path) -> Iterator[HostileServer]:
    with HostileServer(app_token=TOKEN, lifetime=30) as server:
        monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", server.url)
        monkeypatch.setenv("APPLIVERY_API_URL", server.url)
        monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github_output"))
        yield server


APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_build_id_with_newlines_never_adds_github_output_keys(hostile_server, tmp_path, as_json) -> None:
    r = checked("upload", APK, "--no-check", "--no-git", "--retries", "0", *(["--json"] if as_json else []))
    assert r.code in (0, 7), r.err  # escaped, or refused as a malformed answer: never forged
    assert_no_forged_line(r.out + r.err, "upload")
    output = tmp_path / "github_output"
    keys = read_github_output(output.read_text(encoding="utf-8")) if output.exists() else {}
    assert set(keys) <= {"build_id", "build_status"}
    if r.code == 0:
        assert keys == {"build_id": FORGED_ID, "build_status": HostileServer.status}
        if as_json:
            assert r.json["build_id"] == FORGED_ID


def test_hostile_processing_logs_and_status_lines_are_escaped(hostile_server) -> None:
    hostile_server.build_id = "b000001"
    hostile_server.status = "pending"
    hostile_server.processing = ["in_progress\n::error::forged state", "error"]
    hostile_server.error_logs = ["step 1", FORGED, "  ::notice::indented", "##[error]v1", "\x1b]0;title\x07"]
    r = checked("upload", APK, "--no-check", "--no-git", "--retries", "0", "--wait",
                "--wait-interval", "0.05")
    assert r.code in (6, 7), r.err
    assert_no_forged_line(r.out + r.err, "upload --wait")
    if r.code == 6:
        assert "\\x3a:error::forged" in r.err  # the log line is shown, neutralised


def test_the_builds_table_of_hostile_rows(hostile_server) -> None:
    hostile_server.listed = [
        {"id": FORGED, "status": "processed", "versionName": HOSTILE, "os": "android",
         "createdAt": "2026-11-01T00:00:00Z"},
        {"id": "ok", "status": "error\n::error::s", "versionName": "1.1", "os": "ios",
         "createdAt": "2026-11-02T00:00:00Z"},
    ]
    r = checked("builds")
    assert r.code in (0, 7), r.err
    assert_no_forged_line(r.out + r.err, "builds")
    if r.code == 0:
        assert len(r.out.strip().split("\n")) == 3  # the header and one line per build
    r = checked("builds", "--json")
    assert_valid_utf8(r.out, "builds --json")
    assert_no_forged_line(r.out + r.err, "builds --json")


def test_a_retry_message_quoting_the_service_stays_one_line(clean_env, monkeypatch, tmp_path) -> None:
    """A server of its own: a 503 whose error message forges a command, then a success."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers = [(503, {"status": False, "error": {"code": 503, "message": f"busy\n{FORGED}\x1b[2J"}}),
               (200, {"status": True, "data": {"id": "b1", "status": "pending"}})]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, doc = answers.pop(0)
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", f"http://127.0.0.1:{httpd.server_address[1]}")
        r = checked("upload", APK, "--no-check", "--no-git", "--allow-http", "--retries", "1",
                  "--retry-delay", "0")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r.code == 0, r.err
    assert answers == []  # the retry happened
    assert "busy\\n::error::forged" in r.err
    assert_no_forged_line(r.out + r.err, "retry")


# -- the escaping functions themselves --------------------------------------------------------------

def test_github_output_heredoc_delimiter_never_occurs_in_the_value() -> None:
    value = "a\nghadelimiter_x\nb"
    entry = escape.github_output("build_id", value)
    assert read_github_output(entry) == {"build_id": value}
    assert escape.github_output("build_status", "processed") == "build_status=processed\n"
    with pytest.raises(ValueError):
        escape.github_output("bad\nname", "x")


def test_text_lines_neutralise_commands_after_white_space() -> None:
    assert escape.lines("ok\n  ::error::x\n\t##[group]y\n:: z") == \
        "ok\n  \\x3a:error::x\n\t\\x23#[group]y\n\\x3a: z"
    assert escape.text("a\nb\x1b\udcff") == "a\\nb\\x1b\\udcff"


def test_block_titles_keys_and_continuation_lines_cannot_start_a_command() -> None:
    """What an AAB module name, a verbose entitlement key or a device id becomes in a report."""
    from inspector.report.text import Block

    block = Block("::error::module")
    block.add("::warning::entitlement", "yes")
    block.add("Devices", ["00008030-0001", "::error::device", "##[error]v1"])
    block.child("\n::notice::child").add("k", "v\n::error::value")
    rendered = "\n".join(block.render())
    assert_no_forged_line(rendered, "block")
    assert len(rendered.split("\n")) == 7  # every value kept to its own line


def test_explain_shows_config_values_escaped(tmp_path, clean_env, monkeypatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "inspector.toml").write_text('[check]\nexpect-id = "a\\n::error::cfg"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    r = checked("check", APK, "--explain", "--now", NOW)
    assert "a\\n::error::cfg" in r.err
    assert_no_forged_line(r.out + r.err, "--explain")


def test_the_step_summary_renders_only_our_structure(tmp_path, clean_env, monkeypatch) -> None:
    """markdown-it-py (CommonMark with GFM tables, raw HTML on, as GitHub allows) is the oracle: the
    hostile record's summary renders our two headings, two tables and one <code> for the file name,
    and no image, link, extra heading, extra cell or raw HTML from the artifact."""
    markdown_it = pytest.importorskip("markdown_it")
    apk = str(hostile_apk(tmp_path))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    checked("check", apk, "--expect-version-name", "2.0", "--now", NOW, "--format", "github")
    renderer = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    html = renderer.render(summary.read_text(encoding="utf-8"))
    assert re.findall(r"<(h\d)>", html) == ["h2", "h3"]
    assert html.count("<table>") == 2 and html.count("<code>") == 1
    for tag in ("<img", "<a ", "<s>", "<del>", "<em>", "<strong>", "<b>", "<h1", "<blockquote"):
        assert tag not in html, tag
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert all(row.count("<td>") in (0, 2, 3) for row in rows)
    assert all(row.count("<th>") in (0, 2, 3) for row in rows)
    version_cell = next(row for row in rows if "<td>version</td>" in row)
    assert "::error::forged" in version_cell and "![t](https://track.example/t.png)" in version_cell


def hostile_module_aab(folder: Path, module: str = "::error::module\n::error::x\x1b[2J") -> Path:
    """The unsigned fixture AAB with its ``camera`` feature module renamed to ``module``."""
    out = folder / "modules.aab"
    with zipfile.ZipFile(FIXTURES / "aab" / "bundle-unsigned.aab") as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = info.filename
            dst.writestr(module + name.removeprefix("camera") if name.startswith("camera/") else name,
                         src.read(info))
    return out


def test_an_aab_module_name_never_starts_a_line(tmp_path, clean_env) -> None:
    aab = str(hostile_module_aab(tmp_path))
    r = checked("inspect", "--json", aab)
    modules = [m["name"] for m in r.json["results"][0]["modules"]]
    assert "::error::module\n::error::x\x1b[2J" in modules  # the reader keeps the name as it is
    for argv in (("inspect", aab), ("inspect", "--verbose", aab), ("check", aab, "--now", NOW)):
        r = checked(*argv)
        assert r.code in (0, 1), r.err
        assert_no_forged_line(r.out + r.err, " ".join(argv[:2]))
    assert "\\x3a:error::module\\n::error::x\\x1b[2J" in checked("inspect", aab).out
