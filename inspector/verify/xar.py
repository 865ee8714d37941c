"""Verify a xar archive (a macOS flat package) in place: the TOC checksum, every member's
archived and extracted checksums, and each signature over the TOC checksum.

What xar and Apple's installer check, in the same terms: the TOC checksum (by the header's
algorithm, over the compressed TOC) must equal the copy in the heap; a ``<signature>`` is RSA
PKCS#1 v1.5 over ``DigestInfo(that algorithm, the TOC checksum)`` by the key of the first
certificate of its ``KeyInfo`` (what ``xar --sign`` / productsign write); an ``<x-signature
style="CMS">`` is a CMS SignedData whose detached content is the TOC checksum. The TOC lists
each member's ``archived-checksum`` (of its stored bytes) and ``extracted-checksum`` (of its
decoded bytes), so a valid signature covers every byte of the archive.

Members are streamed in 1 MiB reads; a stored member's bytes are hashed once for both checksums.
Who issued the leaf certificate (a chain up to Apple's root) is not checked here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.utils import CryptographyDeprecationWarning

from inspector.containers.xar import CHECKSUM_ALGORITHMS, XarArchive, XarMember, XarSignature
from inspector.errors import ArtifactError
from inspector.limits import MAX_INFLATED_BYTES, MAX_PKG_SIGNATURE_BYTES
from inspector.records.verification import Failure
from inspector.verify.cms import verify_signed_data

__all__ = ["SCHEME", "XarVerification", "archived_checksum_matches", "verify_xar"]

#: The ``scheme`` of every failure found here.
SCHEME = "xar"
_CHUNK = 1 << 20
#: Decoding for extracted checksums may produce this many times the file's size (or
#: MAX_INFLATED_BYTES, whichever is more).
_DECODED_PER_FILE_BYTE = 4
_PREHASHED: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class XarVerification:
    """What :func:`verify_xar` found: the failures (none: everything checked verified), what it
    checked, as a report lists it, and what it could not check."""

    failures: tuple[Failure, ...]
    checked: tuple[str, ...]
    warnings: tuple[str, ...]


def verify_xar(xar: XarArchive) -> XarVerification:
    """Check every checksum and signature of an open archive. Reading errors (a member's range
    leaving the file) still raise :class:`ArtifactError`; anything that merely does not match is
    a :class:`Failure`."""
    failures: list[Failure] = []
    checked: list[str] = []
    warnings: list[str] = []
    _toc(xar, failures, checked)
    archived = extracted = 0
    budget = _Budget(xar)
    for member in xar.files():
        a, e = _member(xar, member, budget, failures, warnings)
        archived += a
        extracted += e
    checked.append(f"{archived} archived checksum{'s' if archived != 1 else ''}")
    checked.append(f"{extracted} extracted checksum{'s' if extracted != 1 else ''}")
    for sig in xar.signatures:
        _signature(xar, sig, failures, checked)
    return XarVerification(tuple(failures), tuple(checked), tuple(warnings))


# -- the TOC ---------------------------------------------------------------------------------------
def _toc(xar: XarArchive, failures: list[Failure], checked: list[str]) -> None:
    algorithm = xar.toc_checksum_algorithm
    if algorithm is None or xar.toc_checksum is None:
        if xar.signatures:
            # The signature signs the checksum: without one nothing ties it to this TOC (xar
            # refuses such an archive, rdar://6134714).
            failures.append(Failure(SCHEME, "the header names no TOC checksum, yet the TOC carries "
                                    "a signature: nothing binds the signature to this TOC",
                                    member="TOC checksum"))
        return
    checked.append(f"TOC checksum ({algorithm})")
    if not xar.toc_checksum_matches:
        stored = (xar.toc_checksum_stored or b"").hex()
        failures.append(Failure(
            SCHEME, f"{algorithm} of the TOC is {xar.toc_checksum.hex()}, the heap holds "
            f"{stored}: the TOC was altered or is corrupt", member="TOC checksum"))


# -- members ---------------------------------------------------------------------------------------
class _Budget:
    """What verifying may cost. Members may share heap bytes (``xar --link-same`` points identical
    files at one range): a range is hashed once per algorithm, and hashing more than twice the
    heap means ranges overlap on purpose, which is refused. Decoding (for extracted checksums of
    compressed members) stops at :data:`MAX_INFLATED_BYTES` or four times the file, whichever is
    more: beyond, those checksums are left unchecked, with a warning (the archived checksums still
    cover the stored bytes)."""

    __slots__ = ("decoded_left", "digests", "raw_left")

    def __init__(self, xar: XarArchive) -> None:
        size = xar.size
        self.raw_left = 2 * max(0, size - xar.heap_start)
        self.decoded_left = max(MAX_INFLATED_BYTES, _DECODED_PER_FILE_BYTE * size)
        self.digests: dict[tuple[int, int, str], str] = {}


def _algorithm(member: XarMember, checksum: tuple[str, str] | None, slot: str,
               warnings: list[str]) -> str | None:
    if checksum is None:
        return None
    algorithm = CHECKSUM_ALGORITHMS.get(checksum[0])
    if algorithm is None:
        warnings.append(f"{member.name}: {slot} style {checksum[0][:20]!r} is not checked")
    return algorithm


def _raw_digests(xar: XarArchive, member: XarMember, algorithms: set[str],
                 budget: _Budget) -> dict[str, str]:
    """Hex digests of the member's stored bytes, each range and algorithm hashed once."""
    key = (member.offset, member.length)
    missing = [a for a in sorted(algorithms) if (*key, a) not in budget.digests]
    if missing:
        budget.raw_left -= member.length
        if budget.raw_left < 0:
            raise ArtifactError("members' data ranges overlap: verifying them would read the "
                                "heap more than twice (refused)", member=member.name)
        hashers = [hashlib.new(a) for a in missing]
        _feed_raw(xar, member, hashers)
        for a, h in zip(missing, hashers, strict=True):
            budget.digests[(*key, a)] = h.hexdigest()
    return {a: budget.digests[(*key, a)] for a in algorithms}


