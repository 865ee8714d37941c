"""The signing-block verdicts ``inspector diff`` reads instead of a whole verification: they must
agree with the full verification (tests/test_verify_apk.py checks that against apksigner) on
every fixture with a lineage, and refuse a lineage whose bytes were changed."""

from __future__ import annotations

from pathlib import Path

import pytest

import inspector
from inspector.containers.zip import ZipArchive
from inspector.diff import diff, load_side, rotation
from inspector.verify.lineage import block_verdicts
from tests.conftest import FIXTURES

WITH_LINEAGE = [FIXTURES / "diff" / "rotated.apk", FIXTURES / "diff" / "rotated-no-data.apk",
                FIXTURES / "apk" / "rotated-v3-lineage.apk"]
ALL_APKS = sorted((FIXTURES / "apk").glob("*.apk")) + sorted((FIXTURES / "diff").glob("*.apk")) + \
    sorted((FIXTURES / "apk" / "tampered").glob("*.apk"))


@pytest.mark.parametrize("apk", ALL_APKS, ids=lambda p: p.name)
def test_block_verdicts_agree_with_the_full_verification(apk: Path) -> None:
    full = inspector.inspect(apk, digest=False)
    block_signers = [s for s in full.signing.signers if s.scheme != "v1"]  # type: ignore[attr-defined]
    with ZipArchive(apk) as archive:
        verdicts = block_verdicts(archive)
    assert len(verdicts) == len(block_signers)
    for signer, verdict in zip(block_signers, verdicts, strict=True):
        # The full verdict, less the content digests (and the end-of-directory lookup they
        # need), which the block verdict does not read.
        others = [f for f in signer.verification.failures
                  if "digest of the APK's contents" not in f.message
                  and "end of central directory" not in f.message]
        assert verdict.verified is (not others), (apk.name, signer.verification, verdict)
        if signer.lineage and verdict.verified:
            assert signer.lineage_verification.verified is True


def test_the_fixtures_with_a_lineage_are_compared() -> None:
    compared = 0
    for apk in WITH_LINEAGE:
        record = load_side(apk, verify=True)
        lineaged = [s for s in record.signing.signers if s.lineage]
        assert lineaged and all(s.lineage_verification.verified for s in lineaged)
        compared += len(lineaged)
    assert compared == 3


def _tampered(tmp_path: Path, name: str, change: bytes) -> Path:
    apk = FIXTURES / "diff" / "rotated.apk"
    data = bytearray(apk.read_bytes())
    with ZipArchive(apk) as archive:
        block_end = archive.central_directory_offset
    at = data.rfind(change, 0, block_end)
    assert at > 0
    data[at + len(change) // 2] ^= 0x01
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return out


def test_a_lineage_whose_signer_does_not_verify_is_no_proof(tmp_path: Path) -> None:
    from inspector.containers.apk_signing import parse_signing_block, read_signing_block

    with ZipArchive(FIXTURES / "diff" / "rotated.apk") as archive:
        block = parse_signing_block(read_signing_block(archive.read_raw,
                                                       archive.central_directory_offset))
    v3 = next(s for s in block.signers if s.lineage)
    # One bit of the v3 signer's signature over its signed data (which holds the lineage).
    bad = _tampered(tmp_path, "bad-signature.apk", v3.signatures[0][1])
    record = load_side(bad, verify=True)
    signer = next(s for s in record.signing.signers if s.lineage)
    assert signer.lineage_verification is not None and signer.lineage_verification.verified is False
    old = load_side(FIXTURES / "diff" / "old.apk")
    rot = rotation(old, record)
    assert not rot.proven and "did not verify" in rot.reason
    assert diff(old, record).problems


def test_a_changed_lineage_certificate_names_no_baseline(tmp_path: Path) -> None:
    # The old certificate's last copy before the central directory is the v3 lineage's first
    # node (the v3 block follows v2's): changed, it is another certificate.
    old_cert = (FIXTURES / "apk" / "keys" / "release.x509.der").read_bytes()
    record = load_side(_tampered(tmp_path, "bad-node.apk", old_cert), verify=True)
    rot = rotation(load_side(FIXTURES / "diff" / "old.apk"), record)
    assert not rot.proven


def test_the_agreement_covers_both_kinds_of_failure() -> None:
    digest_only = signer_refused = 0
    for apk in ALL_APKS:
        full = inspector.inspect(apk, digest=False)
        with ZipArchive(apk) as archive:
            verdicts = block_verdicts(archive)
        block_signers = [s for s in full.signing.signers if s.scheme != "v1"]  # type: ignore[attr-defined]
        for signer, verdict in zip(block_signers, verdicts, strict=True):
            if signer.verification.verified is False:
                digest_only += bool(verdict.verified)
                signer_refused += not verdict.verified
    assert digest_only >= 2 and signer_refused >= 2, (digest_only, signer_refused)
