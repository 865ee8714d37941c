"""One size convention: SI (powers of 1000) in reports, progress and ``--max-size``'s k/M/G;
Ki/Mi/Gi are powers of 1024. The fixture's size (21,370 bytes) is what ``os.stat`` says."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from inspector.report.text import human_size
from inspector.upload.transport import ProgressBar
from tests.conftest import FIXTURES, run_cli, unset_environment

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_",))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("size", "shown"), [
    (999, "999 B"), (1000, "1.0 kB"), (21_370, "21.4 kB"), (400_000_000, "400.0 MB"),
    (1_048_576, "1.0 MB"), (2_500_000_000, "2.5 GB")])
def test_human_size_is_si(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_progress_bar_speaks_si() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 4.0])
    bar = ProgressBar(stream, clock=lambda: next(ticks))
    bar(400_000_000, 400_000_000)
    assert "400.0 MB / 400.0 MB" in stream.getvalue() and "100.0 MB/s" in stream.getvalue()


def test_report_size_line() -> None:
    size = APK.stat().st_size
    assert size == 21_370
    result = run_cli("inspect", str(APK))
    assert f"21.4 kB ({size} bytes)" in result.out


@pytest.mark.parametrize(("limit", "passes"), [
    ("21370", True), ("21369", False), ("21k", False), ("22k", True), ("21Ki", True),
    ("21KiB", True), ("21kb", False), ("1M", True), ("0.02M", None)])
def test_max_size_suffixes(limit: str, passes: bool | None) -> None:
    # 21k = 21,000 < 21,370 <= 21Ki = 21,504: which suffix is which decides the verdict.
    result = run_cli("check", "--max-size", limit, str(APK))
    if passes is None:
        assert result.code == 2 and "expected a size" in result.err
    else:
        assert result.code == (0 if passes else 1), result.out
        assert ("GEN007" in result.out) is not passes
