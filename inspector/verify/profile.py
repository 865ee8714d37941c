"""Verify a provisioning profile's CMS signature over the plist it encapsulates: a profile whose
content was changed after Apple signed it fails here. Only the signature is checked, by the
certificate the CMS carries; the chain from that certificate to Apple's root is not (inspector
ships no trust store).
"""

from __future__ import annotations

from inspector.errors import ArtifactError
from inspector.records.verification import Failure, Verification, not_checked

__all__ = ["SCHEME", "verify_profile_bytes"]

SCHEME = "profile"


def verify_profile_bytes(data: bytes, member: str | None = None) -> Verification:
    """The verdict on a profile's bytes: verified, failed (what failed), or not checked for a
    bare plist, which carries no signature."""
    from inspector.verify.cms import verify_signed_data

    if not data or data[0] != 0x30:
        return not_checked("a bare plist: the profile carries no signature")
    try:
        signers = verify_signed_data(data, scheme=SCHEME)
    except ArtifactError as exc:
        return Verification.of([Failure(SCHEME, f"CMS signature unreadable: {exc.problem}",
                                        member=member)])
    if not signers:
        return Verification.of([Failure(SCHEME, "the CMS has no signer", member=member)])
    failures = [Failure(f.scheme, f.message, signer=f.signer, member=member)
                for signer in signers for f in signer.verification.failures]
    return Verification.of(failures)
