"""Upload behaviours of the contract (spec/upload-api.md) against the loopback server: both
terminal success states, reads from the API host that goes with the upload host, our User-Agent,
and progress lines in a log (CI, no terminal)."""

from __future__ import annotations

import io
import re

import pytest

from inspector import __version__
from inspector.upload.request import api_url_for, base_urls
from inspector.upload.transport import ProgressLines
from tests.applivery_server import iter_chunks, serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"
TOKEN = "app-TOKEN-contract-93ab"


@pytest.fixture
def server(monkeypatch):
    """The server, named by the upload URL only: reads must find it through that."""
    with serving(monkeypatch, token=TOKEN, api_url=False) as s:
        yield s


def cli(*argv: str) -> CliResult:
    result = run_cli(*argv)
    assert TOKEN not in result.out + result.err
    return result


def upload(*argv: str) -> CliResult:
    return cli("upload", "--no-check", "--no-git", "--no-deployer", "--retry-delay", "0", *argv)


@pytest.mark.parametrize("final", ["success", "processed"])
def test_success_and_processed_both_end_the_wait(server, final: str) -> None:
    server.processing = ["in_progress", final]
    r = upload(str(APK), "--wait", "--wait-interval", "0.01", "--json")
    assert r.code == 0, r.err
    assert r.json == {"build_id": "b000001", "build_status": final}
    polls = [req for req in server.requests if req.method == "GET"]
    assert [req.path for req in polls] == ["/v1/integrations/builds/b000001"] * 2  # and no more
    server.processing = [final]
    build_id = upload(str(APK), "--json").json["build_id"]
    r = cli("status", build_id, "--wait", "--wait-interval", "0.01")
    assert r.code == 0 and r.out.strip() == f"build {build_id}: {final}"


def test_reads_go_to_the_host_of_the_upload_url(server) -> None:
    server.processing = ["in_progress"]
    r = upload(str(APK), "--json")
    assert r.code == 0, r.err
    r = cli("status", r.json["build_id"])
    assert r.code == 0 and r.out.strip() == "build b000001: in_progress"
    r = cli("builds", "--json")
    assert r.code == 0 and [b["build_id"] for b in r.json] == ["b000001"]


def test_the_api_url_that_goes_with_an_upload_url() -> None:
    assert base_urls(upload_url="https://upload.acme.applivery.io/") == (
        "https://upload.acme.applivery.io", "https://api.acme.applivery.io")
    assert base_urls(upload_url="https://upload.apps.acme.com") == (
        "https://upload.apps.acme.com", "https://api.apps.acme.com")
    assert base_urls(upload_url="http://127.0.0.1:8080", allow_http=True) == (
        "http://127.0.0.1:8080", "http://127.0.0.1:8080")
    assert base_urls(upload_url="https://upload.x.com", api_url="https://read.x.com") == (
        "https://upload.x.com", "https://read.x.com")
    assert base_urls(tenant="acme") == ("https://upload.acme.applivery.io", "https://api.acme.applivery.io")
    # A tenant names its API host itself: an upload URL beside it does not move it.
    assert base_urls(tenant="acme", upload_url="https://upload.other.com") == (
        "https://upload.other.com", "https://api.acme.applivery.io")
    assert base_urls() == ("https://upload.applivery.io", "https://api.applivery.io")
    assert api_url_for("https://uploads.example.com") == "https://uploads.example.com"


def test_user_agent_names_inspector_and_its_version(server) -> None:
    server.processing = ["processed"]
    assert upload(str(APK), "--wait", "--wait-interval", "0.01").code == 0
    assert {req.headers.get("user-agent") for req in server.requests} == {f"inspector/{__version__}"}
    assert len(server.requests) == 2


def test_progress_lines_in_a_log(server, tmp_path) -> None:
    big = tmp_path / "big.zip"
    with big.open("wb") as f:
        for chunk in iter_chunks(3_000_000):
            f.write(chunk)
    argv = (str(big), "--build-platform", "ps5", "--package-name", "a", "--package-version", "1",
            "--package-icon", str(FIXTURES / "macho" / "icon-rgb.png"))
    r = upload(*argv)  # standard error is not a terminal here
    assert r.code == 0, r.err
    lines = [line for line in r.err.splitlines() if line.startswith("inspector: uploading big.zip: ")]
    percents = [int(re.search(r": (\d+)% \(", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert percents == sorted(percents) and percents[-1] == 100 and len(percents) >= 3
    assert "of 3.0 MB" in lines[-1] and "/s)" in lines[-1]
    assert "ETA" not in r.err and "\r" not in r.err  # no bar in a log
    r = upload(*argv, "--no-progress")
    assert r.code == 0 and "uploading" not in r.err
    r = upload(str(APK))  # one read: nothing to show
    assert r.code == 0 and "uploading" not in r.err


def test_progress_lines_every_tenth_or_30_seconds() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 1.0, 2.0, 40.0, 41.0, 80.0, 81.0])
    lines = ProgressLines(stream, "app\n.ipa", clock=lambda: next(ticks))
    total = 100 << 20
    lines(5 << 20, total)     # 1 s: under a tenth, under 30 s: nothing
    lines(11 << 20, total)    # 2 s: the first tenth crossed
    lines(12 << 20, total)    # 40 s: no new tenth, but 38 s since the last line
    lines(13 << 20, total)    # 41 s: nothing
    lines(35 << 20, total)    # 80 s: three tenths at once, one line
    lines(total, total)       # 81 s: done
    out = stream.getvalue().splitlines()
    assert [line.split(": ")[2].split(" ")[0] for line in out] == ["11%", "12%", "35%", "100%"]
    assert all(line.startswith("inspector: uploading app\\n.ipa: ") for line in out)
    tiny = io.StringIO()
    ProgressLines(tiny, "a.apk")(10, 1 << 20)
    assert tiny.getvalue() == ""
