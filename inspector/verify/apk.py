"""Verify every signature of an APK and decide whether a device of each API level in the app's
range finds a verified one: the v2/v3/v3.1 signers (:mod:`.apk_signing_block`, content digests in
one read of the file, which can also give the whole file's SHA-256), the v1 (JAR) signers through
``verify_jar`` (on a thread of its own while the content digests are computed: each reads and
hashes the file's bytes, and hashlib and zlib release the GIL on large buffers) when a device of
some level of the app's range checks them, then the range verdict (:mod:`.sdk_range`)."""

from __future__ import annotations

import contextvars
import hashlib
import struct
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from inspector.containers.apk_signing import (
    SCHEME_IDS,
    BlockSigner,
    SigningBlock,
    parse_signing_block,
    read_signing_block,
)
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.records.verification import Failure, Verification, not_checked
from inspector.verify.apk_signing_block import (
    ROTATION_MIN_SDK,
    SignerCheck,
    check_digests,
    check_signer,
    check_v3_ranges,
)
from inspector.verify.content_digest import Sections, digest_file
from inspector.verify.sdk_range import (
    NEWEST,
    V2_FIRST,
    V3_FIRST,
    V31_FIRST,
    RangedSigner,
    SchemeState,
    reads_v1,
    span,
    uncovered,
)

__all__ = ["ApkVerification", "verify_apk"]

_EOCD = b"PK\x05\x06"
V2_REQUIRED_FROM_TARGET = 30
_SCHEME_NUMBERS = {"v2": 2, "v3": 3}
_EOCD_SIZE = 22

_T = TypeVar("_T")


class ApkVerification(NamedTuple):
    """The verdicts: one per block signer (in block order), one per v1 signer (by name), the
    lineage verdict of each block signer, the whole APK's, and the file's SHA-256 if asked for.
    ``v1_unread`` says why the v1 signers were not verified when no device of the app's range
    checks them (``v1_signers`` is empty then); None otherwise."""

    block_signers: tuple[Verification, ...]
    lineages: tuple[Verification | None, ...]
    v1_signers: Mapping[str, Verification]
    artifact: Verification
    sha256: str | None
    v1_unread: str | None = None


def _sections(archive: ZipArchive, block_size: int | None) -> Sections | None:
    """The digested sections: the EOCD found as apksig finds it (the last record whose comment
    length reaches the end of the file) and the central directory offset it stores."""
    size = _file_size(archive)
    tail_len = min(size, _EOCD_SIZE + 0xFFFF)
    tail = archive.read_raw(size - tail_len, tail_len)
    for comment in range(0, tail_len - _EOCD_SIZE + 1):
        pos = tail_len - _EOCD_SIZE - comment
        if tail[pos:pos + 4] == _EOCD and struct.unpack_from("<H", tail, pos + 20)[0] == comment:
            eocd = size - tail_len + pos
            (cd_offset,) = struct.unpack_from("<I", tail, pos + 16)
            if block_size is None or cd_offset > eocd:
                return None
            return Sections(cd_offset - block_size, cd_offset, eocd, size)
    return None


class _Beside(Generic[_T]):
    """``work()`` run on a thread of its own, in a copy of the caller's context: the artifact's
    work budget (:mod:`inspector.limits`) is a context variable, which a new thread would not
    otherwise see. :meth:`result` waits for it and returns what it returned or raises what it
    raised, the same exception object."""

    def __init__(self, work: Callable[[], _T]) -> None:
        self._work = work
        self._value: _T | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        # A daemon: a run interrupted while it waits for the thread exits without it.
        self._thread = threading.Thread(target=context.run, args=(self._run,), daemon=True,
                                        name="inspector-v1")
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> _T:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value  # type: ignore[return-value]


def _sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _same_signers(low: int, present: Sequence[str], signers: Sequence[BlockSigner],
                  verdicts: Sequence[Verification], has_v1: bool, v1: Verification | None,
                  v1_certificates: Sequence[str]) -> list[Failure]:
    """apksig's rules across schemes, where devices of the app's range read both: the v1 and v2
    signers are the same keys; the v3 signer is the older schemes' one, or rotated from it (the
    first certificate of its lineage)."""
    def verified(scheme: str) -> bool:
        got = [v for s, v in zip(signers, verdicts, strict=True) if s.scheme == scheme]
        return bool(got) and all(v.verified for v in got)

    def certificates(scheme: str) -> list[str]:
        return [_sha256(s.certificates[0]) for s in signers
                if s.scheme == scheme and s.certificates]

    uses_v1 = has_v1 and v1 is not None and v1.verified is True and (
        low < V2_FIRST or not ({"v2", "v3"} & set(present)))
    uses_v2 = verified("v2") and (low < V3_FIRST or "v3" not in present)
    failures = []
    if uses_v1 and uses_v2 and set(v1_certificates) != set(certificates("v2")):
        failures.append(Failure("v2", "the v1 and v2 signatures are not by the same keys"))
    if verified("v3") and (uses_v1 or uses_v2):
        old = list(v1_certificates) if uses_v1 else certificates("v2")
        v3 = [s for s in signers if s.scheme == "v3"]
        lineage = max((s.lineage for s in v3), key=len, default=())
        if len(old) != 1:
            failures.append(Failure("v3", f"v3 follows one past signer; the older schemes have "
                                          f"{len(old)}"))
        elif lineage:
            if _sha256(lineage[0].certificate) != old[0]:
                failures.append(Failure("v3", "the v3 lineage does not start at the older "
                                              "schemes' signer"))
        elif len(v3) != 1 or certificates("v3") != old:
            failures.append(Failure("v3", "the v3 signer is not the older schemes' signer and "
                                          "has no lineage from it"))
    return failures


