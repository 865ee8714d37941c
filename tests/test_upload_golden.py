"""Golden dry runs: the whole ``upload --dry-run`` request (method, URL, headers with the token
redacted, ordered fields, file parts) of four representative uploads, so that a renamed, reordered,
dropped or empty field cannot slip through. The field names are the spec's (upload-api.md); the
field lists themselves are also asserted in tests/test_upload_request.py.

After an intended change: ``INSPECTOR_UPDATE_GOLDEN=1 python -m pytest tests/test_upload_golden.py``,
then read the diff of tests/golden/upload/ before committing it.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import FIXTURES, ROOT, run_cli

GOLDEN = ROOT / "tests" / "golden" / "upload"
TOKEN = "golden-token-7d1e"
EVERY_FIELD = ["--version-name", "v1.4.2-rc1", "--tags", "staging, sprint-42", "--changelog", "Fixes",
               "--notify-collaborators", "--no-notify-employees", "--notify-message", "New build",
               "--notify-language", "ge", "--filter", "group1,group2|group3", "--deployer-name", "Jenkins",
               "--deployer-info", "commitMessage=Fix login", "--deployer-info", "commit=abc123",
               "--deployer-info", "branch=main", "--deployer-info", "tag=v1.4.2",
               "--deployer-info", "triggerTimestamp=1764300000000",
               "--deployer-info", "buildUrl=https://ci.example.com/job/42/",
               "--deployer-info", "ciUrl=https://ci.example.com/",
               "--deployer-info", "repositoryUrl=https://git.example.com/acme/app.git",
               "--deployer-info", "buildNumber=42"]
CASES = {
    "apk-integrations": ("fixtures/apk/signed-v1v2v3.apk", ["--token", TOKEN, *EVERY_FIELD]),
    "ipa-workspace": ("fixtures/ios/adhoc.ipa", ["--service-account-token", TOKEN, "--organization",
                                                 "org-7", "--app", "app-9", "--no-deployer"]),
    "pkg-macos": ("fixtures/pkg/product.pkg", ["--token", TOKEN, "--no-deployer", "--version-name", "1.2.3",
                                               "--package-icon", "fixtures/macho/icon-rgb.png"]),
    "console-switch": ("CONSOLE", ["--token", TOKEN, "--tenant", "acme", "--no-deployer",
                                   "--build-platform", "switch", "--package-name", "com.acme.game",
                                   "--package-version", "1.0.7",
                                   "--package-icon", "fixtures/macho/icon-rgb.png"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_dry_run(name: str, monkeypatch, tmp_path) -> None:
    ci_prefixes = ("APPLIVERY_", "GITHUB_", "GITLAB_", "CI_", "BITRISE", "CIRCLE", "TRAVIS", "BUILDKITE")
    for var in list(os.environ):
        if var.startswith(ci_prefixes):
            monkeypatch.delenv(var)
    monkeypatch.chdir(ROOT)
    path, extra = CASES[name]
    if path == "CONSOLE":
        console = tmp_path / "game.nsp"
        console.write_bytes(b"PFS0" + bytes(60))
        path = str(console)
    result = run_cli("upload", path, "--no-check", "--no-git", "--dry-run", *extra)
    assert result.code == 0, result.err
    assert TOKEN not in result.out + result.err
    doc = result.json
    if name == "console-switch":
        doc["files"][-1]["path"] = "game.nsp"
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("INSPECTOR_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert doc == json.loads(golden.read_text(encoding="utf-8"))


def test_golden_files_hold_the_fixture_icon() -> None:
    doc = json.loads((GOLDEN / "pkg-macos.json").read_text(encoding="utf-8"))
    assert doc["files"][0] == {"name": "packageIcon", "filename": "icon.png", "content_type": "image/png",
                               "size": (FIXTURES / "macho" / "icon-rgb.png").stat().st_size,
                               "source": "fixtures/macho/icon-rgb.png"}
