"""SIG001 and GEN006 on verified signatures, and how reports say what was (not) verified."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector import inspect
from inspector.checks import Expectations, check
from inspector.records.android import AndroidApp
from inspector.report import render_text
from tests.conftest import CORPUS, FIXTURES

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SIGNED = FIXTURES / "apk" / "signed-v1v2v3.apk"
TAMPERED = FIXTURES / "apk" / "tampered" / "so-byte.apk"
RELEASE = "038656368523fb92010a551f1210a06ad14aab17c2045100e6f14d33e48bf06c"
VECTORS = CORPUS.parent / "vectors" / "apksig"


def _findings(path: Path, *, verify: bool = True, **expect: object) -> list[tuple[str, str, str]]:
    record = inspect(path, digest=False, verify=verify)
    result = check(record, Expectations(**expect), NOW)  # type: ignore[arg-type]
    return [(f.code, f.severity, f.message) for f in result.findings]


def test_pin_on_a_verified_signature_passes() -> None:
    assert _findings(SIGNED, cert_sha256=(RELEASE,)) == []


def test_pin_on_a_signature_that_does_not_verify_is_an_error() -> None:
    found = _findings(TAMPERED, cert_sha256=(RELEASE,))
    gen006 = [f for f in found if f[0] == "GEN006"]
    assert len(gen006) == 1 and gen006[0][1] == "error"
    assert "does not verify" in gen006[0][2] and "lib/arm64-v8a/libfoo.so" in gen006[0][2]
    sig001 = [f for f in found if f[0] == "SIG001"]
    assert sig001 and all(f[1] == "error" for f in sig001)
    assert any(m.startswith("v2 signer 1: slot CHUNKED_SHA256") for _, _, m in sig001)


def test_pin_without_verification_says_it_cannot_be_confirmed() -> None:
    found = _findings(TAMPERED, verify=False, cert_sha256=(RELEASE,))
    assert found == [("GEN006", "warning",
                      f"pinned certificate 'Inspector Fixture Release' (SHA-256 {RELEASE}) cannot "
                      "be confirmed: its signature was not verified (verification was turned off)")]


def test_unpinned_certificate_is_still_an_error() -> None:
    found = _findings(SIGNED, cert_sha256=("00" * 32,))
    assert [(c, s) for c, s, _ in found] == [("GEN006", "error")]


def test_sdk_range_without_a_verified_signature_fails_sig001() -> None:
    # v2 only with minSdk 21: API 21-23 read v1, which is absent (apksigner: DOES NOT VERIFY).
    found = _findings(FIXTURES / "apk" / "v2-only.apk")
    assert ("SIG001", "error",
            "sdk-range: API 21-23: no signature a device of that level reads") in found


def test_text_report_marks_each_signer() -> None:
    record = inspect(TAMPERED, digest=False)
    text = render_text(record, NOW)
    assert "v1, v2, v3  DOES NOT VERIFY: v1: lib/arm64-v8a/libfoo.so: slot SHA256" in text
    assert "    v2           DOES NOT VERIFY: v2 signer 1: slot CHUNKED_SHA256" in text
    off = render_text(inspect(SIGNED, digest=False, verify=False), NOW)
    assert "v1, v2, v3  not verified (--no-verify)" in off


def test_check_text_says_verification_was_off() -> None:
    proc = subprocess.run([sys.executable, "-m", "inspector", "check", "--no-verify",
                           str(SIGNED)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "  note     signatures not verified (--no-verify)" in proc.stdout.splitlines()


def test_lineage_verdicts_of_apksig_vectors() -> None:
    good = VECTORS / "v1v2v3-with-rsa-2048-lineage-3-signers.apk"
    bad = VECTORS / "v31-2elem-incorrect-lineage.apk"
    if not good.exists():
        pytest.skip(f"no apksig vectors at {VECTORS}")
    record = inspect(good, digest=False)
    assert isinstance(record, AndroidApp)
    (v3,) = [s for s in record.signing.signers if s.scheme == "v3"]
    assert len(v3.lineage) == 3
    assert v3.lineage_verification is not None and v3.lineage_verification.verified is True
    record = inspect(bad, digest=False)
    assert isinstance(record, AndroidApp)
    for s in record.signing.signers:
        if s.scheme in ("v3", "v3.1"):
            assert s.lineage_verification is not None
            assert s.lineage_verification.verified is False
            assert s.verification is not None and s.verification.verified is False
