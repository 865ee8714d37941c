"""APK signature verification against apksigner: every fixture, tampered fixture, corpus APK and
apksig test vector, recorded by tests/reference/apksigner/make.sh."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from inspector import inspect
from inspector.containers.apk_signing import (
    CHUNKED_SHA256,
    CHUNKED_SHA512,
    VERITY_CHUNKED_SHA256,
)
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.records.android import AndroidApp
from inspector.verify.apk import _block, _sections, verify_apk
from inspector.verify.content_digest import digest_file
from inspector.verify.sdk_range import NEWEST, RangedSigner, SchemeState, reads_v1, uncovered
from tests.conftest import CORPUS, FIXTURES

REFERENCE = Path(__file__).parent / "reference" / "apksigner"
VECTORS = CORPUS.parent / "vectors" / "apksig"
TAMPERED = FIXTURES / "apk" / "tampered"


class Recorded(NamedTuple):
    name: str
    min_sdk_flag: str
    verdict: str
    schemes: tuple[str, ...]
    error: str


def _recorded(tsv: str) -> list[Recorded]:
    rows = []
    for line in (REFERENCE / tsv).read_text().splitlines():
        if line.startswith("#"):
            continue
        name, flag, verdict, schemes, error = line.split("\t")
        rows.append(Recorded(name, flag, verdict, () if schemes == "-" else
                             tuple(schemes.split(",")), error))
    return rows


#: Where inspector deliberately differs from apksigner 0.9 (Debian's build-tools 31), and why.
DIFFERENT = {
    # apksigner 0.9 predates v3.1 (build-tools 33): it ignores the v3.1 block and judges the v3
    # block alone; apksig since 33 (and Android 13) read v3.1 as we do.
    "v31-block-stripped-v3-attr-value-33.apk":
        "the v3 signer names a v3.1 rotation whose block was removed (newer apksig: "
        "V31_BLOCK_MISSING); apksigner 0.9 does not know the attribute",
    "v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk":
        "apksigner 0.9 does not count this v3 block (its signer stops at API 32, v3.1 takes "
        "over) and so finds no v2+ signature for targetSdk 30; we verify v3 and v3.1",
    # Unsigned APKs: apksigner says DOES NOT VERIFY; inspector says "not checked: not signed"
    # and the gate fails them with AND003.
    "unsigned.apk": "unsigned: not checked (AND003 fails it)",
    "golden-aligned-in.apk": "unsigned: not checked (AND003 fails it)",
    "golden-legacy-aligned-in.apk": "unsigned: not checked (AND003 fails it)",
    "golden-unaligned-in.apk": "unsigned: not checked (AND003 fails it)",
    "pinsapp-unsigned.apk": "unsigned: not checked (AND003 fails it)",
    "unsigned-targetSandboxVersion-2.apk": "unsigned: not checked (AND003 fails it)",
    "TestActivity_unsigned.apk": "unsigned: not checked (AND003 fails it)",
    "stamp-without-apk-signature.apk": "unsigned: not checked (AND003 fails it)",
    "AndroidManifest_ShortName.apk": "unsigned: not checked (AND003 fails it)",
    "eocd_at_offset_1026.apk": "unsigned: not checked (AND003 fails it)",
    # No reference: apksigner refuses it even with --min-sdk-version 1 (it cannot read the
    # manifest, nor can aapt2).
    "minimal_def_mod.apk": "apksigner cannot read its AndroidManifest.xml: no verdict to compare",
    # apksig requires a v2+ signature for targetSandboxVersion 2+; the record does not read
    # targetSandboxVersion (an instant-app attribute), so neither does verification.
    "v1-only-targetSandboxVersion-2.apk": "targetSandboxVersion is not read",
    # A signing block with a wrong magic is no block: the APK is unsigned to us (AND003).
    "v2-only-wrong-apk-sig-block-magic.apk": "no block (wrong magic): unsigned, AND003",
    "v3-only-with-ecdsa-sha512-p384-wrong-apk-sig-block-magic.apk":
        "no block (wrong magic): unsigned, AND003",
    # A member compressed with a method zipfile cannot inflate: inspector cannot read the v1
    # signature block at all (exit 3, the gate fails it); apksigner skips reading it.
    "weird-compression-method.apk": "a META-INF member in an unsupported compression: unreadable",
}

#: v1 (JAR) verdicts of verify_jar (inspector/verify/jar.py, its own branch and tests) that
#: differ from apksigner's on apksig's vectors: listed so the v2/v3 comparison stays exact.
JAR_DIFFERENT = {
    re.compile(r"^v1v2v3-rsa-2048-negmod-in-cert\.apk$"):
        "a certificate with a negative RSA modulus: cryptography cannot load it for the v1 "
        "PKCS#7 check (v2/v3 compare the key by value and verify)",
}


def _different(name: str) -> bool:
    return name in DIFFERENT or any(p.match(name) for p in JAR_DIFFERENT)

#: v3.1 files: apksigner 0.9 predates v3.1 and does not report the v3 block whose signer stops
#: where v3.1 takes over; the verdict is compared, the list of schemes is not.
V31 = re.compile(r"^v31-.*\.apk$")

#: apksigner refused these (the JDK here has no SHA256withRSA/PSS); apksig's own test suite
#: expects each to verify unless its name says the signature does not.
PSS = re.compile(r"^v2-only-with-rsa-pss-sha(256|512)-\d+(-sig-does-not-verify)?\.apk$")


def _ours(path: Path) -> tuple[bool | str | None, AndroidApp | None]:
    try:
        record = inspect(path, digest=False)
    except ArtifactError:
        return "unreadable", None
    assert isinstance(record, AndroidApp)
    assert record.verification is not None
    return record.verification.verified, record


def _schemes_apksigner_checks(record: AndroidApp) -> tuple[str, ...]:
    """The schemes apksigner 0.9 verifies for this app and says so: v3 when present; v2 when
    present and minSdk < 28 or there is no v3; v1 when present and minSdk < 24 or there is no
    v2/v3 (apksigner 0.9 knows no v3.1)."""
    present = set(record.signing.schemes)
    min_sdk = record.min_sdk if isinstance(record.min_sdk, int) else 1
    checked = []
    if "v1" in present and (min_sdk < 24 or not present & {"v2", "v3"}):
        checked.append("v1")
    if "v2" in present and (min_sdk < 28 or "v3" not in present):
        checked.append("v2")
    if "v3" in present:
        checked.append("v3")
    verified = []
    for scheme in checked:
        signers = [s for s in record.signing.signers if s.scheme == scheme]
        if signers and all(s.verification and s.verification.verified for s in signers):
            verified.append(scheme)
    return tuple(verified)


def _compare(rows: list[Recorded], folder: Path) -> tuple[int, list[str]]:
    compared = 0
    problems = []
    for row in rows:
        path = folder / row.name
        if not path.exists():
            continue
        if _different(row.name):
            continue
        ours, record = _ours(path)
        if row.verdict == "refused":
            match = PSS.match(row.name)
            if match and record is not None:
                # apksig's own tests verify these v2-only files for API 24+ (their minSdk is
                # 23): the v2 signer's verdict is what the name states.
                expected = match.group(2) is None
                v2 = [s.verification.verified for s in record.signing.signers
                      if s.scheme == "v2" and s.verification is not None]
                if v2 != [expected]:
                    problems.append(f"{row.name}: apksig expects {expected}, we say {v2}")
                compared += 1
            elif ours != "unreadable":
                problems.append(f"{row.name}: apksigner refused it, we read it ({ours})")
            else:
                compared += 1
            continue
        compared += 1
        if row.verdict == "verifies":
            if ours is not True:
                reason = (record.verification if record else None)
                problems.append(f"{row.name}: apksigner verifies, we say {ours} ({reason})")
            elif (record is not None and not V31.match(row.name)
                  and _schemes_apksigner_checks(record) != row.schemes):
                problems.append(f"{row.name}: apksigner verified {row.schemes}, we "
                                f"{_schemes_apksigner_checks(record)}")
        elif ours not in (False, "unreadable"):
            reason = (record.verification if record else None)
            problems.append(f"{row.name}: apksigner: {row.error[:120]}; we say {ours} ({reason})")
    return compared, problems


def test_fixtures_agree_with_apksigner() -> None:
    rows = _recorded("fixtures.tsv")
    compared, problems = _compare(rows, FIXTURES / "apk")
    compared_t, problems_t = _compare(rows, TAMPERED)
    assert problems + problems_t == []
    assert compared == 14  # 15 fixtures, unsigned.apk listed in DIFFERENT
    assert compared_t == 15  # ours (make_tampered.py) and the jar-*/v1-* ones (make-jar.sh)


def test_corpus_agrees_with_apksigner() -> None:
    if not CORPUS.joinpath("android").is_dir():
        pytest.skip(f"no shared corpus at {CORPUS} (a clone without ../shared)")
    compared, problems = _compare(_recorded("corpus.tsv"), CORPUS / "android")
    assert problems == []
    assert compared == 27  # 31 corpus APKs, 4 listed above (unsigned, no reference)


def test_apksig_vectors_agree_with_apksigner() -> None:
    if not VECTORS.is_dir():
        pytest.skip(f"no apksig vectors at {VECTORS} (a clone without ../shared)")
    rows = _recorded("vectors.tsv")
    assert len(rows) == 350
    compared, problems = _compare(rows, VECTORS)
    assert problems == []
    skipped = sum(1 for r in rows if _different(r.name))
    assert skipped == 13  # the listed differences, no more
    assert compared == 350 - skipped


@pytest.mark.parametrize("name", ["so-byte.apk", "resource-replaced.apk", "file-added.apk",
                                  "signature-altered.apk", "certificate-swapped.apk",
                                  "block-removed.apk"])
def test_every_tampered_fixture_fails_sig001(name: str) -> None:
    from datetime import UTC, datetime

    from inspector.checks import Expectations, check

    record = inspect(TAMPERED / name, digest=False)
    result = check(record, Expectations(), datetime(2026, 12, 1, tzinfo=UTC))
    codes = {f.code for f in result.findings if f.severity == "error"}
    assert "SIG001" in codes
    assert not result.passed


_ACTUAL = re.compile(r"(CHUNKED_SHA\d+) digest mismatch\. Expected: <([0-9a-f]+)>, "
                     r"actual: <([0-9a-f]+)>")


def _digest_cases() -> list[tuple[Path, str, str]]:
    cases = []
    for tsv, folder in (("fixtures.tsv", TAMPERED), ("vectors.tsv", VECTORS)):
        for row in _recorded(tsv):
            match = _ACTUAL.search(row.error)
            if match and (folder / row.name).exists():
                cases.append((folder / row.name, match.group(1), match.group(3)))
    return cases


def test_content_digests_equal_the_ones_apksigner_computed() -> None:
    """Where apksigner printed the digest it computed (a mismatch), ours is the same bytes."""
    cases = _digest_cases()
    assert len(cases) >= 3  # the three content-tampered fixtures at least
    algorithms = {"CHUNKED_SHA256": CHUNKED_SHA256, "CHUNKED_SHA512": CHUNKED_SHA512}
    for path, name, actual in cases:
        with ZipArchive(path) as z:
            _, size = _block(z)
            sections = _sections(z, size)
        assert sections is not None
        digests, _ = digest_file(path, sections, {algorithms[name]}, whole_sha256=False)
        assert digests[algorithms[name]].hex() == actual, path.name


def test_verity_digest_is_computed_and_matches() -> None:
    path = VECTORS / "golden-rsa-verity-out.apk"
    if not path.exists():
        pytest.skip(f"no apksig vectors at {VECTORS}")
    from inspector.verify.apk_signing_block import check_signer

    with ZipArchive(path) as z:
        block, _ = _block(z)
    assert block is not None
    v2 = next(s for s in block.signers if s.scheme == "v2")
    claimed = check_signer(v2, 1, 24, NEWEST).digests
    assert VERITY_CHUNKED_SHA256 in claimed  # the verity signature was verified, its digest used
    record = inspect(path, digest=False)
    assert isinstance(record, AndroidApp)
    assert all(s.verification and s.verification.verified
               for s in record.signing.signers if s.scheme in ("v2", "v3"))


def test_whole_file_sha256_from_the_same_read(tmp_path: Path) -> None:
    import hashlib

    path = FIXTURES / "apk" / "signed-v1v2v3.apk"
    record = inspect(path)
    assert record.file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert inspect(path, verify=False).file.sha256 == record.file.sha256


def test_no_verify_says_so() -> None:
    record = inspect(FIXTURES / "apk" / "signed-v1v2v3.apk", verify=False)
    assert isinstance(record, AndroidApp)
    assert record.verification is not None
    assert record.verification.verified is None
    assert record.verification.reason == "verification was turned off"


def test_lineage_verified_on_the_rotated_fixture() -> None:
    record = inspect(FIXTURES / "apk" / "rotated-v3-lineage.apk", digest=False)
    assert isinstance(record, AndroidApp)
    (v3,) = [s for s in record.signing.signers if s.scheme == "v3"]
    assert v3.lineage_verification is not None and v3.lineage_verification.verified is True


def _state(**kw: object) -> SchemeState:
    base: dict[str, object] = {"has_v1": False, "v1": None, "has_v2": False, "v2": None}
    base.update(kw)
    return SchemeState(**base)  # type: ignore[arg-type]


def test_range_v2_only_leaves_levels_below_24_uncovered() -> None:
    failures, unknown = uncovered(21, NEWEST, _state(has_v2=True, v2=True))
    assert [f.message for f in failures] == ["API 21-23: no signature a device of that level reads"]
    assert not unknown


def test_range_falls_back_to_v2_where_no_v3_signer_covers_the_level() -> None:
    state = _state(has_v2=True, v2=True, v3=[RangedSigner(28, 32, False, "1")])
    failures, _ = uncovered(24, NEWEST, state)
    assert [f.message for f in failures] == [
        "API 28-32: the v3 signer 1 signature a device of that level checks does not verify"]


def test_range_v31_signer_takes_over_from_its_level() -> None:
    state = _state(has_v2=True, v2=True, v3=[RangedSigner(28, NEWEST, True, "1")],
                   v31=[RangedSigner(33, NEWEST, False, "1")])
    failures, _ = uncovered(26, NEWEST, state)
    assert [f.message for f in failures] == [
        "API 33 and newer: the v3.1 signer 1 signature a device of that level checks does not "
        "verify"]


def test_range_respects_max_sdk() -> None:
    state = _state(has_v1=True, v1=True, has_v2=True, v2=False)
    failures, _ = uncovered(21, 23, state)
    assert failures == []


def test_v1_is_read_only_by_the_levels_that_check_it() -> None:
    v3 = [RangedSigner(28, NEWEST, True, "1")]
    # Below 24 every device checks v1.
    assert reads_v1(21, NEWEST, _state(has_v1=True, has_v2=True, v3=v3))
    # From 24 a v2 block takes its place, and a v3 signer from 28.
    assert not reads_v1(24, NEWEST, _state(has_v1=True, has_v2=True))
    assert not reads_v1(28, NEWEST, _state(has_v1=True, v3=v3))
    # API 24-27 do not know v3: without v2 they check v1 (apksig skips v1 once it finds the v3
    # block; see test_v1_unread_where_the_range_never_checks_it).
    assert reads_v1(24, NEWEST, _state(has_v1=True, v3=v3))
    # A level no v3 signer covers falls back to v1 when there is no v2.
    assert reads_v1(28, NEWEST, _state(has_v1=True, v3=[RangedSigner(28, 30, True, "1")]))
    assert not reads_v1(24, NEWEST, _state(has_v1=False, has_v2=False))


RANGED = TAMPERED / "v1-key-usage-minsdk24.apk"


def _apksigner_output(name: str) -> list[str]:
    return (REFERENCE / name).read_text().splitlines()[1:]


def test_v1_unread_where_the_range_never_checks_it() -> None:
    """v1-key-usage-minsdk24.apk (make-jar.sh): minSdk 24, v2 and v3 signatures that verify and
    a JAR signature by a certificate Android refuses to verify with. apksigner verifies it for its
    own range without the JAR signature and fails it on v1 when told the range starts at API 23
    (tests/reference/apksigner/make.sh records both)."""
    own = _apksigner_output("v1-key-usage-minsdk24.apk.txt")
    assert own[0] == "Verifies"
    assert "Verified using v1 scheme (JAR signing): false" in own
    assert "Verified using v2 scheme (APK Signature Scheme v2): true" in own
    assert "Verified using v3 scheme (APK Signature Scheme v3): true" in own
    record = inspect(RANGED, digest=False)
    assert isinstance(record, AndroidApp) and record.min_sdk == 24
    assert record.verification is not None and record.verification.verified is True
    by_scheme = {s.scheme: s.verification for s in record.signing.signers}
    assert set(by_scheme) == {"v1", "v2", "v3"}
    assert by_scheme["v2"] is not None and by_scheme["v2"].verified is True
    assert by_scheme["v3"] is not None and by_scheme["v3"].verified is True
    v1 = by_scheme["v1"]
    assert v1 is not None and v1.verified is None and v1.failures == ()
    assert v1.reason == ("no device of the app's API range (API 24 and newer) checks the JAR "
                         "signature: from API 24 Android verifies the v2+ signature instead")

    older = _apksigner_output("v1-key-usage-minsdk24.apk.min-sdk-23.txt")
    assert older[0] == "DOES NOT VERIFY"
    assert older[1].startswith("ERROR: JAR signer KU.RSA: ") and "keyUsage" in older[1]
    from inspector.formats.apk import _v1

    calls: list[frozenset[int]] = []
    with ZipArchive(RANGED) as archive:
        jar = _v1(archive, 23)

        def counted(schemes: frozenset[int]) -> object:
            calls.append(schemes)
            return jar(schemes)

        for min_sdk in (24, 23):
            result = verify_apk(archive, min_sdk=min_sdk, max_sdk=None, target_sdk=30,
                                whole_sha256=False, has_v1=True, verify_v1=counted)
            if min_sdk == 24:
                # Not verified at all: the JAR pass is not made.
                assert calls == [] and result.v1_signers == {}
                assert result.v1_unread is not None and result.artifact.verified is True
    assert calls == [frozenset({2, 3})]
    assert result.v1_unread is None
    assert result.v1_signers["KU"].verified is False
    assert result.artifact.verified is False
    assert [(f.scheme, f.signer, f.member) for f in result.artifact.failures
            if f.scheme == "v1"] == [("v1", "KU", "META-INF/KU.RSA")]
    assert "keyUsage" in result.v1_signers["KU"].failures[0].message


def test_v3_must_follow_the_older_schemes_signer() -> None:
    from inspector.containers.apk_signing import BlockSigner, LineageEntry
    from inspector.records.verification import Verification
    from inspector.verify.apk import _same_signers, _sha256

    keys = FIXTURES / "apk" / "keys"
    release = (keys / "release.x509.der").read_bytes()
    other = (keys / "expired.x509.der").read_bytes()
    ok = Verification(True)

    def node(cert: bytes) -> LineageEntry:
        return LineageEntry(cert, b"", 0, 0, 0, b"")

    v2 = BlockSigner("v2", (release,))
    same = BlockSigner("v3", (release,), 24, NEWEST)
    stranger = BlockSigner("v3", (other,), 24, NEWEST)
    rotated = BlockSigner("v3", (other,), 24, NEWEST, lineage=(node(release), node(other)))
    v1 = [_sha256(release)]
    for v3, failures in ((same, 0), (stranger, 1), (rotated, 0)):
        got = _same_signers(21, ("v2", "v3"), [v2, v3], [ok, ok], True, ok, v1)
        assert len(got) == failures, v3
    # v1 by another key than v2, both read by devices of API 21-27: apksig's JAR_SIG_MISSING.
    got = _same_signers(21, ("v2", "v3"), [v2, same], [ok, ok], True, ok, [_sha256(other)])
    assert got[0].message == "the v1 and v2 signatures are not by the same keys"
    # From API 28 on devices read only v3: v2's key does not matter.
    assert _same_signers(28, ("v2", "v3"), [v2, stranger], [ok, ok], False, None, []) == []


def test_a_mangled_signing_block_is_a_verdict_or_a_clear_error(tmp_path: Path) -> None:
    """Bytes of the signing block flipped at random (fixed seed): every result is a record whose
    verification failed (or did not change) or an ArtifactError, never another exception."""
    import random

    source = FIXTURES / "apk" / "rotated-v3-lineage.apk"
    data = source.read_bytes()
    with ZipArchive(source) as z:
        _, size = _block(z)
        end = z.central_directory_offset
    assert size is not None
    start = end - size
    rng = random.Random(16)
    outcomes = {"failed": 0, "unreadable": 0, "verified": 0}
    target = tmp_path / "mangled.apk"
    for _ in range(150):
        mangled = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mangled[rng.randrange(start + 8, end - 24)] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(mangled))
        try:
            record = inspect(target, digest=False)
        except ArtifactError:
            outcomes["unreadable"] += 1
            continue
        assert isinstance(record, AndroidApp) and record.verification is not None
        outcomes["failed" if record.verification.verified is False else "verified"] += 1
    assert outcomes["failed"] > 100  # nearly every flip breaks a signature, digest or structure
