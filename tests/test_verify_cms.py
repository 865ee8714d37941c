"""inspector.verify.cms against openssl: every fixture blob (fixtures/cms, made by make.sh there)
verified over its content and a tampered copy, each verdict compared with the one
tests/reference/cms/record.sh recorded from `openssl cms -verify -noverify`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from inspector.containers import der
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.verify.cms import MESSAGE_DIGEST, verify_signed_data
from tests.conftest import FIXTURES, ROOT

CMS = FIXTURES / "cms"
VERDICTS = ROOT / "tests" / "reference" / "cms" / "verdicts.txt"


def _recorded() -> list[tuple[str, str, bool]]:
    rows = []
    for line in VERDICTS.read_text().splitlines():
        blob, content, verdict = line.split(" ", 2)
        rows.append((blob, content, verdict == "Verification successful"))
    return rows


def test_every_blob_agrees_with_openssl() -> None:
    compared = 0
    for blob, content, expected in _recorded():
        data = (CMS / blob).read_bytes()
        detached = None if content == "-" else (CMS / content).read_bytes()
        results = verify_signed_data(data, detached, scheme="test")
        assert len(results) == 1
        assert results[0].verification.verified is expected, (blob, content, results)
        compared += 1
    # 12 blobs: 11 detached (each over the content and a tampered copy), 1 encapsulated.
    assert compared == 23
    assert len(list(CMS.glob("*.p7"))) == 12


def test_failure_names_scheme_and_signer() -> None:
    data = (CMS / "rsa-sha256-attrs.p7").read_bytes()
    (result,) = verify_signed_data(data, (CMS / "content-tampered.bin").read_bytes(), scheme="v1")
    (failure,) = result.verification.failures
    assert (failure.scheme, failure.signer) == ("v1", "1")
    assert "message digest" in failure.message


def test_bad_signature_says_so() -> None:
    (result,) = verify_signed_data((CMS / "bad-signature.p7").read_bytes(),
                                   (CMS / "content.bin").read_bytes())
    assert "signature does not verify" in result.verification.failures[0].message


def test_signer_certificate_and_attributes() -> None:
    content = (CMS / "content.bin").read_bytes()
    (result,) = verify_signed_data((CMS / "rsa-sha384-keyid.p7").read_bytes(), content)
    cert = x509.load_pem_x509_certificate((CMS / "keys" / "rsa2048.x509.pem").read_bytes())
    assert result.certificate == cert.public_bytes(Encoding.DER)
    assert result.digest_algorithm == "sha384"
    (digest,) = result.attributes[MESSAGE_DIGEST]
    assert der.read(digest).content == hashlib.sha384(content).digest()
    (noattr,) = verify_signed_data((CMS / "rsa-sha1-noattr.p7").read_bytes(), content)
    assert noattr.attributes == {}


def test_detached_without_content_is_a_failure() -> None:
    (result,) = verify_signed_data((CMS / "ec-p256-sha256.p7").read_bytes())
    assert result.verification.verified is False
    assert "no content" in result.verification.failures[0].message


def test_missing_certificate_is_a_failure() -> None:
    (result,) = verify_signed_data((CMS / "rsa-sha256-nocerts.p7").read_bytes(),
                                   (CMS / "content.bin").read_bytes())
    assert result.certificate is None
    assert "certificate is not in" in result.verification.failures[0].message


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", b"not der at all"])
def test_malformed_blob_is_an_artifact_error(garbage: bytes) -> None:
    with pytest.raises(ArtifactError):
        verify_signed_data(garbage, b"x")


def test_truncated_blob_is_an_artifact_error() -> None:
    data = (CMS / "dsa-sha256.p7").read_bytes()
    with pytest.raises(ArtifactError):
        verify_signed_data(data[: len(data) // 2], b"x")


def test_android_fixture_blocks_verify_over_their_sf() -> None:
    compared = 0
    for path in sorted(Path(FIXTURES / "apk").glob("*.apk")) + sorted((FIXTURES / "aab").glob("*.aab")):
        with ZipArchive(path) as archive:
            for name in archive.names:
                if name.startswith("META-INF/") and name.rsplit(".", 1)[-1] in ("RSA", "EC", "DSA"):
                    sf = archive.read(name.rsplit(".", 1)[0] + ".SF")
                    results = verify_signed_data(archive.read(name), sf)
                    assert all(r.verification.verified for r in results), (path, name)
                    assert not any(r.verification.verified
                                   for r in verify_signed_data(archive.read(name), sf + b"\n"))
                    compared += 1
    assert compared >= 10
