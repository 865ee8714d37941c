"""The README's "The library" section runs: every ``python`` block of it is executed, in a folder
holding ``app-release.apk`` (a fixture) and ``broken.apk`` (a truncated copy), against the loopback
server (``APPLIVERY_UPLOAD_URL``, ``APPLIVERY_API_URL``, ``APPLIVERY_APP_TOKEN``)."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.applivery_server import ApplivServer
from tests.conftest import FIXTURES, ROOT

TOKEN = "app-TOKEN-readme-0b5"


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## The library\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_section_has_an_example_of_each_step() -> None:
    code = "\n".join(_blocks())
    assert len(_blocks()) == 4
    for call in ("inspector.inspect(", "inspector.check(", "prepare(", "upload(", "wait_for_build(",
                 "latest_upload("):
        assert call in code, call


@pytest.mark.parametrize("index", range(4))
def test_the_example_runs(index, tmp_path, monkeypatch, capsys) -> None:
    shutil.copy(FIXTURES / "apk" / "signed-v1v2v3.apk", tmp_path / "app-release.apk")
    (tmp_path / "broken.apk").write_bytes((FIXTURES / "apk" / "signed-v1v2v3.apk").read_bytes()[:2000])
    monkeypatch.chdir(tmp_path)
    with ApplivServer(app_token=TOKEN, lifetime=30) as server:
        server.processing = ["in_progress", "processed"]
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", server.url)
        monkeypatch.setenv("APPLIVERY_API_URL", server.url)
        monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
        code = _blocks()[index]
        exec(compile(code, f"README.md (library example {index + 1})", "exec"), {"__name__": "readme"})
        printed = capsys.readouterr().out
        if index == 0:
            assert "com.applivery.inspector.fixture 42" in printed
            assert "broken.apk" in printed  # the ArtifactError names the file
        if index == 3:
            assert len(server.uploads()) == 1 and printed.strip().endswith("processed")
    assert TOKEN not in printed
