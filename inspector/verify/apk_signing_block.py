"""Verify the signers of APK Signature Schemes v2, v3 and v3.1 as Android and apksig do.

For each signer: its signatures over the signed data (the strongest per platform level, as
apksig picks them), with the key it carries; that key equal to its certificate's; the digest
list naming the same algorithms as the signature list; (v3/v3.1) the SDK range inside and outside
the signed data equal, and the proof-of-rotation lineage (each node signed by the one before, the
last node the signer's certificate). Then the content digests the verified signatures commit to,
computed by :mod:`inspector.verify.content_digest` over the file. A failure is a
:class:`Failure` naming the scheme, the signer (1-based, as the report numbers them) and what failed.
"""

from __future__ import annotations

import hmac
import struct
import warnings
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

from inspector.containers import der
from inspector.containers.apk_signing import (
    CONTENT_DIGESTS,
    SIGNATURE_ALGORITHMS,
    VERITY_CHUNKED_SHA256,
    BlockSigner,
    LineageEntry,
    SignatureAlgorithm,
)
from inspector.errors import ArtifactError
from inspector.records.verification import Failure

__all__ = [
    "SignerCheck",
    "check_digests",
    "check_signer",
    "check_v3_ranges",
    "signature_verifies",
]

#: The first platform level of each kind of signature algorithm (apksig: N for the chunked
#: algorithms, P for the verity ones); a device older than that ignores the signature.
_ALGORITHM_MIN_SDK = {1: 24, 2: 24, 3: 28}
#: Content digest strength order, apksig's: SHA-512 chunks > verity SHA-256 > SHA-256 chunks.
_STRENGTH = {1: 0, 3: 1, 2: 2}
_HASHES = {"sha256": hashes.SHA256, "sha512": hashes.SHA512}
#: v2 additional attribute: the signer also signed with the scheme whose id it holds (stripping
#: protection: a v2 signature that says v3 was there fails when the v3 block was removed).
STRIPPING_PROTECTION = 0xBEEFF00D
_SCHEME_BY_ID = {2: "v2", 3: "v3"}
#: v3.1 signer attribute: the rotation targets a development release (its min may equal the
#: previous signer's max).
ROTATION_ON_DEV_RELEASE = 0xC2A6B3BA
#: v3 signer attribute: the API level the v3.1 block's rotation starts at.
ROTATION_MIN_SDK = 0x559F8B02


class SignerCheck(NamedTuple):
    """What checking one signer's structure and signatures found, before the content digests."""

    failures: tuple[Failure, ...]
    lineage_failures: tuple[Failure, ...]
    #: content digest algorithm id -> the digest the signer claims, for the verified signatures
    digests: dict[int, bytes]


def signature_verifies(spki: bytes, algorithm: SignatureAlgorithm, signature: bytes,
                       data: bytes) -> str | None:
    """None when ``signature`` over ``data`` verifies with the key ``spki`` (a DER
    SubjectPublicKeyInfo) under ``algorithm``; otherwise why not, in a few words."""
    digest = _HASHES[algorithm.hash]()
    with warnings.catch_warnings():
        # cryptography warns that DSA is deprecated; DSA-signed APKs exist all the same.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            key = serialization.load_der_public_key(spki)
        except (ValueError, UnsupportedAlgorithm) as exc:
            return f"the public key cannot be read ({exc})"
        try:
            if algorithm.key == "RSA" and isinstance(key, rsa.RSAPublicKey):
                pad: padding.AsymmetricPadding = (
                    padding.PSS(padding.MGF1(_HASHES[algorithm.hash]()), digest.digest_size)
                    if algorithm.padding == "pss" else padding.PKCS1v15())
                key.verify(signature, data, pad, digest)
            elif algorithm.key == "EC" and isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(digest))
            elif algorithm.key == "DSA" and isinstance(key, dsa.DSAPublicKey):
                key.verify(signature, data, digest)
            else:
                return f"a {algorithm.key} signature with a key of another type"
        except InvalidSignature:
            return "the signature over the signed data does not verify"
        except (ValueError, UnsupportedAlgorithm) as exc:
            return f"the signature cannot be checked ({exc})"
    return None


def certificate_public_key(certificate: bytes) -> bytes | None:
    """The DER SubjectPublicKeyInfo of a DER certificate, None when it cannot be read."""
    try:
        tbs = der.read(certificate).children()[0].children()
        if tbs and tbs[0].is_(0, der.CONTEXT):
            tbs = tbs[1:]
        return tbs[5].encoded
    except (ArtifactError, IndexError):
        return None


