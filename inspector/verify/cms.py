"""Verify a CMS / PKCS#7 SignedData (RFC 5652): each signer's signature, by the certificate the
blob carries for it, over the encapsulated content or a detached content the caller passes.

Used for APK/AAB v1 signature blocks, the CMS blob of an Apple code signature and provisioning
profiles. What is checked, per signer info:

- the signer's certificate is among the blob's certificates (by issuer and serial, or by subject
  key identifier);
- with signed attributes: one ``messageDigest`` equal to the digest of the content, one
  ``contentType`` equal to the encapsulated content type, and the signature over the attributes
  (re-encoded as a SET OF); without them, the signature over the content itself;
- the signature by the certificate's public key: RSA PKCS#1 v1.5, RSA-PSS, ECDSA or DSA with
  MD5, SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512.

Nothing here builds a chain to a trusted root or reads validity dates: Android ignores both when
it installs an app, and the Apple callers judge the chain themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

from inspector.containers import cms, der
from inspector.errors import ArtifactError
from inspector.records.verification import Failure, Verification

__all__ = ["CONTENT_TYPE", "MESSAGE_DIGEST", "SignerResult", "verify_signed_data"]

CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

# Digest algorithm OIDs -> hashlib name.
_DIGESTS = {
    "1.2.840.113549.2.5": "md5",
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
_RSA, _DSA, _EC = "1.2.840.113549.1.1.1", "1.2.840.10040.4.1", "1.2.840.10045.2.1"
_PSS, _MGF1 = "1.2.840.113549.1.1.10", "1.2.840.113549.1.1.8"
# Signature algorithm OIDs -> (key kind, the digest they fix; None: the signer info's digest).
_SIGNATURES: dict[str, tuple[str, str | None]] = {
    _RSA: ("rsa", None),
    "1.2.840.113549.1.1.4": ("rsa", "md5"),
    "1.2.840.113549.1.1.5": ("rsa", "sha1"),
    "1.3.14.3.2.29": ("rsa", "sha1"),
    "1.2.840.113549.1.1.14": ("rsa", "sha224"),
    "1.2.840.113549.1.1.11": ("rsa", "sha256"),
    "1.2.840.113549.1.1.12": ("rsa", "sha384"),
    "1.2.840.113549.1.1.13": ("rsa", "sha512"),
    _PSS: ("rsa-pss", None),
    _DSA: ("dsa", None),
    "1.2.840.10040.4.3": ("dsa", "sha1"),
    "2.16.840.1.101.3.4.3.1": ("dsa", "sha224"),
    "2.16.840.1.101.3.4.3.2": ("dsa", "sha256"),
    "2.16.840.1.101.3.4.3.3": ("dsa", "sha384"),
    "2.16.840.1.101.3.4.3.4": ("dsa", "sha512"),
    _EC: ("ec", None),
    "1.2.840.10045.4.1": ("ec", "sha1"),
    "1.2.840.10045.4.3.1": ("ec", "sha224"),
    "1.2.840.10045.4.3.2": ("ec", "sha256"),
    "1.2.840.10045.4.3.3": ("ec", "sha384"),
    "1.2.840.10045.4.3.4": ("ec", "sha512"),
}


@dataclass(frozen=True, slots=True)
class SignerResult:
    """One signer info of a SignedData and whether it verified.

    ``certificate`` is the DER of the certificate the signer info names (None when the blob does
    not carry it, which is then a failure). ``attributes`` holds the signed attributes by type OID,
    each the DER of its values in order (empty when there are none): a caller reads the ones it
    knows, such as Apple's CDHashes (1.2.840.113635.100.9.1 and .2). ``digest_algorithm`` is the
    hashlib name of the signer info's digest algorithm (None when inspector does not know it).
    """

    verification: Verification
    certificate: bytes | None
    attributes: Mapping[str, tuple[bytes, ...]]
    digest_algorithm: str | None
    #: The signature algorithm's OID (dotted), as the signer info names it.
    signature_algorithm: str = ""
    #: False when the signer info could not be checked at all (its certificate missing, no single
    #: message digest or content type, an algorithm inspector does not know or that does not fit
    #: the key): Android's JAR verifier rejects the whole block then, rather than trying the next
    #: signer info. True when the verdict is the math's (digests and signature).
    well_formed: bool = True


def verify_signed_data(blob: bytes, content: bytes | None = None, *,
                       scheme: str = "cms") -> tuple[SignerResult, ...]:
    """Verify every signer info of the ContentInfo ``blob``, in order.

    ``content`` is the signed content when the blob's signature is detached (an APK's ``.SF``
    file, a code signature's CodeDirectory); without it the encapsulated content is used. Each
    failure names ``scheme`` and the signer's 1-based number. A blob that is not a readable
    SignedData raises ArtifactError; a signature that does not verify is a Failure.
    """
    signed = cms.signed_data(blob)
    infos = cms.signer_infos(blob)
    if content is None:
        content = signed.content
    certificates = [cms.CertificateId.read(c) for c in signed.certificates]
    results = []
    for number, info in enumerate(infos, 1):
        signer = str(number)
        certificate = cms.find_certificate(certificates, info)
        well_formed = True
        try:
            failures = _verify_one(info, certificate, signed.content_type, content)
        except _Malformed as exc:
            failures, well_formed = [str(exc)], False
        results.append(SignerResult(
            verification=Verification.of(
                [Failure(scheme, message, signer=signer) for message in failures]),
            certificate=certificate.encoded if certificate else None,
            attributes=info.attributes,
            digest_algorithm=_DIGESTS.get(info.digest_algorithm),
            signature_algorithm=info.signature_algorithm,
            well_formed=well_formed,
        ))
    return tuple(results)


class _Malformed(Exception):
    """A signer info that cannot be checked at all (see SignerResult.well_formed)."""


def _verify_one(info: cms.SignerInfo, certificate: cms.CertificateId | None, content_type: str,
                content: bytes | None) -> list[str]:
    """What failed for one signer info (empty when it verified); raises _Malformed when it
    cannot be checked."""
    if certificate is None:
        raise _Malformed("the signer's certificate is not in the signature block")
    digest_name = _DIGESTS.get(info.digest_algorithm)
    if digest_name is None:
        raise _Malformed(f"unsupported digest algorithm {info.digest_algorithm}")
    if content is None:
        raise _Malformed("no content to verify: the signature is detached and no content was given")
    if info.signed_attributes is None:
        signed_bytes = content
    else:
        problems = _check_attributes(info, digest_name, content_type, content)
        if problems:
            return problems
        signed_bytes = info.signed_attributes
    return _check_signature(info, digest_name, certificate.spki, signed_bytes)


def _check_attributes(info: cms.SignerInfo, digest_name: str, content_type: str,
                      content: bytes) -> list[str]:
    digests = info.attributes.get(MESSAGE_DIGEST, ())
    types = info.attributes.get(CONTENT_TYPE, ())
    if len(types) != 1:
        raise _Malformed("the signed attributes hold no single content type")
    if len(digests) != 1:
        raise _Malformed("the signed attributes hold no single message digest")
    if der.decode_oid(der.read(types[0])) != content_type:
        # Android tries the next signer info then, as for a digest that does not match.
        return ["the signed content type differs from the encapsulated content's type"]
    problems = []
    try:
        expected = der.read(digests[0]).expect(der.OCTET_STRING, "a message digest").content
    except ArtifactError as exc:
        raise _Malformed(f"malformed message digest attribute ({exc.problem})") from exc
    if not hmac.compare_digest(expected, hashlib.new(digest_name, content).digest()):
        problems.append(f"the content's {digest_name.upper()} digest does not match the signed "
                        "message digest")
    return problems


def _check_signature(info: cms.SignerInfo, digest_name: str, spki: bytes, data: bytes) -> list[str]:
    kind, fixed = _SIGNATURES.get(info.signature_algorithm, (None, None))
    if kind is None:
        raise _Malformed(f"unsupported signature algorithm {info.signature_algorithm}")
    hash_name = fixed or digest_name
    with warnings.catch_warnings():
        # cryptography warns that DSA is deprecated; old APKs are DSA-signed all the same.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _verify_key(info, kind, hash_name, spki, data)


def _verify_key(info: cms.SignerInfo, kind: str, hash_name: str, spki: bytes,
                data: bytes) -> list[str]:
    try:
        key = serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _Malformed(f"the certificate's public key cannot be read ({exc})") from exc
    algorithm = _HASHES[hash_name]()
    try:
        if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(info.signature, data, padding.PKCS1v15(), algorithm)
        elif kind == "rsa-pss" and isinstance(key, rsa.RSAPublicKey):
            pss, algorithm = _pss(info.signature_parameters)
            key.verify(info.signature, data, pss, algorithm)
        elif kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(info.signature, data, ec.ECDSA(algorithm))
        elif kind == "dsa" and isinstance(key, dsa.DSAPublicKey):
            key.verify(info.signature, data, algorithm)
        else:
            raise _Malformed(f"the signature algorithm ({kind}) does not fit the certificate's key")
    except InvalidSignature:
        return [f"the signature does not verify ({kind.upper()} with {hash_name.upper()})"]
    except (ValueError, UnsupportedAlgorithm, IndexError) as exc:
        # IndexError: RSASSA-PSS parameters with an empty field.
        return [f"the signature cannot be checked ({exc or type(exc).__name__})"]
    return []


def _pss(parameters: bytes | None) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """RSASSA-PSS-params (RFC 4055): hash SHA-1, MGF1 with SHA-1 and salt 20 unless given."""
    hash_name, mgf_name, salt = "sha1", "sha1", 20
    if parameters is not None:
        for field in der.read(parameters).expect(der.SEQUENCE, "RSASSA-PSS parameters").children():
            inner = field.children()[0] if field.constructed else None
            if field.is_(0, der.CONTEXT) and inner is not None:
                hash_name = _digest_of(inner)
            elif field.is_(1, der.CONTEXT) and inner is not None:
                parts = inner.children()
                if der.decode_oid(parts[0]) != _MGF1 or len(parts) < 2:
                    raise ValueError("PSS mask generation is not MGF1")
                mgf_name = _digest_of(parts[1])
            elif field.is_(2, der.CONTEXT) and inner is not None:
                salt = der.decode_integer(inner)
    return (padding.PSS(mgf=padding.MGF1(_HASHES[mgf_name]()), salt_length=salt),
            _HASHES[hash_name]())


def _digest_of(algorithm: der.Node) -> str:
    oid = der.decode_oid(algorithm.children()[0])
    name = _DIGESTS.get(oid)
    if name is None:
        raise ValueError(f"unsupported PSS digest algorithm {oid}")
    return name
