"""Differential test: our DER, X.509 and CMS readers against asn1crypto's, blob by blob.

Every certificate and every CMS SignedData that inspecting a fixture or a corpus file reads
(APK v1 blocks and v2/v3 signers, profiles and their DeveloperCertificates, IPA code signatures,
PKG installer signatures) is recorded, then decoded again with asn1crypto, inspector's runtime
reader until it was replaced: every certificate fact and the content, certificates and signer
serials of every SignedData must be the same. asn1crypto is a test-only dependency.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
_SHORT = {
    "common_name": "CN", "country_name": "C", "locality_name": "L", "state_or_province_name": "ST",
    "organization_name": "O", "organizational_unit_name": "OU", "email_address": "EMAILADDRESS",
    "user_id": "UID", "domain_component": "DC", "serial_number": "SERIALNUMBER",
    "street_address": "STREET", "title": "T", "given_name": "GN", "surname": "SN",
}
_FIXED_KEY_BITS = {"ed25519": 256, "ed448": 456, "x25519": 256, "x448": 448}


def _artifacts() -> list[Path]:
    found = [p for p in sorted(FIXTURES.rglob("*")) if p.suffix in _SUFFIXES and p.is_file()]
    found += [p for p in sorted(CORPUS.rglob("*")) if p.suffix in _SUFFIXES and p.is_file()]
    return found


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


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


def _their_name(name: Any) -> str:
    parts = []
    for rdn in reversed(name.chosen):
        parts.append("+".join(
            f"{_SHORT.get(atv['type'].native, atv['type'].native)}="
            f"{inspector.certs._escape(str(atv['value'].native))}" for atv in rdn))
    return ", ".join(parts)


def _their_first(name: Any, field: str) -> str | None:
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native == field:
                return str(atv["value"].native)
    return None


def _their_certificate(der: bytes) -> dict[str, Any]:
    cert = asn1_x509.Certificate.load(der, strict=True)
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
        "subject": _their_name(tbs["subject"]),
        "issuer": _their_name(tbs["issuer"]),
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


@pytest.mark.parametrize("path", _artifacts(), ids=_id)
def test_certificates_and_signed_data_agree_with_asn1crypto(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    certificates, blobs = _recorded(path, monkeypatch)
    monkeypatch.undo()
    for der in _unique(certificates):
        try:
            theirs = _their_certificate(der)
        except _ASN1_ERRORS:
            with pytest.raises(ArtifactError):
                inspector.certs.certificate_from_der(der)
            continue
        ours = inspector.certs.certificate_from_der(der)
        assert {k: getattr(ours, k) for k in theirs} == theirs, der.hex()[:64]
    for blob in _unique(blobs):
        try:
            theirs = _their_signed_data(blob)
        except _ASN1_ERRORS:
            with pytest.raises(ArtifactError):
                cms.signed_data(blob)
            continue
        ours = cms.signed_data(blob)._asdict()
        assert {k: ours[k] for k in theirs} == theirs