def _rsa_numbers(spki: bytes) -> tuple[bytes, bytes] | None:
    """An RSA key's modulus and exponent magnitudes, read leniently: a certificate may encode
    its modulus without the leading zero (a "negative" modulus), which Android re-encodes."""
    try:
        algorithm, bits = der.read(spki).children()
        if der.decode_oid(algorithm.children()[0]) != "1.2.840.113549.1.1.1":
            return None
        n, e = der.read(bits.content[1:]).children()
        return n.content.lstrip(b"\0"), e.content.lstrip(b"\0")
    except (ArtifactError, ValueError, IndexError):
        return None


def same_public_key(certificate_spki: bytes, signer_spki: bytes) -> bool:
    """The key in the signer's record is the certificate's: byte equality, or (RSA) the same
    modulus and exponent however the certificate encoded them."""
    if certificate_spki == signer_spki:
        return True
    a, b = _rsa_numbers(certificate_spki), _rsa_numbers(signer_spki)
    return a is not None and a == b


def _to_verify(known: Sequence[tuple[int, SignatureAlgorithm, bytes]], min_sdk: int,
               max_sdk: int) -> list[tuple[int, SignatureAlgorithm, bytes]] | str:
    """The signatures a platform in ``min_sdk..max_sdk`` checks: per first-supporting level, the
    strongest (apksig's getSignaturesToVerify); a message when no level-``min_sdk`` one exists."""
    best: dict[int, tuple[int, SignatureAlgorithm, bytes]] = {}
    for entry in known:
        level = _ALGORITHM_MIN_SDK[entry[1].content_digest]
        if level > max_sdk:
            continue
        current = best.get(level)
        if current is None or (_STRENGTH[entry[1].content_digest]
                               > _STRENGTH[current[1].content_digest]):
            best[level] = entry
    if not best or min(best) > min_sdk:
        return (f"no signature a platform of API {min_sdk} supports"
                if best else "no signature of a supported algorithm")
    return sorted(best.values(), key=lambda e: e[0])


def _lineage(entries: Sequence[LineageEntry], signing_cert: bytes) -> list[str]:
    """Problems with a proof-of-rotation lineage: each node after the first must be signed by
    the previous node's key with the algorithm the previous node names; no certificate twice;
    the last node is the signer's own certificate."""
    problems: list[str] = []
    seen: set[bytes] = set()
    previous: LineageEntry | None = None
    for number, node in enumerate(entries, 1):
        if previous is not None:
            algorithm = SIGNATURE_ALGORITHMS.get(previous.algorithm)
            spki = certificate_public_key(previous.certificate)
            if algorithm is None:
                problems.append(f"lineage node {number}: unknown signature algorithm "
                                f"0x{previous.algorithm:04x}")
            elif spki is None:
                problems.append(f"lineage node {number - 1}: certificate cannot be read")
            else:
                why = signature_verifies(spki, algorithm, node.signature, node.signed_data)
                if why is not None:
                    problems.append(f"lineage node {number}: not signed by node {number - 1} "
                                    f"({why})")
            if node.signed_algorithm != previous.algorithm:
                problems.append(f"lineage node {number}: signed-data algorithm "
                                f"0x{node.signed_algorithm:04x} differs from node {number - 1}'s "
                                f"0x{previous.algorithm:04x}")
        if node.certificate in seen:
            problems.append(f"lineage node {number}: certificate repeated")
        seen.add(node.certificate)
        previous = node
    if entries and entries[-1].certificate != signing_cert:
        problems.append("the lineage's last certificate is not the signer's")
    return problems


