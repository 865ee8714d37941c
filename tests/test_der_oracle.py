"""Differential test: our DER, X.509 and CMS readers against asn1crypto's, blob by blob.

Every certificate and every CMS SignedData that inspecting a fixture or a corpus file reads
(APK v1 blocks and v2/v3 signers, profiles and their DeveloperCertificates, IPA code signatures,
PKG installer signatures) is recorded, then decoded again with asn1crypto, inspector's runtime
reader until it was replaced: every certificate fact and the content, certificates and signer
serials of every SignedData must be the same. asn1crypto is a test-only dependency. The subject
and issuer strings are compared with pyca/cryptography's RFC 4514 rendering (asn1crypto has none
that escapes), so our escaping is checked by another library's, not by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as crypto_x509
from cryptography.x509.oid import NameOID

import inspector.certs
from inspector import inspect
from inspector.containers import cms
from inspector.errors import ArtifactError
from tests.conftest import CORPUS, FIXTURES

asn1_cms = pytest.importorskip("asn1crypto.cms")
asn1_x509 = pytest.importorskip("asn1crypto.x509")

_SUFFIXES = {".apk", ".aab", ".ipa", ".pkg", ".mobileprovision", ".provisionprofile"}
# asn1crypto's own crashes on odd input are errors too.
_ASN1_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError,
                NameError)
#: The short names inspector uses beyond RFC 4514's own (cryptography writes their OIDs).
_SHORT_NAMES = {NameOID.EMAIL_ADDRESS: "EMAILADDRESS", NameOID.SERIAL_NUMBER: "SERIALNUMBER",
                NameOID.TITLE: "T", NameOID.GIVEN_NAME: "GN", NameOID.SURNAME: "SN"}
_FIXED_KEY_BITS = {"ed25519": 256, "ed448": 456, "x25519": 256, "x448": 448}


def _artifacts() -> list[Path]:
    found = [p for p in sorted(FIXTURES.rglob("*")) if p.suffix in _SUFFIXES and p.is_file()]
    found += [p for p in sorted(CORPUS.rglob("*")) if p.suffix in _SUFFIXES and p.is_file()]
    return found


def _recorded(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[bytes], list[bytes]]:
    """The certificate DERs and CMS blobs that inspecting ``path`` hands to our readers."""
    certificates: list[bytes] = []
    blobs: list[bytes] = []

    def spy(store: list[bytes], real: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        def call(data: bytes) -> Any:
            store.append(bytes(data))
            return real(data)
        return call

    monkeypatch.setattr(inspector.certs, "certificate_from_der",
                        spy(certificates, inspector.certs.certificate_from_der))
    monkeypatch.setattr(cms, "signed_data", spy(blobs, cms.signed_data))
    # A broken artifact still hands over what it had read; the format's tests check the error.
    with contextlib.suppress(ArtifactError):
        inspect(path, digest=False)
    return certificates, blobs


def _their_name(name: crypto_x509.Name) -> str:
    """A Name as pyca/cryptography renders it (RFC 4514, its own escaping), RDNs joined by ", "
    as inspector prints them. asn1crypto renders names only for humans (unescaped)."""
    return ", ".join(rdn.rfc4514_string(_SHORT_NAMES) for rdn in reversed(name.rdns))


def _their_first(name: Any, field: str) -> str | None:
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native == field:
                return str(atv["value"].native)
    return None


def _their_certificate(der: bytes) -> dict[str, Any]:
    cert = asn1_x509.Certificate.load(der, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns of over-long attributes; they read
        names = crypto_x509.load_der_x509_certificate(der)
        subject, issuer = _their_name(names.subject), _their_name(names.issuer)
    tbs = cert["tbs_certificate"]
    key = cert.public_key
    algorithm = key.algorithm
    size = _FIXED_KEY_BITS.get(algorithm)
    if size is None:
        try:
            size = key.bit_size
        except _ASN1_ERRORS:
            size = None
    return {
        "subject": subject,
        "issuer": issuer,
        "common_name": _their_first(tbs["subject"], "common_name"),
        "organizational_unit": _their_first(tbs["subject"], "organizational_unit_name"),
        "serial": format(tbs["serial_number"].native, "x"),
        "sha256": hashlib.sha256(der).hexdigest(),
        "sha1": hashlib.sha1(der).hexdigest(),
        "not_before": tbs["validity"]["not_before"].native,
        "not_after": tbs["validity"]["not_after"].native,
        "key_algorithm": algorithm.upper(),
        "key_size": size,
        "signature_algorithm": cert["signature_algorithm"]["algorithm"].native,
        "self_signed": tbs["subject"].dump() == tbs["issuer"].dump(),
    }


def _their_signed_data(blob: bytes) -> dict[str, Any]:
    info = asn1_cms.ContentInfo.load(blob)
    signed = info["content"]
    encap = signed["encap_content_info"]
    content = encap["content"].native
    out: dict[str, Any] = {
        "content_type": encap["content_type"].dotted,
        "content": bytes(content) if content is not None else None,
        "certificates": tuple(c.chosen.dump() for c in signed["certificates"]
                              if c.name == "certificate"),
    }
    # asn1crypto cannot read every signer info openssl reads (corpus signed_plist).
    with contextlib.suppress(_ASN1_ERRORS):
        out["signer_serials"] = tuple(
            s["sid"].chosen["serial_number"].native for s in signed["signer_infos"]
            if s["sid"].name == "issuer_and_serial_number")
    return out


def _unique(blobs: list[bytes]) -> Iterator[bytes]:
    seen: set[bytes] = set()
    for blob in blobs:
        if blob not in seen:
            seen.add(blob)
            yield blob


#: (source, kind) -> at least how many files, certificates and SignedData blobs are compared (the
#: counts of 2026-12, per file: a file may hand over nothing, an unsigned build, but a kind never
#: does). An oracle that stops reading what inspecting hands over fails here.
_MINIMUM = {
    ("fixtures", ".apk"): (35, 38, 31), ("fixtures", ".aab"): (7, 5, 5),
    ("fixtures", ".ipa"): (21, 21, 79), ("fixtures", ".mobileprovision"): (14, 12, 12),
    ("fixtures", ".provisionprofile"): (4, 4, 4), ("fixtures", ".pkg"): (17, 12, 6),
    ("corpus", ".apk"): (33, 28, 22), ("corpus", ".aab"): (2, 2, 2), ("corpus", ".ipa"): (6, 22, 10),
    ("corpus", ".mobileprovision"): (9, 6, 4), ("corpus", ".pkg"): (1, 0, 0),
}


def test_every_kind_of_artifact_has_its_minimum() -> None:
    kinds = {("corpus" if p.is_relative_to(CORPUS) else "fixtures", p.suffix) for p in _artifacts()}
    assert kinds <= set(_MINIMUM)


def _compare(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Compare what inspecting ``path`` reads; the numbers of certificates and blobs compared."""
    certificates, blobs = _recorded(path, monkeypatch)
    monkeypatch.undo()
    compared = [0, 0]
    for der in _unique(certificates):
        compared[0] += 1
        try:
            theirs = _their_certificate(der)
        except _ASN1_ERRORS:
            with pytest.raises(ArtifactError):
                inspector.certs.certificate_from_der(der)
            continue
        ours = inspector.certs.certificate_from_der(der)
        assert {k: getattr(ours, k) for k in theirs} == theirs, (path, der.hex()[:64])
    for blob in _unique(blobs):
        compared[1] += 1
        try:
            theirs = _their_signed_data(blob)
        except _ASN1_ERRORS:
            with pytest.raises(ArtifactError):
                cms.signed_data(blob)
            continue
        ours = cms.signed_data(blob)._asdict()
        assert {k: ours[k] for k in theirs} == theirs, path
    return compared[0], compared[1]


@pytest.mark.parametrize(("source", "kind"), sorted(_MINIMUM))
def test_certificates_and_signed_data_agree_with_asn1crypto(
        source: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = FIXTURES if source == "fixtures" else CORPUS
    if not root.is_dir():
        pytest.skip(f"no {root}")
    files = [p for p in _artifacts() if p.suffix == kind and p.is_relative_to(root)]
    certificates = blobs = 0
    for path in files:
        c, b = _compare(path, monkeypatch)
        certificates, blobs = certificates + c, blobs + b
    assert len(files) >= _MINIMUM[source, kind][0] and certificates >= _MINIMUM[source, kind][1]
    assert blobs >= _MINIMUM[source, kind][2]
