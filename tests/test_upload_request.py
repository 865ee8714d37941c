"""The upload request as data: golden field lists of representative requests (names from the spec's
field table), validation of every user field, base URLs, and the redacted renderings."""

from __future__ import annotations

import dataclasses
import json

import pytest

import inspector
from inspector.errors import UsageError
from inspector.summary import summarize
from inspector.upload import prepare
from inspector.upload.request import (
    ICON_MAX_BYTES,
    REDACTED,
    Deployer,
    Secret,
    Target,
    UploadFields,
    base_urls,
    build_details_request,
    build_request,
    icon_content_type,
    list_builds_request,
    parse_filter,
    parse_tags,
)
from tests.conftest import FIXTURES

TOKEN = "tok-SECRET-abc123"
PNG = (FIXTURES / "macho" / "icon-rgb.png").read_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32

DEPLOYER = Deployer(name="GitHub Actions", commitMessage="Fix login", commit="abc123", branch="main",
                    tag="v1.4.2", triggerTimestamp="1764300000000",
                    buildUrl="https://github.com/acme/app/actions/runs/42", ciUrl="https://github.com",
                    repositoryUrl="https://github.com/acme/app", buildNumber="42")
#: Every optional field of the spec's table, set.
EVERYTHING = UploadFields(
    version_name="v1.4.2-rc1", tags=("staging", "sprint-42"), changelog="Fixes\nand more",
    notify_collaborators=True, notify_employees=False, notify_message="New build",
    notify_language="ge", filter=(("group1", "group2"), ("group3",)), deployer=DEPLOYER,
)
SPEC_OPTIONAL_FIELDS = [
    "versionName", "tags", "changelog", "notifyCollaborators", "notifyEmployees", "notifyMessage",
    "notifyLanguage", "filter[0][0]", "filter[0][1]", "filter[1][0]", "deployer.name",
    "deployer.info.commitMessage", "deployer.info.commit", "deployer.info.branch", "deployer.info.tag",
    "deployer.info.triggerTimestamp", "deployer.info.buildUrl", "deployer.info.ciUrl",
    "deployer.info.repositoryUrl", "deployer.info.buildNumber",
]


def integrations() -> Target:
    return Target(Secret(TOKEN))


def workspace() -> Target:
    return Target(Secret(TOKEN), organization="org-7", app="app-9")


def summary_of(path):
    return summarize(inspector.inspect(path, digest=False))


# -- golden field lists ------------------------------------------------------------------------

def test_apk_to_integrations_sends_every_field_in_spec_order() -> None:
    apk = FIXTURES / "apk" / "signed-v1v2v3.apk"
    request = prepare(apk, EVERYTHING, integrations())
    assert request.method == "POST"
    assert request.url == "https://upload.applivery.io/v1/integrations/builds"
    assert request.field_names() == [*SPEC_OPTIONAL_FIELDS, "build"]
    fields = dict(request.fields)
    assert fields["tags"] == "staging,sprint-42"
    assert fields["notifyCollaborators"] == "true" and fields["notifyEmployees"] == "false"
    assert fields["notifyLanguage"] == "ge"
    groups = (fields["filter[0][0]"], fields["filter[0][1]"], fields["filter[1][0]"])
    assert groups == ("group1", "group2", "group3")
    assert fields["deployer.info.triggerTimestamp"] == "1764300000000"
    build = request.files[-1]
    assert (build.name, build.filename, build.content_type) == ("build", "signed-v1v2v3.apk",
                                                               "application/octet-stream")
    assert dict(request.to_json()["headers"]) == {"Authorization": REDACTED, "Accept": "application/json"}


def test_ipa_to_workspace_minimal_sends_only_the_build() -> None:
    request = prepare(FIXTURES / "ios" / "adhoc.ipa", UploadFields(), workspace())
    assert request.url == "https://upload.applivery.io/v1/organizations/org-7/apps/app-9/builds"
    assert request.field_names() == ["build"]  # unset fields are omitted, never sent empty
    assert request.fields == ()


def test_pkg_is_a_macos_custom_platform_filled_from_inspection() -> None:
    pkg = FIXTURES / "pkg" / "product.pkg"
    # The committed PKG has no icon: the service needs one for a build it cannot process.
    with pytest.raises(UsageError, match=r"product\.pkg: a pkg build .* needs --package-icon \(not found"):
        prepare(pkg, UploadFields(version_name="1.2.3 beta"), integrations())
    request = prepare(pkg, UploadFields(version_name="1.2.3 beta", package_icon=PNG), integrations())
    assert request.field_names() == ["buildPlatform", "packageName", "packageVersion", "versionName",
                                     "packageIcon", "build"]
    assert dict(request.fields) == {"buildPlatform": "macos", "packageName": "com.example.fixture",
                                    "packageVersion": "1.2.3", "versionName": "1.2.3 beta"}