def check_signer(signer: BlockSigner, number: int, min_sdk: int, max_sdk: int, *,
                 present_schemes: Iterable[str] = ()) -> SignerCheck:
    """Check one signer's signatures, key and lists (not the content digests: see
    :func:`check_digests`). ``min_sdk``/``max_sdk`` is the platform range the scheme serves
    (v2: the app's from 24; v3/v3.1: the signer's own). ``present_schemes`` are the schemes in
    the signing block, for v2's stripping protection."""
    scheme = signer.scheme
    label = str(number)

    def failure(message: str, slot: str | None = None) -> Failure:
        return Failure(scheme, message, signer=label, slot=slot)

    failures: list[Failure] = []
    if signer.error is not None:
        return SignerCheck((failure(signer.error),), (), {})
    if scheme != "v2":
        if signer.min_sdk != signer.outer_min_sdk or signer.max_sdk != signer.outer_max_sdk:
            failures.append(failure("the SDK range in the signed data differs from the signer's "
                                    f"({signer.min_sdk}-{signer.max_sdk} against "
                                    f"{signer.outer_min_sdk}-{signer.outer_max_sdk})"))
        if (signer.outer_min_sdk or 0) > (signer.outer_max_sdk or 0) or (signer.outer_min_sdk
                                                                         or 0) < 0:
            failures.append(failure(f"impossible SDK range {signer.outer_min_sdk}-"
                                    f"{signer.outer_max_sdk}"))
    if not signer.signatures:
        return SignerCheck((*failures, failure("no signatures")), (), {})
    known = [(i, SIGNATURE_ALGORITHMS[a], sig) for i, (a, sig) in enumerate(signer.signatures)
             if a in SIGNATURE_ALGORITHMS]
    chosen = _to_verify(known, min_sdk, max_sdk)
    if isinstance(chosen, str):
        return SignerCheck((*failures, failure(chosen)), (), {})
    verified_digests: set[int] = set()
    for _, algorithm, signature in chosen:
        why = signature_verifies(signer.public_key, algorithm, signature, signer.signed_data)
        if why is not None:
            return SignerCheck((*failures, failure(why, slot=algorithm.name)), (), {})
        verified_digests.add(algorithm.content_digest)
    if not signer.certificates:
        return SignerCheck((*failures, failure("no certificates")), (), {})
    spki = certificate_public_key(signer.certificates[0])
    if spki is None:
        failures.append(failure("the certificate cannot be read"))
    elif not same_public_key(spki, signer.public_key):
        failures.append(failure("the public key differs from the certificate's"))
    if [a for a, _ in signer.digests] != [a for a, _ in signer.signatures]:
        failures.append(failure("the digests list names other algorithms than the signatures "
                                "list"))
    if scheme == "v2":
        for ident, value in signer.attributes:
            if ident == STRIPPING_PROTECTION and len(value) >= 4:
                (wanted,) = struct.unpack_from("<I", value)
                name = _SCHEME_BY_ID.get(wanted)
                if name is not None and name not in present_schemes:
                    failures.append(failure(f"signed with {name} too, whose block was removed"))
    lineage_failures = [Failure(scheme, p, signer=label, slot="lineage")
                        for p in _lineage(signer.lineage, signer.certificates[0])]
    claimed: dict[int, bytes] = {}
    for ident, value in signer.digests:
        listed = SIGNATURE_ALGORITHMS.get(ident)
        if listed is not None and listed.content_digest in verified_digests:
            claimed[listed.content_digest] = value
    return SignerCheck((*failures, *lineage_failures), tuple(lineage_failures), claimed)


def check_digests(scheme: str, number: int, claimed: dict[int, bytes],
                  actual: dict[int, bytes]) -> list[Failure]:
    """Compare a signer's claimed content digests with the computed ones."""
    failures = []
    for algorithm, value in claimed.items():
        computed = actual.get(algorithm)
        if computed is None or not hmac.compare_digest(computed, value):
            failures.append(Failure(scheme, "digest of the APK's contents does not match",
                                    signer=str(number), slot=CONTENT_DIGESTS[algorithm]))
    return failures


def check_v3_ranges(signers: Sequence[BlockSigner], scheme: str, min_sdk: int,
                    max_sdk: int) -> list[Failure]:
    """apksig's rules for a v3/v3.1 block: the signers' SDK ranges, ordered, neither overlap nor
    leave holes and cover ``min_sdk``..``max_sdk``; lineages only grow toward newer platforms."""
    ranged = sorted((s for s in signers if s.error is None and s.outer_max_sdk is not None),
                    key=lambda s: s.outer_max_sdk or 0)
    if not ranged:
        return []
    failures = []
    first = ranged[0].outer_min_sdk or 0
    last_max = None
    last_lineage = 0
    for s in ranged:
        lo, hi = s.outer_min_sdk or 0, s.outer_max_sdk or 0
        dev = any(i == ROTATION_ON_DEV_RELEASE for i, _ in s.attributes)
        if last_max is not None and lo != last_max + 1 and not (lo == last_max and dev):
            failures.append(Failure(scheme, f"signers' SDK ranges overlap or leave a hole at "
                                            f"API {last_max + 1}"))
            break
        last_max = hi
        if s.lineage:
            if len(s.lineage) < last_lineage:
                failures.append(Failure(scheme, "a signer for newer platforms has a shorter "
                                                "lineage"))
                break
            last_lineage = len(s.lineage)
    if first > min_sdk or (last_max or 0) < max_sdk:
        failures.append(Failure(scheme, f"signers cover API {first}-{last_max}, not "
                                        f"{min_sdk}-{'any' if max_sdk >= 0x7FFFFFFF else max_sdk}"))
    return failures


def needs_verity(checks: Iterable[SignerCheck]) -> bool:
    return any(VERITY_CHUNKED_SHA256 in c.digests for c in checks)
