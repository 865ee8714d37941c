"""inspector.verify.jar against apksigner on AOSP apksig's own v1-only test APKs
(../shared/vectors/apksig/v1-only-*.apk; verdicts recorded by tests/reference/jar/apksig/record.sh
with --min-sdk-version 24): every digest and signature algorithm and key type, multiple signers,
signer infos with broken signed attributes, odd entry names."""

from __future__ import annotations

import pytest

from inspector.containers.zip import ZipArchive
from inspector.verify.jar import verify_jar
from tests.conftest import ROOT

VECTORS = ROOT.parent / "shared" / "vectors" / "apksig"
VERDICTS = ROOT / "tests" / "reference" / "jar" / "apksig" / "verdicts.txt"
#: Where apksigner's verdict rests on something other than the JAR signature.
NOT_JAR = {
    "v1-only-targetSandboxVersion-2.apk": "targetSandboxVersion 2 needs a v2 or later signature: "
                                          "a rule of the APK's schemes (SIG001), not of v1",
}


def _recorded() -> list[tuple[str, bool]]:
    rows = []
    for line in VERDICTS.read_text().splitlines():
        name, verdict, _ = line.split(" ")
        rows.append((name, verdict == "Verifies"))
    return rows


@pytest.mark.parametrize(("name", "expected"), _recorded())
def test_agrees_with_apksigner(name: str, expected: bool) -> None:
    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"apksig vector not present: {path} (../shared/vectors/apksig)")
    if name in NOT_JAR:
        expected = True
    with ZipArchive(path) as archive:
        result = verify_jar(archive, min_sdk=24)
    assert result.verification.verified is expected, result.verification.failures


def test_how_many_compared() -> None:
    rows = _recorded()
    assert len(rows) == 152
    assert sum(1 for _, ok in rows if not ok) == 19


def _min_sdk_rows() -> list[tuple[str, str, bool]]:
    rows = []
    for line in (VERDICTS.parent / "verdicts-min-sdk.txt").read_text().splitlines():
        name, level, verdict = line.split(" ")
        rows.append((name, level, verdict == "Verifies"))
    return rows


NOT_JAR_MIN_SDK = {
    "v1-ec-p256-targetSdk-30.apk": "targetSdk 30 needs a v2 or later signature (SIG001), not v1",
}


@pytest.mark.parametrize(("name", "level", "expected"), _min_sdk_rows())
def test_digest_algorithms_as_each_api_level_reads_them(name: str, level: str,
                                                        expected: bool) -> None:
    import inspector
    from inspector.containers.apk_signing import parse_signing_block, read_signing_block

    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"apksig vector not present: {path} (../shared/vectors/apksig)")
    if name in NOT_JAR_MIN_SDK:
        expected = True
    min_sdk = 24 if level == "24" else (inspector.inspect(path, digest=False, verify=False).min_sdk or 1)
    with ZipArchive(path) as archive:
        raw = read_signing_block(archive.read_raw, archive.central_directory_offset)
        ids = parse_signing_block(raw).ids if raw is not None else ()
        schemes = frozenset(n for n, i in ((2, 0x7109871A), (3, 0xF05368C0)) if i in ids)
        result = verify_jar(archive, apk_signature_schemes=schemes, min_sdk=min_sdk)
    assert result.verification.verified is expected, result.verification.failures


def test_how_many_compared_per_api_level() -> None:
    rows = _min_sdk_rows()
    assert len(rows) == 16
    # Two APKs whose SHA-1 digests are wrong verify from API 18 on, not at their own minSdk.
    assert sum(1 for _, level, ok in rows if level == "own" and not ok) == 5
    assert sum(1 for _, level, ok in rows if level == "24" and not ok) == 3
