"""CMS / PKCS#7 SignedData (RFC 5652), read for what inspector reports: the encapsulated
content (a provisioning profile's plist), the certificates, and which of them signed.

Used for APK v1 signature blocks (META-INF/*.RSA|DSA|EC), provisioning profiles, the CMS blob of a
Mach-O code signature and a PKG's installer signature. Nothing here verifies a signature.
"""

from __future__ import annotations

from typing import NamedTuple

from inspector.containers import der
from inspector.errors import ArtifactError
from inspector.limits import MAX_CMS_CERTIFICATES

__all__ = ["CONTENT_TYPES", "SignedData", "signed_data"]

_SIGNED_DATA = "1.2.840.113549.1.7.2"
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


def _signed_data(data: bytes) -> SignedData:
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
    content_type, content = _encapsulated(fields[2])
    certificates: list[bytes] = []
    signers: der.Node | None = None
    for field in fields[3:]:
        if field.is_(0, der.CONTEXT):
            certificates.extend(c.encoded for c in field.children(MAX_CMS_CERTIFICATES, "certificates")
                                if c.is_(der.SEQUENCE))
        elif field.is_(der.SET):
            signers = field
    if signers is None:
        raise ArtifactError("CMS SignedData has no signer infos")
    return SignedData(content_type, content, tuple(certificates), _signer_serials(signers))


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
    serials = []
    try:
        infos = signers.children()
    except ArtifactError:
        return ()
    for signer in infos:
        try:
            sid = signer.children()[1]
            if sid.is_(der.SEQUENCE):
                serials.append(der.decode_integer(sid.children()[1]))
        except (ArtifactError, IndexError):
            continue
    return tuple(serials)