def test_pkg_values_are_each_overridable_and_an_icon_is_sent_by_content_type() -> None:
    fields = UploadFields(package_name="com.acme.mac", package_version="9.9", package_icon=JPEG)
    request = prepare(FIXTURES / "pkg" / "product.pkg", fields, integrations())
    assert request.field_names() == ["buildPlatform", "packageName", "packageVersion", "packageIcon", "build"]
    assert dict(request.fields)["packageName"] == "com.acme.mac"
    icon = request.files[0]
    assert (icon.filename, icon.content_type, icon.data) == ("icon.jpg", "image/jpeg", JPEG)


def test_console_build_takes_everything_from_the_user(tmp_path) -> None:
    nsp = tmp_path / "game.nsp"
    nsp.write_bytes(b"PFS0" + b"\x00" * 64)
    fields = UploadFields(build_platform="switch", package_name="com.acme.game", package_version="1.0.7",
                          package_icon=PNG, tags=("nightly",))
    request = prepare(nsp, fields, workspace())
    assert request.field_names() == ["buildPlatform", "packageName", "packageVersion", "tags", "packageIcon",
                                     "build"]
    assert request.files[0].content_type == "image/png"


def test_console_build_missing_values_is_refused_in_one_line_naming_them(tmp_path) -> None:
    nsp = tmp_path / "game.nsp"
    nsp.write_bytes(b"PFS0" + b"\x00" * 64)
    with pytest.raises(UsageError) as info:
        prepare(nsp, UploadFields(build_platform="switch"), integrations())
    message = str(info.value)
    assert "\n" not in message
    assert "--package-name" in message and "--package-version" in message and "--package-icon" in message
    assert "--build-platform" not in message


def test_automatic_formats_send_custom_fields_only_when_given() -> None:
    s = summary_of(FIXTURES / "apk" / "signed-v1v2v3.apk")
    request = build_request("app.apk", UploadFields(package_name="x.y"), integrations(), s)
    assert request.field_names() == ["packageName", "build"]


def test_version_name_is_never_invented() -> None:
    s = summary_of(FIXTURES / "aab" / "bundle-signed.aab")
    request = build_request("app.aab", UploadFields(), integrations(), s)
    assert "versionName" not in request.field_names()


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"notify_language": "de"}, {"notify_language": "EN"}, {"build_platform": "windows"},
    {"tags": ("a,b",)}, {"tags": ("",)}, {"filter": ((),)}, {"package_icon": b"GIF89a..."},
    {"package_icon": b"\x89PNG\r\n\x1a\n" + b"\x00" * ICON_MAX_BYTES},
])
def test_bad_fields_are_refused(kwargs) -> None:
    with pytest.raises(UsageError):
        UploadFields(**kwargs)


def test_german_hint() -> None:
    with pytest.raises(UsageError, match="German is 'ge'"):
        UploadFields(notify_language="de")


def test_unknown_extension_and_profiles_are_refused() -> None:
    with pytest.raises(UsageError, match="accepts only"):
        build_request("notes.txt", UploadFields(build_platform="ps5", package_name="a", package_version="1"),
                      integrations())
    profile = summary_of(FIXTURES / "ios" / "adhoc.mobileprovision")
    with pytest.raises(UsageError, match="not a build"):
        build_request("x.zip", UploadFields(), integrations(), profile)


def test_tar_gz_is_a_build_extension() -> None:
    fields = UploadFields(build_platform="xbox-series", package_name="a", package_version="1",
                          package_icon=PNG)
    assert build_request("game.tar.gz", fields, integrations()).files[-1].filename == "game.tar.gz"


def test_icon_content_type_by_content() -> None:
    assert icon_content_type(PNG) == "image/png"
    assert icon_content_type(JPEG) == "image/jpeg"


def test_parse_filter_and_tags() -> None:
    assert parse_filter("g1,g2|g3") == (("g1", "g2"), ("g3",))
    assert parse_filter(" qa ") == (("qa",),)
    with pytest.raises(UsageError):
        parse_filter("g1,|g3")
    assert parse_tags("staging, sprint-42,") == ("staging", "sprint-42")
    assert parse_tags(["a,b", "c"]) == ("a", "b", "c")


def test_target_needs_both_ids_and_a_token() -> None:
    with pytest.raises(UsageError):
        Target(Secret(TOKEN), organization="o")
    with pytest.raises(UsageError):
        Target(Secret(""))
    with pytest.raises(UsageError):
        Target(Secret(TOKEN), organization="o/../x", app="a")
    with pytest.raises(UsageError, match="whitespace") as info:
        Target(Secret("sec\nret"))
    assert "sec" not in str(info.value)


# -- base URLs ---------------------------------------------------------------------------------

