"""CMS / PKCS#7 SignedData (RFC 5652), read for what inspector reports: the encapsulated
content (a provisioning profile's plist), the certificates, and which of them signed.

Used for APK v1 signature blocks (META-INF/*.RSA|DSA|EC), provisioning profiles, the CMS blob of a
Mach-O code signature and a PKG's installer signature. Nothing here verifies a signature:
:func:`signer_infos` reads what :mod:`inspector.verify.cms` needs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from inspector.containers import der
from inspector.errors import ArtifactError
from inspector.limits import MAX_CMS_CERTIFICATES

__all__ = ["CONTENT_TYPES", "CertificateId", "SignedData", "SignerId", "SignerInfo", "find_certificate",
           "signed_data", "signer_ids", "signer_infos"]

_SIGNED_DATA = "1.2.840.113549.1.7.2"
_SUBJECT_KEY_ID = "2.5.29.14"
#: The content types a reader may meet, by the names RFC 5652 gives them.
CONTENT_TYPES = {
    "1.2.840.113549.1.7.1": "data",
    _SIGNED_DATA: "signed data",
    "1.2.840.113549.1.7.3": "enveloped data",
    "1.2.840.113549.1.7.5": "digested data",
    "1.2.840.113549.1.7.6": "encrypted data",
    "1.2.840.113549.1.9.16.1.2": "authenticated data",
}


class SignedData(NamedTuple):
    """What a SignedData carries, as inspector reads it."""

    #: The encapsulated content's type, dotted (``1.2.840.113549.1.7.1`` is data).
    content_type: str
    #: The encapsulated content; None when the signature is detached (APK v1, code signatures).
    content: bytes | None
    #: The DER of every X.509 certificate in the ``certificates`` field, in their order there.
    certificates: tuple[bytes, ...]
    #: The serial numbers of the signers identified by issuer and serial number.
    signer_serials: tuple[int, ...]

    @property
    def content_type_name(self) -> str:
        return CONTENT_TYPES.get(self.content_type, self.content_type)


class SignerInfo(NamedTuple):
    """One SignerInfo (RFC 5652 section 5.3), with the bytes its signature covers."""

    #: The signer's certificate by issuer and serial: the issuer Name's DER and the serial. None
    #: when the signer is named by subject key identifier instead.
    issuer: bytes | None
    serial: int | None
    #: The subjectKeyIdentifier naming the signer (version 3 signer infos), else None.
    subject_key_id: bytes | None
    #: The digest algorithm's OID (dotted).
    digest_algorithm: str
    #: The signed attributes re-encoded as the SET OF that the signature covers (the ``[0]``
    #: IMPLICIT tag replaced by SET's, as RFC 5652 5.4 says); None when there are none.
    signed_attributes: bytes | None
    #: The signed attributes by type OID, each the DER of its values in order (a type repeated in
    #: the blob: the values of every copy).
    attributes: dict[str, tuple[bytes, ...]]
    #: The signature algorithm's OID and the DER of its parameters (None when absent or NULL).
    signature_algorithm: str
    signature_parameters: bytes | None
    signature: bytes


def signed_data(data: bytes) -> SignedData:
    """Read a ContentInfo holding SignedData (DER, or BER with indefinite lengths).

    Trailing bytes after the ContentInfo are allowed: profiles and code-signature blobs are often
    padded. A signer info that cannot be read is skipped (inspector reads signer infos only to
    put the signer's certificate first; openssl reads profiles whose signer infos are odd).
    """
    try:
        return _signed_data(data)
    except ArtifactError as exc:
        if not exc.problem.startswith("ASN.1"):
            raise
        raise ArtifactError(f"not a readable CMS/PKCS#7 structure ({exc.problem})") from exc


def signer_infos(data: bytes) -> tuple[SignerInfo, ...]:
    """Every SignerInfo of a ContentInfo holding SignedData, in order, read strictly: a malformed
    signer info raises ArtifactError (a verifier must not skip what it cannot read)."""
    try:
        signers = _signed_data_parts(data)[2]
        return tuple(_signer_info(node) for node in signers.children())
    except ArtifactError as exc:
        if not exc.problem.startswith("ASN.1"):
            raise
        raise ArtifactError(f"not a readable CMS/PKCS#7 signer info ({exc.problem})") from exc


class SignerId(NamedTuple):
    """How a signer info names its certificate: issuer and serial, or a subject key identifier."""

    issuer: bytes | None
    serial: int | None
    subject_key_id: bytes | None


def signer_ids(data: bytes) -> tuple[SignerId, ...]:
    """The signer identifier of every signer info whose identifier can be read, in order: read
    leniently, like :func:`signed_data` (only to put the signer's certificate first)."""
    return _signer_ids(_signed_data_parts(data)[2])


class CertificateId:
    """The parts of a certificate a signer info is matched against and verified with."""

    __slots__ = ("encoded", "issuer", "key_id", "serial", "spki")

    def __init__(self, encoded: bytes, issuer: bytes, serial: int, key_id: bytes | None,
                 spki: bytes) -> None:
        self.encoded, self.issuer, self.serial, self.key_id, self.spki = (
            encoded, issuer, serial, key_id, spki)

    @classmethod
    def read(cls, encoded: bytes) -> CertificateId:
        try:
            tbs = der.read(encoded).expect(der.SEQUENCE, "a certificate").children()[0]
            fields = tbs.expect(der.SEQUENCE, "the to-be-signed certificate").children()
            if fields and fields[0].is_(0, der.CONTEXT):
                fields = fields[1:]
            if len(fields) < 6:
                raise ArtifactError("ASN.1: the to-be-signed certificate is missing fields")
            key_id = None
            for field in fields[6:]:
                if field.is_(3, der.CONTEXT):
                    key_id = _subject_key_id(field)
            return cls(encoded, fields[2].encoded, der.decode_integer(fields[0]), key_id,
                       fields[5].encoded)
        except (ArtifactError, IndexError) as exc:
            problem = exc.problem if isinstance(exc, ArtifactError) else "too few fields"
            raise ArtifactError(f"not a readable X.509 certificate in the CMS blob ({problem})") from exc


def _subject_key_id(extensions: der.Node) -> bytes | None:
    for extension in extensions.children()[0].children():
        parts = extension.children()
        if parts and der.decode_oid(parts[0]) == _SUBJECT_KEY_ID:
            return der.read(parts[-1].content).expect(der.OCTET_STRING, "a key identifier").content
    return None


def find_certificate(certificates: Sequence[CertificateId], signer: SignerInfo | SignerId
                     ) -> CertificateId | None:
    """The certificate a signer identifier names: by subject key identifier, else by issuer AND
    serial number (RFC 5652 5.3), the issuer compared as RFC 5280 7.1 compares names."""
    for certificate in certificates:
        if signer.subject_key_id is not None:
            if certificate.key_id == signer.subject_key_id:
                return certificate
        elif certificate.serial == signer.serial and signer.issuer is not None and (
                _name_key(certificate.issuer) == _name_key(signer.issuer)):
            return certificate
    return None


def _name_key(name: bytes) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A Name as RFC 5280 7.1 compares them: string values case- and space-insensitively,
    whatever string type encodes them (signer infos often write PrintableString where the
    certificate has UTF8String); other values by their encoding."""
    rdns = []
    for rdn in der.read(name).expect(der.SEQUENCE, "a Name").children():
        atvs = []
        for atv in rdn.expect(der.SET, "a relative distinguished name").children():
            parts = atv.expect(der.SEQUENCE, "an attribute").children()
            if len(parts) != 2:
                raise ArtifactError(f"ASN.1: attribute at offset {atv.start} is not a type and a value")
            try:
                value = " ".join(der.decode_string(parts[1]).casefold().split())
            except ArtifactError:
                value = "#" + parts[1].encoded.hex()
            atvs.append((der.decode_oid(parts[0]), value))
        rdns.append(tuple(sorted(atvs)))
    return tuple(rdns)


def _signer_info(node: der.Node) -> SignerInfo:
    fields = node.expect(der.SEQUENCE, "a SignerInfo (SEQUENCE)").children()
    if len(fields) < 5:
        raise ArtifactError(f"ASN.1: the SignerInfo at offset {node.start} is missing fields")
    der.decode_integer(fields[0])  # version: 1 names issuer+serial, 3 a key identifier
    issuer = serial = key_id = None
    sid = fields[1]
    if sid.is_(der.SEQUENCE):
        parts = sid.children()
        if len(parts) != 2:
            raise ArtifactError(f"ASN.1: the signer's issuer and serial at offset {sid.start} "
                                "are not two values")
        issuer = parts[0].expect(der.SEQUENCE, "the issuer Name (SEQUENCE)").encoded
        serial = der.decode_integer(parts[1])
    elif sid.is_(0, der.CONTEXT):
        key_id = sid.content
    else:
        raise ArtifactError(f"ASN.1: unknown signer identifier at offset {sid.start}")
    digest_algorithm, _ = _algorithm(fields[2])
    rest = fields[3:]
    signed = None
    attributes: dict[str, tuple[bytes, ...]] = {}
    if rest and rest[0].is_(0, der.CONTEXT):
        attrs = rest[0]
        # The signature covers the attributes as an explicit SET OF: same content, SET's tag.
        signed = b"\x31" + attrs.encoded[1:]
        attributes = _attributes(attrs)
        rest = rest[1:]
    if len(rest) < 2:
        raise ArtifactError(f"ASN.1: the SignerInfo at offset {node.start} has no signature")
    signature_algorithm, parameters = _algorithm(rest[0])
    signature = rest[1].expect(der.OCTET_STRING, "the signature (OCTET STRING)").content
    return SignerInfo(issuer, serial, key_id, digest_algorithm, signed, attributes,
                      signature_algorithm, parameters, signature)


def _algorithm(node: der.Node) -> tuple[str, bytes | None]:
    parts = node.expect(der.SEQUENCE, "an AlgorithmIdentifier (SEQUENCE)").children()
    if not parts:
        raise ArtifactError(f"ASN.1: empty AlgorithmIdentifier at offset {node.start}")
    parameters = parts[1] if len(parts) > 1 else None
    if parameters is not None and parameters.is_(der.NULL):
        parameters = None
    return der.decode_oid(parts[0]), parameters.encoded if parameters is not None else None


def _attributes(node: der.Node) -> dict[str, tuple[bytes, ...]]:
    out: dict[str, tuple[bytes, ...]] = {}
    for attribute in node.children():
        parts = attribute.expect(der.SEQUENCE, "an Attribute (SEQUENCE)").children()
        if len(parts) != 2:
            raise ArtifactError(f"ASN.1: the attribute at offset {attribute.start} is not a "
                                "type and a SET of values")
        oid = der.decode_oid(parts[0])
        values = parts[1].expect(der.SET, "the attribute's values (SET)").children()
        # RFC 5652 5.3 allows one attribute of a type; a repeated type keeps all its values, so
        # a verifier that wants exactly one (a message digest) sees that there are more.
        out[oid] = out.get(oid, ()) + tuple(v.encoded for v in values)
    return out


def _signed_data_parts(data: bytes) -> tuple[der.Node, list[der.Node], der.Node]:
    """The SignedData's encapsulated content info, its certificates and its signer infos."""
    info = der.read(data, whole=False).expect(der.SEQUENCE, "a CMS ContentInfo (SEQUENCE)")
    parts = info.children()
    if len(parts) < 2:
        raise ArtifactError("CMS ContentInfo has no content")
    kind = der.decode_oid(parts[0])
    if kind != _SIGNED_DATA:
        raise ArtifactError(f"CMS content is {CONTENT_TYPES.get(kind, kind)}, not signed data")
    wrapper = parts[1].expect(0, "the [0] content of a ContentInfo", der.CONTEXT).children()
    if len(wrapper) != 1:
        raise ArtifactError("CMS ContentInfo's [0] holds no single SignedData")
    fields = wrapper[0].expect(der.SEQUENCE, "SignedData (SEQUENCE)").children()
    if len(fields) < 4:
        raise ArtifactError("CMS SignedData is missing fields")
    der.decode_integer(fields[0])  # version
    fields[1].expect(der.SET, "the digest algorithms (SET)")
    certificates: list[der.Node] = []
    signers: der.Node | None = None
    for field in fields[3:]:
        if field.is_(0, der.CONTEXT):
            certificates.extend(c for c in field.children(MAX_CMS_CERTIFICATES, "certificates")
                                if c.is_(der.SEQUENCE))
        elif field.is_(der.SET):
            signers = field
    if signers is None:
        raise ArtifactError("CMS SignedData has no signer infos")
    return fields[2], certificates, signers


def _signed_data(data: bytes) -> SignedData:
    encapsulated, certificates, signers = _signed_data_parts(data)
    content_type, content = _encapsulated(encapsulated)
    return SignedData(content_type, content, tuple(c.encoded for c in certificates),
                      _signer_serials(signers))


def _encapsulated(node: der.Node) -> tuple[str, bytes | None]:
    parts = node.expect(der.SEQUENCE, "the encapsulated content info (SEQUENCE)").children()
    if not parts:
        raise ArtifactError("CMS encapsulated content info is empty")
    content_type = der.decode_oid(parts[0])
    if len(parts) == 1:
        return content_type, None
    explicit = parts[1].expect(0, "the [0] encapsulated content", der.CONTEXT).children()
    if len(explicit) != 1:
        raise ArtifactError("CMS encapsulated content is not one value")
    return content_type, explicit[0].expect(der.OCTET_STRING, "an OCTET STRING").content


def _signer_serials(signers: der.Node) -> tuple[int, ...]:
    return tuple(i.serial for i in _signer_ids(signers) if i.serial is not None)


def _signer_ids(signers: der.Node) -> tuple[SignerId, ...]:
    ids = []
    try:
        infos = signers.children()
    except ArtifactError:
        return ()
    for signer in infos:
        try:
            sid = signer.children()[1]
            if sid.is_(der.SEQUENCE):
                issuer, serial = sid.children()[:2]
                ids.append(SignerId(issuer.encoded, der.decode_integer(serial), None))
            elif sid.is_(0, der.CONTEXT):
                ids.append(SignerId(None, None, sid.content))
        except (ArtifactError, IndexError, ValueError):
            continue
    return tuple(ids)
