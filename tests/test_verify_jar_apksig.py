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