def _mismatch(member: XarMember, checksum: tuple[str, str], actual: str, slot: str,
              what: str) -> Failure | None:
    if actual == checksum[1]:
        return None
    return Failure(SCHEME, f"{checksum[0]} of the {what} is {actual}, the TOC says "
                   f"{checksum[1][:128]}", member=member.name, slot=slot)


def _member(xar: XarArchive, member: XarMember, budget: _Budget, failures: list[Failure],
            warnings: list[str]) -> tuple[int, int]:
    """Check one member's archived then extracted checksum; how many of each were checked."""
    archived, extracted = member.archived_checksum, member.extracted_checksum
    if archived is None and extracted is None:
        if member.length:
            warnings.append(f"{member.name}: the TOC gives no checksum of its data, so no "
                            "signature covers it")
        return 0, 0
    a_alg = _algorithm(member, archived, "archived-checksum", warnings)
    x_alg = _algorithm(member, extracted, "extracted-checksum", warnings)
    # Stored bytes are the extracted bytes: one pass over them serves both checksums.
    raw_algs = {a for a in (a_alg, x_alg if member.is_stored else None) if a is not None}
    raw = _raw_digests(xar, member, raw_algs, budget) if raw_algs else {}
    if a_alg is not None and archived is not None:
        failure = _mismatch(member, archived, raw[a_alg], "archived-checksum", "stored bytes")
        if failure is not None:
            # The decoded bytes of altered data say nothing more: one failure per member.
            failures.append(failure)
            return 1, 0
    count = int(a_alg is not None)
    if x_alg is None or extracted is None:
        return count, 0
    if member.is_stored:
        actual = raw[x_alg]
    else:
        budget.decoded_left -= member.size
        if budget.decoded_left < 0:
            warnings.append(f"{member.name}: extracted-checksum not checked (verifying would "
                            "decode more than the budget allows; its archived checksum was)")
            return count, 0
        hasher = hashlib.new(x_alg)
        problem = _feed_decoded(xar, member, hasher)
        if problem is not None:
            failures.append(Failure(SCHEME, problem, member=member.name, slot="extracted-checksum"))
            return count, 1
        actual = hasher.hexdigest()
    failure = _mismatch(member, extracted, actual, "extracted-checksum", "decoded bytes")
    if failure is not None:
        failures.append(failure)
    return count, 1


