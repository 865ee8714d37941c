"""Import costs are part of the product: the library must not load what a format does not need."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return set(out.stdout.split())


# That no module of inspector imports a test oracle (androguard, asn1crypto, protobuf) is ruff's
# banned-api rule (TID251, pyproject.toml): what follows is about what loads lazily.
def test_import_inspector_does_not_load_requests() -> None:
    assert "requests" not in _modules_after("import inspector")


def test_inspect_command_and_upload_request_do_not_load_requests() -> None:
    apk = ROOT / "fixtures" / "apk" / "signed-v1v2v3.apk"
    mods = _modules_after("import inspector.upload, inspector.upload.deployer\n"
                          "from inspector.cli import main\n"
                          f"main(['inspect', '--no-hash', {str(apk)!r}])")
    assert "requests" not in mods and "requests_toolbelt" not in mods
    # `inspect` alone does not even load the other commands' modules.
    mods = _modules_after(f"from inspector.cli import main\nmain(['inspect', '--no-hash', {str(apk)!r}])")
    assert "inspector.cli.upload" not in mods and "inspector.upload.request" not in mods
    mods = _modules_after("import inspector.cli.upload\nimport inspector.upload.request")
    assert "requests" not in mods and "requests_toolbelt" not in mods


def test_the_command_line_loads_the_gate_only_when_it_runs() -> None:
    # Building the parser (every command's options) must not load the rules, the records or
    # asn1crypto: `inspector inspect x.pkg` pays only for what it reads.
    mods = _modules_after("import inspector.cli\ninspector.cli.build_parser()")
    assert not any(m.startswith(("inspector.checks", "inspector.summary", "asn1crypto",
                                 "inspector.report.check", "tomllib", "requests")) for m in mods)
    ipa = ROOT / "fixtures" / "ios" / "adhoc.ipa"
    mods = _modules_after(f"import inspector.cli\ninspector.cli.main(['inspect', '--no-hash', {str(ipa)!r}])")
    assert not any(m.startswith(("inspector.checks", "inspector.report.check", "requests")) for m in mods)


def test_no_verify_and_unsigned_bundles_do_not_load_cryptography() -> None:
    # The public-key library is tens of ms of start-up: only a signature to verify pays it.
    signed = ROOT / "fixtures" / "aab" / "bundle-signed.aab"
    unsigned = ROOT / "fixtures" / "aab" / "bundle-unsigned.aab"
    mods = _modules_after(f"import inspector\ninspector.inspect({str(signed)!r}, verify=False)\n"
                          f"inspector.inspect({str(unsigned)!r})")
    assert not any(m.startswith("cryptography") for m in mods)
    mods = _modules_after(f"import inspector\ninspector.inspect({str(signed)!r})")
    assert any(m.startswith("cryptography") for m in mods)
