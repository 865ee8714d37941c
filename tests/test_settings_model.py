"""One settings model (issue 19): one table per family of options, one precedence (flag >
environment > config file > default), one treatment of empty values (an empty or blank variable is
not set, for every option, tokens included), one secret refusal, ``--explain`` in every command
that has settings; errors of the library name fields, the command line names flags; exit codes
are one table in ``inspector.cli``. Each behaviour through the library and through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.cli import EXIT_CODES, exit_code_for
from inspector.errors import (
    ArtifactError,
    InternalError,
    InvalidField,
    OutputError,
    UnknownFormatError,
    UsageError,
)
from inspector.settings import Config, load_config, resolve, resolve_service, upload_settings
from inspector.upload import UploadFields, base_urls
from inspector.upload.errors import (
    ApiError,
    NetworkError,
    ProcessingError,
    TokenRejectedError,
    WaitTimeoutError,
)
from tests.applivery_server import ApplivServer
from tests.conftest import FIXTURES, run_cli

APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")
TOKEN = "app-TOKEN-settings-9a7"
SERVICE_VARS = ("APPLIVERY_APP_TOKEN", "APPLIVERY_SERVICE_ACCOUNT_TOKEN", "APPLIVERY_ORGANIZATION_ID",
                "APPLIVERY_APP_ID", "APPLIVERY_UPLOAD_URL", "APPLIVERY_API_URL", "APPLIVERY_TENANT",
                "INSPECTOR_TIMEOUT", "APPLIVERY_TIMEOUT", "INSPECTOR_RETRIES", "INSPECTOR_CONFIG",
                "INSPECTOR_EXPECT_ID", "INSPECTOR_ALLOW_HTTP", "GITHUB_ACTIONS", "GITHUB_OUTPUT")


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    for name in SERVICE_VARS:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


# -- empty values ---------------------------------------------------------------------------------

def test_an_empty_expectation_variable_is_not_set_library() -> None:
    resolved = resolve({}, {"INSPECTOR_EXPECT_ID": "", "INSPECTOR_MIN_DAYS": "  "}, Config(None), None)
    assert resolved.expectations.expect_id is None and resolved.expectations.min_days == 0
    assert resolved.sources["expect-id"] == "default"
    resolved = resolve({}, {"INSPECTOR_EXPECT_ID": "com.x"}, Config(None), None)
    assert resolved.sources["expect-id"] == "environment INSPECTOR_EXPECT_ID"


def test_an_empty_expectation_variable_is_not_set_cli(monkeypatch) -> None:
    # Before: INSPECTOR_EXPECT_ID= failed the gate ("expected ''").
    monkeypatch.setenv("INSPECTOR_EXPECT_ID", "")
    r = run_cli("check", APK)
    assert r.code == 0, r.out + r.err
    monkeypatch.setenv("INSPECTOR_EXPECT_ID", "com.other.*")
    assert run_cli("check", APK).code == 1


def test_an_empty_service_variable_is_not_set_library() -> None:
    env = {"APPLIVERY_APP_TOKEN": "", "INSPECTOR_RETRIES": " ", "INSPECTOR_TIMEOUT": "",
           "APPLIVERY_TIMEOUT": "30"}
    s = resolve_service({}, env, {})
    assert s["token"] is None and s["retries"] == 5 and s.sources["retries"] == "default"
    assert s["timeout"] == 30.0 and s.sources["timeout"] == "environment APPLIVERY_TIMEOUT"


def test_an_empty_token_variable_is_no_token_cli(monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", "")
    r = run_cli("upload", "--no-check", APK)
    assert r.code == 2 and "no token" in r.err


# -- precedence -------------------------------------------------------------------------------------

def test_flag_beats_our_variable_beats_fastlanes_beats_config_beats_default() -> None:
    config = {"timeout": 11, "notify-message": "from config"}
    both = {"INSPECTOR_TIMEOUT": "22", "APPLIVERY_TIMEOUT": "33"}
    assert resolve_service({"timeout": 44.0}, both, config)["timeout"] == 44.0
    s = resolve_service({}, both, config)
    assert s["timeout"] == 22.0 and s.notes == (
        "INSPECTOR_TIMEOUT and APPLIVERY_TIMEOUT are both set: INSPECTOR_TIMEOUT is used",)
    assert resolve_service({}, {"APPLIVERY_TIMEOUT": "33"}, config)["timeout"] == 33.0
    s = resolve_service({}, {}, config)
    assert (s["timeout"], s["notify-message"]) == (11, "from config")
    assert s.sources["timeout"].startswith("config") and s.sources["retries"] == "default"
    assert resolve_service({}, {}, {})["timeout"] == 600.0


def test_a_bad_variable_is_a_usage_error_naming_it_before_any_file_is_read(monkeypatch) -> None:
    monkeypatch.setenv("INSPECTOR_RETRIES", "-1")
    r = run_cli("upload", "--token", TOKEN, "--no-check", "missing.apk")
    assert r.code == 2 and "INSPECTOR_RETRIES" in r.err and "missing.apk" not in r.err
    monkeypatch.setenv("INSPECTOR_RETRIES", "many")
    r = run_cli("check", "missing.apk")
    assert r.code == 2 and "INSPECTOR_RETRIES: expected a whole number" in r.err
    with pytest.raises(UsageError, match="INSPECTOR_RETRIES"):
        resolve_service({}, {"INSPECTOR_RETRIES": "many"}, {})


# -- one secret refusal ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ['[upload]\napi-secret = "x"\n', '[check]\nupload-token = "x"\n',
                                  '[check.android]\npassword = "x"\n'])
def test_a_secret_anywhere_in_the_config_is_refused(tmp_path, text) -> None:
    path = tmp_path / "inspector.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match="a secret does not belong in a config file"):
        load_config(path, tmp_path)
    r = run_cli("check", "--config", str(path), APK)
    assert r.code == 2 and "a secret does not belong in a config file" in r.err and '"x"' not in r.err


def test_a_secret_in_an_upload_section_built_in_code_is_refused() -> None:
    with pytest.raises(UsageError, match="a secret does not belong in a config file"):
        upload_settings({"service_account_token": "x"})


# -- --explain in every command ----------------------------------------------------------------------

@pytest.fixture
def server(monkeypatch):
    with ApplivServer(app_token=TOKEN, lifetime=30) as s:
        monkeypatch.setenv("APPLIVERY_UPLOAD_URL", s.url)
        monkeypatch.setenv("APPLIVERY_API_URL", s.url)
        monkeypatch.setenv("INSPECTOR_ALLOW_HTTP", "1")
        yield s


def _explained(err: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in err.splitlines():
        parts = line.split()
        if line.startswith("  ") and len(parts) >= 3:
            rows[parts[0]] = (parts[1], " ".join(parts[2:]))
    return rows


@pytest.mark.parametrize("command", [("builds",), ("status", "b000001"), ("upload", "--dry-run", APK)])
def test_explain_shows_every_service_setting_and_hides_the_token(server, monkeypatch, tmp_path,
                                                                 command) -> None:
    server.listed = [{"id": "b000001", "status": "processed"}]
    (tmp_path / "inspector.toml").write_text('[upload]\nretries = 3\n')
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    monkeypatch.setenv("APPLIVERY_TIMEOUT", "99")
    if command[0] == "status":
        run_cli("upload", "--no-check", "--no-progress", "--no-git", APK)  # makes b000001
    r = run_cli(*command, "--explain", "--connect-timeout", "5")
    assert r.code == 0, r.err
    rows = _explained(r.err)
    assert rows["token"] == ("set", "(hidden) environment APPLIVERY_APP_TOKEN")
    assert rows["retries"][0] == "3" and "inspector.toml [upload]" in rows["retries"][1]
    assert rows["timeout"] == ("99.0", "environment APPLIVERY_TIMEOUT")
    assert rows["connect-timeout"] == ("5.0", "flag --connect-timeout")
    assert rows["retry-delay"] == ("1.0", "default")
    assert TOKEN not in r.out + r.err


# -- errors name fields; exit codes are one table ----------------------------------------------------

def test_library_errors_name_the_field() -> None:
    with pytest.raises(InvalidField) as caught:
        UploadFields(notify_language="de")
    assert caught.value.field == "notifyLanguage" and "--" not in str(caught.value)
    with pytest.raises(InvalidField) as caught:
        UploadFields(tags=("a,b",))
    assert caught.value.field == "tags"
    with pytest.raises(InvalidField) as caught:
        base_urls(None, "http://127.0.0.1:1", None)
    assert caught.value.field == "upload_url" and "--" not in caught.value.message


def test_the_cli_names_the_flag_or_where_the_value_came_from(monkeypatch, tmp_path) -> None:
    r = run_cli("upload", "--dry-run", "--no-git", "--filter", "a||b", APK)
    assert r.code == 2 and "inspector: error: --filter: an empty group in 'a||b'" in r.err
    monkeypatch.setenv("INSPECTOR_NOTIFY_LANGUAGE", "de")
    r = run_cli("upload", "--dry-run", "--no-git", APK)
    assert r.code == 2 and "inspector: error: INSPECTOR_NOTIFY_LANGUAGE: 'de' is not one of" in r.err
    monkeypatch.delenv("INSPECTOR_NOTIFY_LANGUAGE")
    (tmp_path / "inspector.toml").write_text('[upload]\nbuild-platform = "amiga"\n')
    r = run_cli("upload", "--dry-run", "--no-git", APK)
    assert r.code == 2 and "inspector.toml [upload]: 'amiga' is not one of" in r.err
    r = run_cli("upload", "--dry-run", "--upload-url", "http://127.0.0.1:1", APK)
    assert r.code == 2 and "--upload-url: a plain http:// URL" in r.err and "--allow-http" in r.err


@pytest.mark.parametrize(("error", "code"), [
    (UsageError("x"), 2), (InvalidField("f", "m"), 2), (ArtifactError("x"), 3),
    (UnknownFormatError("x"), 4), (ApiError("x"), 5), (TokenRejectedError("x"), 5),
    (ProcessingError("x"), 6), (NetworkError("x"), 7), (WaitTimeoutError("x"), 8),
    (InternalError("x"), 70), (OutputError("x"), 74)])
def test_exit_codes_are_one_table_in_the_cli(error, code) -> None:
    assert exit_code_for(error) == code
    assert not hasattr(error, "exit_code")  # the library's errors carry no exit code


def test_the_table_lists_subclasses_before_their_bases() -> None:
    kinds = [kind for kind, _ in EXIT_CODES]
    for i, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind


def test_the_library_examples_do_not_need_the_cli() -> None:
    # No module below cli/ imports argparse (test_import_graph) and the settings take mappings.
    import inspector.settings

    assert "argparse" not in Path(inspector.settings.__file__).read_text()


def test_check_explains_the_service_settings_it_reads(server, monkeypatch) -> None:
    monkeypatch.setenv("APPLIVERY_APP_TOKEN", TOKEN)
    r = run_cli("check", "--newer-than-uploaded", "--explain", "--retries", "2", APK)
    assert r.code == 0, r.err
    rows = _explained(r.err)
    assert rows["retries"] == ("2", "flag --retries") and rows["token"][0] == "set"
    assert "expect-id" in rows  # and the gate's own settings
    assert TOKEN not in r.out + r.err