def archived_checksum_matches(xar: XarArchive, member: XarMember) -> bool | None:
    """Whether the member's stored bytes have the TOC's archived checksum (None: no checksum
    inspector knows). Tells an altered member from one that was corrupt when it was packed."""
    algorithm = _algorithm(member, member.archived_checksum, "archived-checksum", [])
    if algorithm is None or member.archived_checksum is None:
        return None
    hasher = hashlib.new(algorithm)
    _feed_raw(xar, member, [hasher])
    return hasher.hexdigest() == member.archived_checksum[1]


def _feed_raw(xar: XarArchive, member: XarMember, hashers: list[Any]) -> None:
    offset, left = member.offset, member.length
    while left:
        chunk = xar.read_raw(offset, min(left, _CHUNK))
        if not chunk:
            raise ArtifactError("the file ends inside the member's data", member=member.name)
        for h in hashers:
            h.update(chunk)
        offset += len(chunk)
        left -= len(chunk)


def _feed_decoded(xar: XarArchive, member: XarMember, hasher: Any) -> str | None:
    """Hash the decoded stream; the problem when it does not decode (corrupt, or longer or
    shorter than the TOC's ``size``)."""
    try:
        with xar.open(member.name) as stream:
            while chunk := stream.read(_CHUNK):
                hasher.update(chunk)
    except ArtifactError as exc:
        return f"the data does not decode ({exc.problem})"
    return None


# -- signatures ------------------------------------------------------------------------------------
def _where(sig: XarSignature) -> str:
    return f"<{sig.element} style={sig.style[:20]!r}>"


def _signature(xar: XarArchive, sig: XarSignature, failures: list[Failure],
               checked: list[str]) -> None:
    where = _where(sig)
    is_cms = sig.element == "x-signature" or sig.style.upper() == "CMS"
    checksum = xar.toc_checksum
    algorithm = xar.toc_checksum_algorithm
    if checksum is None or algorithm is None:
        return  # already a failure of the TOC: there is nothing signed
    checked.append(f"{'CMS' if is_cms else 'RSA'} signature")
    if sig.size == 0 or sig.size > MAX_PKG_SIGNATURE_BYTES:
        failures.append(Failure(SCHEME, f"the signature is {sig.size} bytes (limit "
                                f"{MAX_PKG_SIGNATURE_BYTES})", member=where))
        return
    blob = xar.read_raw(sig.offset, sig.size)
    if is_cms:
        failures.extend(_verify_cms(blob, checksum, where))
        return
    problem = _verify_rsa(sig, blob, checksum, algorithm)
    if problem is not None:
        failures.append(Failure(SCHEME, problem, member=where, slot=algorithm))


def _verify_cms(blob: bytes, checksum: bytes, where: str) -> list[Failure]:
    """The CMS SignedData's signers over the TOC checksum as detached content."""
    try:
        signers = verify_signed_data(blob, checksum, scheme=SCHEME)
    except ArtifactError as exc:
        return [Failure(SCHEME, f"not a readable CMS SignedData ({exc.problem})", member=where)]
    if not signers:
        return [Failure(SCHEME, "the CMS SignedData has no signer", member=where)]
    return [dataclasses.replace(f, member=where) for s in signers
            for f in s.verification.failures]


def _verify_rsa(sig: XarSignature, blob: bytes, checksum: bytes, algorithm: str) -> str | None:
    if not sig.certificates:
        return "carries no certificate to verify it with"
    try:
        with warnings.catch_warnings():
            # A serial number or encoding cryptography frowns upon is still the signer's.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            key = x509.load_der_x509_certificate(sig.certificates[0]).public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"its first certificate cannot be read by cryptography ({exc})"
    if not isinstance(key, rsa.RSAPublicKey):
        return "its certificate's key is not an RSA key"
    try:
        key.verify(blob, checksum, padding.PKCS1v15(), utils.Prehashed(_PREHASHED[algorithm]()))
    except InvalidSignature:
        return ("the RSA signature over the TOC checksum does not verify with the key of its "
                "certificate: the TOC or the signature was altered")
    return None
