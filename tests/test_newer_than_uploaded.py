""""Newer than uploaded" is one step (issue 19): the service's latest processed build, read from
every page of the list, is an expectation, and ``check --newer-than-uploaded`` and
``upload --newer-than-uploaded`` both run rule UPL002 on it, with the same outcome and exit code.
Tested against the loopback server, through the command line and through the library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import inspector
from inspector.checks import Expectations, UploadedBuild, check
from inspector.upload import Secret, Target
from inspector.upload.errors import NetworkError
from inspector.upload.transport import LIST_PAGE_SIZE, latest_build, latest_upload
from tests.applivery_server import serving
from tests.conftest import FIXTURES, CliResult, run_cli

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"  # versionCode 42
TOKEN = "app-TOKEN-newer-5e1"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def android(build_id: str, number: int | None, day: int, status: str = "processed") -> dict:
    info = {"android": {"versionCode": number}} if number is not None else {}
    return {"id": build_id, "status": status, "os": "android", "info": info,
            "createdAt": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T00:00:00Z"}


@pytest.fixture
def server(monkeypatch, tmp_path):
    with serving(monkeypatch, token=TOKEN, home=tmp_path) as s:
        yield s


def both(*extra: str) -> tuple[CliResult, CliResult]:
    """check and upload, each with --newer-than-uploaded, on the same build and service."""
    checked = run_cli("check", "--newer-than-uploaded", "--retry-delay", "0", *extra, str(APK))
    uploaded = run_cli("upload", "--newer-than-uploaded", "--no-git", "--no-deployer", "--retry-delay", "0",
                       "--no-progress", *extra, str(APK))
    for r in (checked, uploaded):
        assert TOKEN not in r.out + r.err
    return checked, uploaded


def many(count: int, newest_number: int) -> list[dict]:
    """``count`` processed builds; the newest (by createdAt) has ``newest_number``, the others
    lower numbers. With the server listing oldest first, the newest is on the last page."""
    builds = [android(f"b{i}", i % 40, i) for i in range(count - 1)]
    return [*builds, android("newest", newest_number, count + 5)]


def test_the_latest_build_is_found_on_the_last_page(server) -> None:
    server.list_order = "oldest"
    server.listed = many(2 * LIST_PAGE_SIZE + 20, 42)  # 120 builds: the newest on page 3
    checked, uploaded = both()
    assert (checked.code, uploaded.code) == (1, 1), (checked.err, uploaded.err)
    for r in (checked, uploaded):
        assert "UPL002" in r.out + r.err and "versionCode 42 is not greater than 42" in r.out + r.err
        assert "(newest)" in r.out + r.err
    assert server.uploads() == []
    pages = [q.path for q in server.requests if q.method == "GET"]
    # Three pages for check, three for upload: every page is read, whatever the order.
    assert pages == [f"/v1/integrations/builds?os=android&page={n}&limit=50" for n in (1, 2, 3)] * 2


def test_a_newer_build_passes_both_and_is_uploaded(server) -> None:
    server.list_order = "oldest"
    server.listed = many(2 * LIST_PAGE_SIZE + 20, 41)
    checked, uploaded = both()
    assert (checked.code, uploaded.code) == (0, 0), (checked.err, uploaded.err)
    assert len(server.uploads()) == 1


def test_success_counts_as_processed(server) -> None:
    # The service's page says builds end in "success"; they have also been seen as "processed".
    server.listed = [android("p1", 30, 1), android("s1", 42, 2, status="success"),
                     android("e1", 99, 3, status="error")]
    checked, uploaded = both()
    assert (checked.code, uploaded.code) == (1, 1)
    assert "(s1)" in checked.out and "(s1)" in uploaded.err


def test_a_latest_build_without_a_number_fails_both_the_same_way(server) -> None:
    # Before: check exited 7 (a "service" error) and upload 1. Now both fail the gate with UPL002.
    server.listed = [android("old", 10, 1), android("bare", None, 2)]
    checked, uploaded = both()
    assert (checked.code, uploaded.code) == (1, 1)
    for r in (checked, uploaded):
        assert "the latest processed upload (bare) shows no build number" in r.out + r.err
    assert server.uploads() == []


def test_a_service_that_ignores_page_is_a_service_error_in_both(server) -> None:
    # A full first page, then the same builds for page 2: the latest cannot be known, and the
    # gate never passes on a guess (exit 7, a service failure, in both commands).
    server.listed = many(LIST_PAGE_SIZE, 41)
    server.ignore_page = True
    checked, uploaded = both("--retries", "0")
    assert (checked.code, uploaded.code) == (7, 7), (checked.err, uploaded.err)
    for r in (checked, uploaded):
        assert "repeats builds already read" in r.err
    assert server.uploads() == []


def test_library_latest_upload_and_check(server) -> None:
    target = Target(Secret(TOKEN), api_url=server.url)
    server.list_order = "oldest"
    server.listed = many(LIST_PAGE_SIZE + 1, 42)  # exactly one build on page 2
    uploaded = latest_upload(target, "android")
    assert uploaded == UploadedBuild("newest", "42")
    record = inspector.inspect(APK, digest=False)
    result = check(record, Expectations(uploaded_build=uploaded), NOW)
    assert [f.code for f in result.findings if f.severity == "error"] == ["UPL002"]
    assert check(record, Expectations(uploaded_build=UploadedBuild("x", "41")), NOW).passed
    # A number alone is accepted and becomes an UploadedBuild without an id.
    assert Expectations(uploaded_build="41").uploaded_build == UploadedBuild(None, "41")
    latest = latest_build(target, os="android")
    assert latest is not None and latest.id == "newest"


def test_library_an_unpaged_list_raises(server) -> None:
    target = Target(Secret(TOKEN), api_url=server.url)
    server.listed = many(LIST_PAGE_SIZE, 41)
    server.ignore_page = True
    with pytest.raises(NetworkError, match="repeats builds already read"):
        latest_upload(target, "android")
