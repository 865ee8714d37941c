"""The JAR (v1) signature shared by APKs and AABs: ``META-INF/<NAME>.SF`` + a PKCS#7 block."""

from __future__ import annotations

import re

from inspector import certs as x509
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.records.android import Signer

__all__ = ["v1_signers"]

_BLOCK = re.compile(r"^META-INF/([^/]+)\.(RSA|DSA|EC)$", re.IGNORECASE)
#: Signature blocks are a few KB; a large one is not a signature.
_BLOCK_LIMIT = 1 << 20


def v1_signers(archive: ZipArchive) -> tuple[Signer, ...]:
    """One Signer per signature block that has its ``.SF`` beside it, in archive order.

    A block without its signature file does not sign anything (the platform ignores it), so it is
    skipped. A block that is not PKCS#7 raises ArtifactError naming the member.
    """
    names = set(archive.names)
    upper = {n.upper(): n for n in names}
    signers = []
    for name in archive.names:
        match = _BLOCK.match(name)
        if not match:
            continue
        signer_name = match.group(1)
        if f"META-INF/{signer_name}.SF".upper() not in upper:
            continue
        data = archive.read(name, limit=_BLOCK_LIMIT)
        try:
            certs = x509.certificates_from_pkcs7(data)
        except ArtifactError as exc:
            raise exc.in_member(name) from exc.__cause__
        signers.append(Signer(scheme="v1", name=signer_name, certificates=certs))
    return tuple(signers)
