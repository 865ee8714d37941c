"""A usage error is one line, with "did you mean" when one option, command or choice is close,
and exit 2; every option is validated before any file is read (a missing or junk file would
otherwise answer first, with exit 3 or 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli, unset_environment

APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset_environment(monkeypatch, ("INSPECTOR_", "APPLIVERY_", "GITHUB_"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("argv", "hint"), [
    (("chek", APK), "did you mean check?"),
    (("stat", "b1"), "did you mean status?"),
    (("check", "--jsn", APK), "did you mean --format json?"),
    (("inspect", "--jsn", APK), "did you mean --json?"),
    (("check", "--expect-idd", "x", APK), "did you mean --expect-id?"),
    (("check", "--format", "jsn", APK), "did you mean json?"),
    (("upload", "--notify-language", "de", APK), "did you mean ge?"),
    (("check", "--zzzzzz", APK), None),
    (("check", APK, "--format"), None),
])
def test_one_line_and_a_suggestion(argv: tuple[str, ...], hint: str | None) -> None:
    r = run_cli(*argv)
    assert r.code == 2 and r.out == ""
    (line,) = r.err.splitlines()  # no usage block
    assert line.startswith("inspector: error: ") and line.endswith("--help)")
    if hint is None:
        assert "did you mean" not in line
    else:
        assert hint in line, line


@pytest.mark.parametrize("argv", [
    ("check", "--retries", "-1"),
    ("check", "--timeout", "0"),
    ("check", "--retry-delay", "-2"),
    ("upload", "--token", "app-token-0123456789", "--retries", "-1"),
    ("upload", "--token", "app-token-0123456789", "--wait", "--wait-timeout", "0"),
])
def test_options_are_refused_before_any_file_is_read(argv: tuple[str, ...], tmp_path: Path) -> None:
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"not a build")  # read first, it would be exit 4
    r = run_cli(*argv, str(junk))
    assert r.code == 2, r
    assert "junk.apk" not in r.err and r.out == ""
    assert len(r.err.splitlines()) == 1


def test_valid_service_options_do_not_stop_a_check() -> None:
    assert run_cli("check", "--retries", "0", "--timeout", "5", APK).code == 0
