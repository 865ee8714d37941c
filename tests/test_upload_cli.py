"""The upload command's settings: flag > environment > ``[upload]`` config, tokens never from a file;
exit codes; usage errors before anything is sent."""

from __future__ import annotations

import argparse

import pytest

from inspector.cli import EXIT_NETWORK, EXIT_PROCESSING, EXIT_REJECTED, EXIT_WAIT_TIMEOUT, build_parser
from inspector.cli.upload import target_from, upload_settings
from inspector.errors import UsageError
from inspector.upload.response import Build, uploaded_build
from tests.conftest import FIXTURES, run_cli

APK = str(FIXTURES / "apk" / "signed-v1v2v3.apk")


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["upload", APK, *argv])


def test_exit_codes_are_distinct() -> None:
    codes = {0, 1, 2, 3, 4, 70, EXIT_REJECTED, EXIT_PROCESSING, EXIT_NETWORK, EXIT_WAIT_TIMEOUT}
    assert len(codes) == 10


@pytest.mark.parametrize("key", ["token", "app_token", "service-account-token", "api-secret"])
def test_a_token_in_the_config_is_refused(key: str) -> None:
    with pytest.raises(UsageError, match="does not belong in a config file"):
        upload_settings({key: "x"})


def test_config_keys_and_types() -> None:
    assert upload_settings({"tenant": "acme", "notify_language": "en", "retries": 2, "tags": ["a"]}) == \
        {"tenant": "acme", "notify-language": "en", "retries": 2, "tags": ["a"]}
    with pytest.raises(UsageError, match="unknown key"):
        upload_settings({"versionname": "x"})
    with pytest.raises(UsageError, match="wrong type"):
        upload_settings({"retries": "3"})
    with pytest.raises(UsageError, match="wrong type"):
        upload_settings({"retries": True})


def test_target_precedence() -> None:
    env = {"APPLIVERY_APP_TOKEN": "envtok", "APPLIVERY_UPLOAD_URL": "http://127.0.0.1:1",
           "INSPECTOR_ALLOW_HTTP": "1", "INSPECTOR_TRUST_CONFIG_DESTINATION": "acme"}
    t = target_from(args("--token", "flagtok"), env, {"tenant": "acme", "upload-url": "http://127.0.0.1:2"})
    assert t.token.reveal() == "flagtok" and t.api == "integrations"
    assert t.upload_url == "http://127.0.0.1:1" and t.api_url == "https://api.acme.applivery.io"
    t = target_from(args(), env, {})
    assert t.token.reveal() == "envtok"
    env = {"APPLIVERY_APP_TOKEN": "a", "APPLIVERY_SERVICE_ACCOUNT_TOKEN": "s",
           "APPLIVERY_ORGANIZATION_ID": "o", "APPLIVERY_APP_ID": "p"}
    t = target_from(args(), env, {})
    assert t.api == "workspace" and t.token.reveal() == "s"
    t = target_from(args("--token", "flag"), env, {})
    assert t.api == "integrations"
    with pytest.raises(UsageError, match="needs --organization and --app"):
        target_from(args("--service-account-token", "s"), {}, {})
    with pytest.raises(UsageError, match="no token"):
        target_from(args(), {}, {})


def test_usage_errors_send_nothing() -> None:
    assert run_cli("upload", APK, "--notify-language", "de", "--token", "t").code == 2
    assert run_cli("upload", APK, "--no-check").code == 2  # no token (a dry run needs none)
    r = run_cli("upload", "missing.apk", "--token", "t")
    assert r.code == 2 and "no such file" in r.err


def _build(**info) -> Build:
    return Build.from_json({"id": "b1", "status": "processed", "info": info})


def test_the_uploaded_build_as_the_rule_reads_it() -> None:
    # One implementation of "newer than uploaded": the service's build becomes an UploadedBuild,
    # rule UPL002 (test_check.py, test_newer_than_uploaded.py) compares with it.
    assert uploaded_build(_build(android={"versionCode": 42})).build_number == "42"
    assert uploaded_build(_build(ios={"plist": {"CFBundleVersion": "1.2.9"}})).build_number == "1.2.9"
    assert uploaded_build(_build(pkg={"CFBundleVersion": "1"})).build_number == "1"
    shown = uploaded_build(_build())
    assert shown.build_id == "b1" and shown.build_number is None