def _ranged(signers: Sequence[BlockSigner], numbers: Sequence[int], scheme: str,
            verdicts: Sequence[Verification] | None) -> list[RangedSigner]:
    """The ``scheme`` (v3, v3.1) signers with their platform ranges and verdicts (None: not
    verified yet)."""
    return [RangedSigner(s.outer_min_sdk or 0, s.outer_max_sdk or 0,
                         verdicts[i].verified if verdicts is not None else None, str(n))
            for i, (s, n) in enumerate(zip(signers, numbers, strict=True))
            if s.scheme == scheme and s.error is None]


def _file_size(archive: ZipArchive) -> int:
    return Path(archive.path).stat().st_size


def _block(archive: ZipArchive) -> tuple[SigningBlock | None, int | None]:
    raw = read_signing_block(archive.read_raw, archive.central_directory_offset)
    if raw is None:
        return None, None
    return parse_signing_block(raw), len(raw)


def _signer_verdicts(signers: Sequence[BlockSigner], numbers: Sequence[int],
                     checks: Sequence[SignerCheck], sections: Sections | None,
                     actual: dict[int, bytes],
                     ) -> tuple[list[Verification], list[Verification | None]]:
    """Each block signer's verdict (its own checks, then its content digests against the
    computed ones) and its lineage's (None without a lineage)."""
    per_signer: list[Verification] = []
    lineages: list[Verification | None] = []
    for s, n, c in zip(signers, numbers, checks, strict=True):
        found = list(c.failures)
        if not found:
            if sections is None and c.digests:
                found.append(Failure(s.scheme, "the zip's end of central directory cannot be "
                                               "found", signer=str(n)))
            else:
                found.extend(check_digests(s.scheme, n, c.digests, actual))
        per_signer.append(Verification.of(found))
        lineages.append(Verification.of(list(c.lineage_failures)) if s.lineage else None)
    return per_signer, lineages


def _scheme_failures(signers: Sequence[BlockSigner], present: Sequence[str], low: int,
                     high: int) -> list[Failure]:
    """What fails a v3 or v3.1 block as a whole: a rotation stripped, the signers' ranges."""
    scheme_failures: list[Failure] = []
    # A v3 signer that names the level its v3.1 rotation starts at (apksig's rotation-min-sdk
    # attribute) covers only the levels below it; without the v3.1 block, that block was removed.
    stated = [struct.unpack_from("<I", value)[0] for s in signers if s.scheme == "v3"
              for ident, value in s.attributes if ident == ROTATION_MIN_SDK and len(value) >= 4]
    if stated and "v3.1" not in present:
        scheme_failures.append(Failure("v3", f"the v3 signer says a v3.1 rotation starts at API "
                                             f"{min(stated)}, but the v3.1 block is missing"))
    for scheme, first in (("v3", V3_FIRST), ("v3.1", V31_FIRST)):
        group = [s for s in signers if s.scheme == scheme]
        if not group:
            continue
        top = high
        if scheme == "v3":
            rotation = [s.outer_min_sdk or 0 for s in signers if s.scheme == "v3.1"
                        and s.error is None] + stated
            if rotation:
                top = min(high, min(rotation) - 1)
            lo = max(low, first)
        else:
            lo = max(low, min((s.outer_min_sdk or first for s in group), default=first))
        if lo <= top:
            scheme_failures.extend(check_v3_ranges(group, scheme, lo, top))
    if "v3.1" in present and "v3" not in present:
        scheme_failures.append(Failure("v3.1", "a v3.1 block without the v3 block it rotates "
                                               "from"))
    return scheme_failures


