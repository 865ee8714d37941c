"""Verify what an APK's signing block claims without digesting its content: each v2/v3/v3.1
signer's signature over its signed data, its key against its certificate, and its v3
proof-of-rotation lineage. The evidence ``inspector diff`` needs to say whether a new signer can
update an old one's installs, at the cost of reading the block alone (KB), not the whole APK."""

from __future__ import annotations

import dataclasses
from typing import Any

from inspector.containers.apk_signing import parse_signing_block, read_signing_block
from inspector.containers.zip import ZipArchive
from inspector.records.verification import Failure, Verification
from inspector.verify.apk_signing_block import check_signer
from inspector.verify.sdk_range import NEWEST, V2_FIRST

__all__ = ["block_verdicts", "with_lineage_verdicts"]


def block_verdicts(archive: ZipArchive) -> tuple[Verification, ...]:
    """One verdict per signing-block signer, in block order: its signatures, key and lineage
    (the content digests are not checked). A lineage counts only beside a signer that verifies:
    a node list is proof only when the key it ends in signed it."""
    raw = read_signing_block(archive.read_raw, archive.central_directory_offset)
    if raw is None:
        return ()
    block = parse_signing_block(raw)
    counts: dict[str, int] = {}
    out = []
    for signer in block.signers:
        counts[signer.scheme] = counts.get(signer.scheme, 0) + 1
        low, high = ((V2_FIRST, NEWEST) if signer.scheme == "v2"
                     else (signer.outer_min_sdk or 0, signer.outer_max_sdk or 0))
        check = check_signer(signer, counts[signer.scheme], low, high,
                             present_schemes=block.schemes)
        failures: list[Failure] = list(check.failures)
        out.append(Verification.of(failures))
    return tuple(out)


def with_lineage_verdicts(record: Any, archive: ZipArchive) -> Any:
    """``record`` (an APK's, from ``parse``) with ``lineage_verification`` set on each signer that
    has a lineage, from :func:`block_verdicts`; the other facts are left as they are."""
    verdicts = iter(block_verdicts(archive))
    signers = []
    for signer in record.signing.signers:
        if signer.scheme == "v1":
            signers.append(signer)
            continue
        verdict = next(verdicts, None)
        if signer.lineage and verdict is not None:
            signer = dataclasses.replace(signer, lineage_verification=verdict)
        signers.append(signer)
    return dataclasses.replace(record, signing=dataclasses.replace(record.signing,
                                                                   signers=tuple(signers)))
