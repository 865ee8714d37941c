"""X.509 facts shared by every format: one frozen record per certificate, read with our DER reader."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime

from inspector.containers import cms, der
from inspector.containers.der import Node
from inspector.dates import days_left, expired
from inspector.errors import ArtifactError
from inspector.limits import MAX_INT_DIGITS, MAX_NAME_ATTRIBUTES, charge

__all__ = [
    "Certificate",
    "certificate_from_der",
    "certificates_from_pkcs7",
    "signer_certificate",
]

_ANDROID_DEBUG_SUBJECT = "CN=Android Debug"


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


# Attribute types by OID: the short names of RFC 4514 and X.520 where the report has always used
# them, and the long names for the rest (the names inspector/1 has always printed); any other
# type prints as its dotted OID, as RFC 4514 says.
_NAME_TYPES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.15": "business_category",
    "2.5.4.17": "postal_code",
    "2.5.4.20": "telephone_number",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generation_qualifier",
    "2.5.4.45": "unique_identifier",
    "2.5.4.46": "dn_qualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organization_identifier",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
    "1.3.6.1.4.1.311.60.2.1.1": "incorporation_locality",
    "1.3.6.1.4.1.311.60.2.1.2": "incorporation_state_or_province",
    "1.3.6.1.4.1.311.60.2.1.3": "incorporation_country",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.2.262.1.10.7.20": "name_distinguisher",
}
_COMMON_NAME, _ORGANIZATIONAL_UNIT = "2.5.4.3", "2.5.4.11"

_KEY_ALGORITHMS = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.7": "RSAES_OAEP",
    "1.2.840.113549.1.1.10": "RSASSA_PSS",
    "1.2.840.10040.4.1": "DSA",
    "1.2.840.10045.2.1": "EC",
    "1.2.840.10046.2.1": "DH",
    "1.3.101.110": "X25519",
    "1.3.101.111": "X448",
    "1.3.101.112": "ED25519",
    "1.3.101.113": "ED448",
}
# Named curves by their order's size in bits, as openssl prints it (P-521 is 521 bits, though its
# coordinates take 66 bytes).
_CURVE_BITS = {
    "1.2.840.10045.3.1.1": 192,  # P-192
    "1.3.132.0.33": 224,  # P-224
    "1.2.840.10045.3.1.7": 256,  # P-256
    "1.3.132.0.34": 384,  # P-384
    "1.3.132.0.35": 521,  # P-521
    "1.3.132.0.10": 256,  # secp256k1
    "1.3.36.3.3.2.8.1.1.7": 256,  # brainpoolP256r1
    "1.3.36.3.3.2.8.1.1.11": 384,  # brainpoolP384r1
    "1.3.36.3.3.2.8.1.1.13": 512,  # brainpoolP512r1
}
# Edwards and Montgomery keys have fixed sizes (RFC 7748, RFC 8032).
_FIXED_KEY_BITS = {"ED25519": 256, "ED448": 456, "X25519": 256, "X448": 448}

_SIGNATURE_ALGORITHMS = {
    "1.3.14.3.2.3": "md5_rsa",
    "1.3.14.3.2.29": "sha1_rsa",
    "1.3.14.7.2.3.1": "md2_rsa",
    "1.2.840.113549.1.1.2": "md2_rsa",
    "1.2.840.113549.1.1.4": "md5_rsa",
    "1.2.840.113549.1.1.5": "sha1_rsa",
    "1.2.840.113549.1.1.14": "sha224_rsa",
    "1.2.840.113549.1.1.11": "sha256_rsa",
    "1.2.840.113549.1.1.12": "sha384_rsa",
    "1.2.840.113549.1.1.13": "sha512_rsa",
    "1.2.840.113549.1.1.10": "rsassa_pss",
    "1.2.840.10040.4.3": "sha1_dsa",
    "1.3.14.3.2.13": "sha1_dsa",
    "1.3.14.3.2.27": "sha1_dsa",
    "2.16.840.1.101.3.4.3.1": "sha224_dsa",
    "2.16.840.1.101.3.4.3.2": "sha256_dsa",
    "1.2.840.10045.4.1": "sha1_ecdsa",
    "1.2.840.10045.4.3.1": "sha224_ecdsa",
    "1.2.840.10045.4.3.2": "sha256_ecdsa",
    "1.2.840.10045.4.3.3": "sha384_ecdsa",
    "1.2.840.10045.4.3.4": "sha512_ecdsa",
    "2.16.840.1.101.3.4.3.9": "sha3_224_ecdsa",
    "2.16.840.1.101.3.4.3.10": "sha3_256_ecdsa",
    "2.16.840.1.101.3.4.3.11": "sha3_384_ecdsa",
    "2.16.840.1.101.3.4.3.12": "sha3_512_ecdsa",
    "1.2.840.113549.1.1.1": "rsassa_pkcs1v15",
    "1.2.840.10040.4.1": "dsa",
    "1.2.840.10045.4": "ecdsa",
    "1.3.101.112": "ed25519",
    "1.3.101.113": "ed448",
}


def _attributes(name: Node) -> list[list[tuple[str, str]]]:
    """The RDNs of a Name, most significant first, each a list of (type OID, value text)."""
    rdns = []
    left = MAX_NAME_ATTRIBUTES  # a real name has a handful; each costs a decode
    name_seq = name.expect(der.SEQUENCE, "a Name (SEQUENCE)")
    rdn_nodes = name_seq.children(MAX_NAME_ATTRIBUTES, "name attributes")
    for rdn in rdn_nodes:
        atvs = []
        set_ = rdn.expect(der.SET, "a relative distinguished name (SET)")
        for atv in set_.children(MAX_NAME_ATTRIBUTES, "name attributes"):
            left -= 1
            if left < 0:
                raise ArtifactError(f"ASN.1: more than {MAX_NAME_ATTRIBUTES} name attributes in the "
                                    f"Name at offset {name.start}")
            parts = atv.expect(der.SEQUENCE, "an attribute (SEQUENCE)").children()
            if len(parts) != 2:
                raise ArtifactError(f"ASN.1: attribute at offset {atv.start} is not a type and a value")
            atvs.append((der.decode_oid(parts[0]), _value_text(parts[1])))
        rdns.append(atvs)
    return rdns


def _value_text(node: Node) -> str:
    # A long INTEGER takes the '#hex' form: decimal text costs the square of its length.
    if node.is_(der.INTEGER) and node.end - node.start <= 2 + MAX_INT_DIGITS // 2:
        return str(der.decode_integer(node))
    try:
        return der.decode_string(node)
    except ArtifactError:
        # RFC 4514: a value of a type with no string form is '#' and the hex of its encoding.
        return "#" + node.encoded.hex()


def _first(rdns: list[list[tuple[str, str]]], oid: str) -> str | None:
    return next((value for rdn in rdns for kind, value in rdn if kind == oid), None)


def _rfc4514(rdns: list[list[tuple[str, str]]]) -> str:
    # RFC 4514 writes the most specific RDN first: the reverse of the encoded order.
    return ", ".join(
        "+".join(f"{_NAME_TYPES.get(kind, kind)}={_escape(value)}" for kind, value in rdn)
        for rdn in reversed(rdns)
    )


def _escape(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;' or (ch in "# " and i == 0) or (ch == " " and i == len(value) - 1):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _key(info: Node) -> tuple[str, int | None]:
    """The key algorithm's name and the key's size in bits (None when it cannot be told)."""
    parts = info.expect(der.SEQUENCE, "a SubjectPublicKeyInfo (SEQUENCE)").children()
    if len(parts) != 2:
        raise ArtifactError("ASN.1: SubjectPublicKeyInfo is not an algorithm and a key")
    algorithm_parts = parts[0].expect(der.SEQUENCE, "an AlgorithmIdentifier").children()
    if not algorithm_parts:
        raise ArtifactError("ASN.1: empty AlgorithmIdentifier")
    oid = der.decode_oid(algorithm_parts[0])
    name = _KEY_ALGORITHMS.get(oid, oid)
    bits = parts[1].expect(der.BIT_STRING, "the public key (BIT STRING)").content[1:]
    try:
        if name in ("RSA", "RSASSA_PSS", "RSAES_OAEP"):
            modulus = der.decode_integer(der.read(bits).children()[0])
            return name, _whole_bytes(modulus.bit_length())
        if name == "DSA":
            prime = der.decode_integer(algorithm_parts[1].children()[0])
            return name, _whole_bytes(prime.bit_length())
        if name == "EC":
            parameters = algorithm_parts[1] if len(algorithm_parts) > 1 else None
            if parameters is not None and parameters.is_(der.OID):
                curve = der.decode_oid(parameters)
                if curve in _CURVE_BITS:
                    return name, _CURVE_BITS[curve]
            # Otherwise the point tells: 0x04, then x and y of the field's size in bytes each.
            return name, (len(bits) - 1) // 2 * 8 if bits[:1] == b"\x04" else None
    except (ArtifactError, IndexError):
        return name, None
    return name, _FIXED_KEY_BITS.get(name)


def _whole_bytes(bit_length: int) -> int:
    return (bit_length + 7) // 8 * 8


def certificate_from_der(data: bytes) -> Certificate:
    """Read one DER certificate; raise ArtifactError if it is not one.

    Each call counts against the artifact's certificate budget; a certificate met again (a profile
    or signing block naming one certificate many times) is read once, found by its SHA-256.
    """
    charge("certificates")
    sha256 = hashlib.sha256(data)
    found = _SEEN.get(sha256.digest())
    if found is not None:
        return found
    cert = _read_certificate(data, sha256.hexdigest())
    if len(_SEEN) >= _SEEN_SIZE:
        del _SEEN[next(iter(_SEEN))]
    _SEEN[sha256.digest()] = cert
    return cert


# Certificates read lately, by the SHA-256 of their DER: records are frozen, so sharing is safe;
# a few hundred cover every certificate of one artifact.
_SEEN: dict[bytes, Certificate] = {}
_SEEN_SIZE = 512


def _read_certificate(data: bytes, sha256: str) -> Certificate:
    try:
        cert = der.read(data).expect(der.SEQUENCE, "a certificate (SEQUENCE)").children()
        if len(cert) != 3:
            raise ArtifactError("ASN.1: a certificate is three values (to-be-signed, algorithm, "
                                f"signature), not {len(cert)}")
        tbs = cert[0].expect(der.SEQUENCE, "the to-be-signed certificate").children()
        if tbs and tbs[0].is_(0, der.CONTEXT):
            tbs = tbs[1:]
        if len(tbs) < 6:
            raise ArtifactError("ASN.1: the to-be-signed certificate is missing fields")
        serial, _, issuer_node, validity, subject_node, key_info = tbs[:6]
        times = validity.expect(der.SEQUENCE, "the validity (SEQUENCE)").children()
        if len(times) != 2:
            raise ArtifactError("ASN.1: the validity is not two times")
        subject, issuer = _attributes(subject_node), _attributes(issuer_node)
        key_algorithm, key_size = _key(key_info)
        signature = cert[1].expect(der.SEQUENCE, "the signature algorithm").children()
        if not signature:
            raise ArtifactError("ASN.1: empty signature algorithm")
        signature_oid = der.decode_oid(signature[0])
        serial_number = der.decode_integer(serial)
        not_before, not_after = der.decode_time(times[0]), der.decode_time(times[1])
    except ArtifactError as exc:
        raise ArtifactError(f"not a readable X.509 certificate ({exc.problem})") from exc
    return Certificate(
        subject=_rfc4514(subject),
        issuer=_rfc4514(issuer),
        common_name=_first(subject, _COMMON_NAME),
        organizational_unit=_first(subject, _ORGANIZATIONAL_UNIT),
        serial=format(serial_number, "x"),
        sha256=sha256,
        sha1=hashlib.sha1(data).hexdigest(),
        not_before=not_before,
        not_after=not_after,
        key_algorithm=key_algorithm,
        key_size=key_size,
        signature_algorithm=_SIGNATURE_ALGORITHMS.get(signature_oid, signature_oid),
        # Byte equality of the encoded names (RFC 5280 compares them after normalising; what
        # certificate tools write compares equal either way).
        self_signed=subject_node.encoded == issuer_node.encoded,
    )


def _signer_first(data: bytes) -> list[tuple[Certificate, bytes]]:
    """Every certificate of a CMS SignedData with its DER, in the blob's order except that the
    certificates its signer infos name come first."""
    signed = cms.signed_data(data)
    pairs = [(certificate_from_der(der_bytes), der_bytes) for der_bytes in signed.certificates]
    ids = []
    for der_bytes in signed.certificates:
        with contextlib.suppress(ArtifactError):
            ids.append(cms.CertificateId.read(der_bytes))
    named = set()
    for signer in cms.signer_ids(data):
        # Issuer AND serial, as RFC 5652 says: a serial alone is unique only per issuer.
        with contextlib.suppress(ArtifactError):
            found = cms.find_certificate(ids, signer)
            if found is not None:
                named.add(found.encoded)
    pairs.sort(key=lambda pair: pair[1] not in named)
    return pairs


def certificates_from_pkcs7(data: bytes) -> tuple[Certificate, ...]:
    """Every certificate carried by a PKCS#7 SignedData, signer's certificate first when known."""
    return tuple(cert for cert, _ in _signer_first(data))


def signer_certificate(data: bytes) -> tuple[Certificate, bytes] | None:
    """The certificate that signed a CMS blob (the first one when no signer names it), and its
    DER; None when the blob carries no certificate."""
    return next(iter(_signer_first(data)), None)