def verify_apk(
    archive: ZipArchive,
    *,
    min_sdk: int | None,
    max_sdk: int | None,
    target_sdk: int | None = None,
    whole_sha256: bool,
    has_v1: bool,
    v1_certificates: Sequence[str] = (),
    verify_v1: Callable[[frozenset[int]], tuple[Mapping[str, Verification], Verification]] | None,
) -> ApkVerification:
    """Verify ``archive``'s signatures for an app of ``min_sdk``..``max_sdk`` (None: 1 and the
    newest). ``has_v1``: the APK has a JAR signature, by ``v1_certificates`` (the SHA-256 of
    each signer's certificate); ``verify_v1(scheme ids in the signing block)`` verifies it
    (None: it is not checked) when a device of some level of the range checks it (otherwise
    the result's ``v1_unread`` says why not), on a thread of its own in a copy of the caller's
    context while the file is digested, and nothing else reads ``archive`` meanwhile;
    ``whole_sha256`` asks for the file's SHA-256 from the content digests' read."""
    low = max(min_sdk or 1, 1)
    high = max_sdk if max_sdk is not None and max_sdk >= low else NEWEST
    block, block_size = _block(archive)
    signers: Sequence[BlockSigner] = block.signers if block is not None else ()
    present = block.schemes if block is not None else ()
    # The scheme numbers a JAR signature's X-Android-APK-Signed names (2, 3), for those present.
    ids = frozenset(_SCHEME_NUMBERS[SCHEME_IDS[i]] for i in (block.ids if block else ())
                    if SCHEME_IDS.get(i) in _SCHEME_NUMBERS)
    numbers: list[int] = []
    counts: dict[str, int] = {}
    for s in signers:
        counts[s.scheme] = counts.get(s.scheme, 0) + 1
        numbers.append(counts[s.scheme])
    checks: list[SignerCheck] = []
    for s, n in zip(signers, numbers, strict=True):
        if s.scheme == "v2":
            lo, hi = max(low, V2_FIRST), NEWEST
        else:
            lo, hi = s.outer_min_sdk or 0, s.outer_max_sdk or 0
        checks.append(check_signer(s, n, lo, hi, present_schemes=present))
    algorithms = {a for c in checks for a in c.digests}
    sections = _sections(archive, block_size) if algorithms else None
    # Which scheme a level checks depends on the schemes and the v3/v3.1 signers' ranges only, so
    # the JAR signature is verified only where a device of the range reads it: from API 24 a v2+
    # signature takes its place, as on Android and in apksig (which checks v1 for minSdk < 24 or
    # when no v2+ block is found).
    v1_read = has_v1 and reads_v1(low, high, SchemeState(
        has_v1=True, v1=None, has_v2="v2" in present, v2=None,
        v3=_ranged(signers, numbers, "v3", None), v31=_ranged(signers, numbers, "v3.1", None)))
    v1_unread = None if v1_read or not has_v1 else (
        f"no device of the app's API range ({span(low, high)}) checks the JAR signature: "
        "from API 24 Android verifies the v2+ signature instead")
    v1_signers: Mapping[str, Verification] = {}
    v1_verdict: Verification | None = None
    # The JAR verification reads the archive on a thread of its own while the content digests
    # read the file by path; nothing here touches the archive until it is done. Where several
    # steps fail, the error raised is the one met first in the order the steps are written.
    v1_job = None
    if v1_read and verify_v1 is not None and (algorithms or whole_sha256):
        v1_job = _Beside(partial(verify_v1, ids))
    try:
        try:
            actual, sha = digest_file(Path(archive.path), sections, algorithms,
                                      whole_sha256=whole_sha256)
        except OSError as exc:
            raise ArtifactError(f"cannot read ({exc.strerror or exc})") from exc
        per_signer, lineages = _signer_verdicts(signers, numbers, checks, sections, actual)
        scheme_failures = _scheme_failures(signers, present, low, high)
        if v1_job is not None:
            v1_signers, v1_verdict = v1_job.result()
        elif v1_read and verify_v1 is not None:
            v1_signers, v1_verdict = verify_v1(ids)
    finally:
        if v1_job is not None:
            v1_job.wait()

    def verdict(scheme: str) -> bool | None:
        got = [v for s, v in zip(signers, per_signer, strict=True) if s.scheme == scheme]
        if any(v.verified is False for v in got) or any(f.scheme == scheme
                                                        for f in scheme_failures):
            return False
        return True if got else None

    scheme_failures.extend(_same_signers(low, present, signers, per_signer, has_v1,
                                         v1_verdict, v1_certificates))
    state = SchemeState(
        has_v1=has_v1, v1=v1_verdict.verified if v1_verdict else None,
        has_v2="v2" in present, v2=verdict("v2"),
        v3=_ranged(signers, numbers, "v3", per_signer),
        v31=_ranged(signers, numbers, "v3.1", per_signer))
    range_failures, unknown = uncovered(low, high, state)
    if (target_sdk or 0) >= V2_REQUIRED_FROM_TARGET and high >= (target_sdk or 0) and not any(
            scheme in present for scheme in ("v2", "v3", "v3.1")):
        # Android 11 refuses an app targeting it signed with v1 alone (a v2+ signature that is
        # there but fails is reported as itself).
        range_failures.append(Failure("sdk-range", f"targetSdk {target_sdk} needs a verified v2 "
                                                   "or later signature; it has v1 only"))

    if not has_v1 and not signers:
        return ApkVerification((), (), {}, not_checked("not signed"), sha, v1_unread)
    failures: list[Failure] = []
    if v1_verdict is not None:
        failures.extend(v1_verdict.failures)
    for v in per_signer:
        failures.extend(v.failures)
    failures.extend(scheme_failures)
    failures.extend(range_failures)
    if failures:
        artifact = Verification.of(failures)
    elif unknown:
        artifact = not_checked("a signature some API level relies on was not checked")
    else:
        artifact = Verification(True)
    return ApkVerification(tuple(per_signer), tuple(lineages), v1_signers, artifact, sha,
                           v1_unread)