def test_base_urls() -> None:
    assert base_urls() == ("https://upload.applivery.io", "https://api.applivery.io")
    assert base_urls("acme") == ("https://upload.acme.applivery.io", "https://api.acme.applivery.io")
    assert base_urls("apps.acme.com") == ("https://upload.apps.acme.com", "https://api.apps.acme.com")
    assert base_urls("acme", upload_url="http://127.0.0.1:9/", allow_http=True) == (
        "http://127.0.0.1:9", "https://api.acme.applivery.io")
    for url in ("http://127.0.0.1:9", "HTTP://upload.example.com"):
        with pytest.raises(UsageError, match="unencrypted"):
            base_urls(upload_url=url)
    with pytest.raises(UsageError):
        base_urls("acme/evil")
    with pytest.raises(UsageError):
        base_urls(api_url="ftp://x")
    with pytest.raises(UsageError, match="credentials") as info:
        base_urls(upload_url="https://bot:hunter2@upload.example.com")
    assert "hunter2" not in str(info.value)
    with pytest.raises(UsageError, match="no longer takes uploads"):
        base_urls(upload_url="https://api.applivery.io/")


def test_read_requests() -> None:
    t = workspace()
    assert build_details_request(t, "b1").url == \
        "https://api.applivery.io/v1/organizations/org-7/apps/app-9/builds/b1"
    url = list_builds_request(integrations(), version_name="v 1", status="processed", limit=5).url
    assert url == "https://api.applivery.io/v1/integrations/builds?versionName=v+1&status=processed&limit=5"
    with pytest.raises(UsageError):
        build_details_request(t, "../x")


# -- the token never shows ---------------------------------------------------------------------

def test_secret_is_redacted_everywhere() -> None:
    secret = Secret(TOKEN)
    assert TOKEN not in str(secret) and TOKEN not in repr(secret) and TOKEN not in f"{secret}"
    assert secret.reveal() == TOKEN
    target = workspace()
    assert TOKEN not in repr(target)
    request = prepare(FIXTURES / "apk" / "signed-v1v2v3.apk", EVERYTHING, target)
    for text in (repr(request), json.dumps(request.to_json()), request.to_curl()):
        assert TOKEN not in text


def bash_words(command: str) -> list[str]:
    """The words bash makes of a ``curl ...`` command (bash is the oracle: ``$'...'`` included)."""
    import os
    import subprocess

    assert command.startswith("curl ")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
           "APPLIVERY_APP_TOKEN": "$APPLIVERY_APP_TOKEN",
           "APPLIVERY_SERVICE_ACCOUNT_TOKEN": "$APPLIVERY_SERVICE_ACCOUNT_TOKEN"}
    done = subprocess.run(["bash", "-c", "printf '%s\\0' curl " + command.removeprefix("curl ")],
                          capture_output=True, env=env, check=True, timeout=10)
    return done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


def test_curl_rendering_is_a_valid_command() -> None:
    everything = dataclasses.replace(EVERYTHING, package_icon=PNG, package_icon_source="art/icon.png")
    request = prepare(FIXTURES / "pkg" / "product.pkg", everything, integrations())
    words = bash_words(request.to_curl())
    assert words[:4] == ["curl", "--fail-with-body", "-X", "POST"]
    assert "Authorization: Bearer $APPLIVERY_APP_TOKEN" in words
    assert "changelog=Fixes\nand more" in words
    assert words[-2] == "-F" and words[-1].startswith("build=@")
    fields = UploadFields(package_icon=PNG, package_icon_source="art/icon.png")
    words = bash_words(prepare(FIXTURES / "pkg" / "product.pkg", fields, workspace()).to_curl())
    assert "Authorization: Bearer $APPLIVERY_SERVICE_ACCOUNT_TOKEN" in words
    assert "packageIcon=@art/icon.png;type=image/png;filename=icon.png" in words


def test_curl_keeps_hostile_values_on_their_line_and_bash_reads_them_back(tmp_path) -> None:
    hostile = "1.0\n::error::forged\x1b[2J 'q' \u202e"
    build = tmp_path / 'we;ird"name.apk'
    build.write_bytes((FIXTURES / "apk" / "signed-v1v2v3.apk").read_bytes())
    fields = UploadFields(version_name=hostile, changelog="a\r\nb\\c", package_icon=PNG,
                          package_icon_source="art/i;c\"on.png")
    command = prepare(build, fields, integrations()).to_curl()
    lines = command.split("\n")
    assert all(not line.lstrip().startswith("::") and "\x1b" not in line for line in lines)
    words = bash_words(command)
    assert f"versionName={hostile}" in words and "changelog=a\r\nb\\c" in words
    # curl's -F syntax: a path or file name with ; or " is double-quoted, \ and " escaped.
    assert 'packageIcon=@"art/i;c\\"on.png";type=image/png;filename=icon.png' in words
    assert words[-1] == f'build=@"{str(build).replace(chr(34), chr(92) + chr(34))}";' \
                        f'type=application/octet-stream;filename="we;ird\\"name.apk"'
