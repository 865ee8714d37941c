"""X.509 facts shared by every format: one frozen record per certificate, read with asn1crypto."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, x509

from inspector.errors import ArtifactError
from inspector.records.base import days_left, expired

__all__ = [
    "ASN1_ERRORS",
    "Certificate",
    "certificate_from_der",
    "certificates_from_pkcs7",
    "signed_data_from_der",
]

_ANDROID_DEBUG_SUBJECT = "CN=Android Debug"
# asn1crypto computes bit_size from curve primes it does not have for the Edwards curves (it
# raises UnboundLocalError): their sizes are fixed (RFC 8032).
_FIXED_KEY_BITS = {"ed25519": 256, "ed448": 456, "x25519": 256, "x448": 448}
# What asn1crypto raises on malformed input, its own bugs on odd input (NameError) included.
ASN1_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError,
                NameError)


@dataclass(frozen=True, slots=True)
class Certificate:
    """The facts a release engineer checks about one X.509 certificate.

    ``subject`` and ``issuer`` are RFC 4514 strings (most specific attribute first, as
    ``openssl x509 -nameopt RFC2253`` prints them); fingerprints are lower-case hex of the DER.
    """

    subject: str
    issuer: str
    common_name: str | None
    organizational_unit: str | None
    serial: str
    sha256: str
    sha1: str
    not_before: datetime
    not_after: datetime
    key_algorithm: str
    key_size: int | None
    signature_algorithm: str
    self_signed: bool

    @property
    def is_android_debug(self) -> bool:
        """True for the certificate the Android SDK generates for debug builds."""
        return self.subject.startswith(_ANDROID_DEBUG_SUBJECT) and (
            self.common_name == "Android Debug"
        )

    def days_left(self, now: datetime) -> int:
        """Whole days from ``now`` until ``not_after`` (negative once expired)."""
        return days_left(self.not_after, now)

    def is_expired(self, now: datetime) -> bool:
        return expired(self.not_after, now)

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        extras: dict[str, object] = {"android_debug": self.is_android_debug}
        if now is not None:
            extras["days_left"] = self.days_left(now)
            extras["expired"] = self.is_expired(now)
        return extras


def _first(name: x509.Name, field: str) -> str | None:
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native == field:
                value = atv["value"].native
                return value if isinstance(value, str) else str(value)
    return None


def _rfc4514(name: x509.Name) -> str:
    # asn1crypto's human_friendly is most-significant first; RFC 4514 wants the reverse.
    parts = []
    for rdn in reversed(name.chosen):
        parts.append(
            "+".join(
                f"{_short_type(atv['type'])}={_escape(str(atv['value'].native))}" for atv in rdn
            )
        )
    return ", ".join(parts)


_SHORT = {
    "common_name": "CN",
    "country_name": "C",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "email_address": "EMAILADDRESS",
    "user_id": "UID",
    "domain_component": "DC",
    "serial_number": "SERIALNUMBER",
    "street_address": "STREET",
    "title": "T",
    "given_name": "GN",
    "surname": "SN",
}


def _short_type(oid: object) -> str:
    native = oid.native  # type: ignore[attr-defined]
    return _SHORT.get(native, native)


def _escape(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;' or (ch in "# " and i == 0) or (ch == " " and i == len(value) - 1):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def certificate_from_der(der: bytes) -> Certificate:
    """Read one DER certificate; raise ArtifactError if it is not one."""
    try:
        cert = x509.Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        subject = tbs["subject"]
        issuer = tbs["issuer"]
        public_key = cert.public_key
        algorithm = public_key.algorithm
        key_size: int | None = _FIXED_KEY_BITS.get(str(algorithm))
        if key_size is None:
            try:
                key_size = public_key.bit_size
            except ASN1_ERRORS:
                key_size = None
        validity = tbs["validity"]
        return Certificate(
            subject=_rfc4514(subject),
            issuer=_rfc4514(issuer),
            common_name=_first(subject, "common_name"),
            organizational_unit=_first(subject, "organizational_unit_name"),
            serial=format(tbs["serial_number"].native, "x"),
            sha256=hashlib.sha256(der).hexdigest(),
            sha1=hashlib.sha1(der).hexdigest(),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            key_algorithm=algorithm.upper() if algorithm != "ec" else "EC",
            key_size=key_size,
            signature_algorithm=cert["signature_algorithm"]["algorithm"].native,
            # Byte equality of the names: asn1crypto's self_signed normalises them with
            # stringprep (~2 ms a certificate), which matters on the IPA path's budget.
            self_signed=subject.dump() == issuer.dump(),
        )
    except ArtifactError:
        raise
    except ASN1_ERRORS as exc:
        raise ArtifactError(f"not a readable X.509 certificate ({type(exc).__name__}: {exc})") from exc


def signed_data_from_der(data: bytes) -> cms.SignedData:
    """Load a CMS/PKCS#7 ContentInfo (DER or BER) and return its SignedData."""
    try:
        info = cms.ContentInfo.load(data)
        if info["content_type"].native != "signed_data":
            raise ArtifactError(f"CMS content is {info['content_type'].native}, not signed data")
        signed = info["content"]
        # Parse the outer structure now so that malformed input fails here; the parts are parsed
        # when read (a full .native walk costs milliseconds per profile on the IPA path).
        signed["version"].native  # noqa: B018
        signed["encap_content_info"]["content_type"].native  # noqa: B018
        return signed
    except ArtifactError:
        raise
    except ASN1_ERRORS as exc:
        raise ArtifactError(f"not a readable CMS/PKCS#7 structure ({exc})") from exc


def certificates_from_pkcs7(data: bytes) -> tuple[Certificate, ...]:
    """Every certificate carried by a PKCS#7 SignedData, signer's certificate first when known."""
    signed = signed_data_from_der(data)
    try:
        certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
        signer_serials = []
        for signer in signed["signer_infos"]:
            sid = signer["sid"]
            if sid.name == "issuer_and_serial_number":
                signer_serials.append(sid.chosen["serial_number"].native)
        certs.sort(key=lambda c: 0 if c.serial_number in signer_serials else 1)
        ders = [c.dump() for c in certs]
    except ASN1_ERRORS as exc:
        raise ArtifactError(f"not a readable CMS/PKCS#7 structure ({exc})") from exc
    return tuple(certificate_from_der(der) for der in ders)
