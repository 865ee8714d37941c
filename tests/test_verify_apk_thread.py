"""An APK's JAR (v1) verification runs on a thread of its own while the content digests are
computed (inspector/verify/apk.py): what it counts against the artifact's budget, what it raises
and which error wins are what they are when it runs on the caller's thread."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import inspector.verify.apk as apk_verifier
from inspector import inspect
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.limits import BUDGET, Budget, BudgetExceeded, artifact_budget, charge
from inspector.records.android import AndroidApp
from inspector.records.verification import Verification
from inspector.verify.apk import ApkVerification, verify_apk
from inspector.verify.jar import verify_jar
from tests.conftest import FIXTURES

SIGNED = FIXTURES / "apk" / "signed-v1v2v3.apk"  # minSdk 21: every device reads its v1 signature
KIND = "ASN.1 elements"  # what the v1 signature block's PKCS#7 costs
V1Result = tuple[Mapping[str, Verification], Verification]


class Seen:
    """Where the v1 verification ran and what it spent of the artifact's budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.thread: threading.Thread | None = None
        self.spent: int | None = None


def _watched(archive: ZipArchive, seen: Seen) -> Callable[[frozenset[int]], V1Result]:
    """formats/apk.py's v1 verification, recording the thread it runs on and what it spends of
    ``seen.budget`` (nothing, were the budget not the thread's)."""
    def run(schemes: frozenset[int]) -> V1Result:
        seen.thread = threading.current_thread()
        left = seen.budget.left(KIND)
        try:
            result = verify_jar(archive, apk_signature_schemes=schemes, min_sdk=21)
        finally:
            seen.spent = left - seen.budget.left(KIND)
        return result.signers, result.verification
    return run


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "inspector-v1"]


def _verify(archive: ZipArchive, v1: Callable[[frozenset[int]], V1Result], *,
            whole_sha256: bool = True) -> ApkVerification:
    """formats/apk.py's call on the fixture."""
    return verify_apk(archive, min_sdk=21, max_sdk=None, whole_sha256=whole_sha256, has_v1=True,
                      v1_certificates=_v1_certificates(), verify_v1=v1)


@functools.cache
def _v1_certificates() -> list[str]:
    """The SHA-256 of each v1 signer's certificate, as parsing the fixture finds them."""
    record = inspect(SIGNED, digest=False, verify=False)
    assert isinstance(record, AndroidApp) and record.min_sdk == 21
    return [s.certificates[0].sha256 for s in record.signing.signers
            if s.scheme == "v1" and s.certificates]


def test_the_v1_thread_counts_against_the_artifacts_budget() -> None:
    with ZipArchive(SIGNED) as archive:
        with artifact_budget() as budget:
            inline = verify_jar(archive, apk_signature_schemes=frozenset({2, 3}), min_sdk=21)
            expected = BUDGET[KIND] - budget.left(KIND)
        with artifact_budget() as budget:
            seen = Seen(budget)
            result = _verify(archive, _watched(archive, seen))
    assert seen.thread is not None and seen.thread is not threading.main_thread()
    assert expected > 0
    assert seen.spent == expected
    assert result.artifact.verified is True
    assert result.v1_signers == inline.signers
    assert not _threads()


@pytest.mark.parametrize("whole_sha256", [True, False])
def test_a_budget_running_out_in_the_v1_thread_fails_the_artifact(whole_sha256: bool) -> None:
    with ZipArchive(SIGNED) as archive:
        with artifact_budget() as budget:
            seen = Seen(budget)
            _verify(archive, _watched(archive, seen), whole_sha256=whole_sha256)
            needed = BUDGET[KIND] - budget.left(KIND)
        assert seen.spent
        before_v1 = needed - seen.spent
        # Exactly enough: it verifies; one element less runs out inside the v1 verification.
        with artifact_budget({**BUDGET, KIND: needed}) as budget:
            assert _verify(archive, _watched(archive, Seen(budget)),
                           whole_sha256=whole_sha256).artifact.verified is True
        # What running out there raised on the caller's thread (jar.py wraps the budget's error
        # met while reading the signing certificate in its own words).
        with artifact_budget({**BUDGET, KIND: needed - 1}) as budget, pytest.raises(
                ArtifactError) as inline:
            charge(KIND, before_v1)
            verify_jar(archive, apk_signature_schemes=frozenset({2, 3}), min_sdk=21)
        assert isinstance(budget.exceeded, BudgetExceeded)
        with artifact_budget({**BUDGET, KIND: needed - 1}) as budget, pytest.raises(
                ArtifactError) as raised:
            seen = Seen(budget)
            _verify(archive, _watched(archive, seen), whole_sha256=whole_sha256)
    assert seen.thread is not threading.main_thread()
    assert type(raised.value) is type(inline.value)
    assert str(raised.value) == str(inline.value)
    assert f"too many {KIND}" in str(raised.value)
    # The budget the thread charged is the artifact's: api.inspect raises this one after a
    # reader that turned it into a warning went on.
    assert isinstance(budget.exceeded, BudgetExceeded)
    assert str(budget.exceeded).startswith(f"too many {KIND}")
    assert not _threads()


def _corrupt_entry(tmp_path: Path) -> tuple[Path, str]:
    """The signed fixture with one byte of a stored entry that parsing does not read whole
    flipped: its CRC-32 no longer matches, which only the v1 verification (reading every entry)
    meets."""
    path = tmp_path / "crc.apk"
    shutil.copy(SIGNED, path)
    member = "res/mipmap-hdpi-v4/ic_launcher.png"
    with ZipArchive(path) as archive:
        offset = archive.data_offset(member) + 60
    with path.open("r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)[0]
        fh.seek(offset)
        fh.write(bytes([byte ^ 0xFF]))
    return path, member


def test_an_unreadable_entry_met_in_the_v1_thread_is_the_error_raised(tmp_path: Path) -> None:
    path, member = _corrupt_entry(tmp_path)
    with ZipArchive(path) as archive:
        with pytest.raises(ArtifactError) as inline:
            verify_jar(archive, apk_signature_schemes=frozenset({2, 3}), min_sdk=21)
        with artifact_budget() as budget, pytest.raises(ArtifactError) as threaded:
            seen = Seen(budget)
            _verify(archive, _watched(archive, seen))
    assert seen.thread is not threading.main_thread()
    assert type(threaded.value) is type(inline.value)
    assert str(threaded.value) == str(inline.value)
    assert threaded.value.member == member
    assert "Bad CRC-32" in str(threaded.value)
    # Through the library: the file and the member named, and only verification meets it.
    inspect(path, verify=False)
    with pytest.raises(ArtifactError) as whole:
        inspect(path)
    assert str(whole.value) == (f"{path}: {member}: corrupt or truncated member (Bad CRC-32 for "
                                f"file '{member}')")


def test_a_content_digest_read_error_wins_over_the_v1_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Run one after the other, the content digests failed first and the v1 verification never
    # ran; beside each other, both run, the digests' error is raised, and only once the v1
    # thread has ended (it reads the archive, which the caller closes next).
    def unreadable(*args: object, **kwargs: object) -> object:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(apk_verifier, "digest_file", unreadable)
    ran = []
    with ZipArchive(SIGNED) as archive:
        def failing(schemes: frozenset[int]) -> V1Result:
            ran.append(threading.current_thread())
            verify_jar(archive, apk_signature_schemes=schemes, min_sdk=21)
            raise ArtifactError("the v1 verification's own error", member="META-INF/RELEASE.RSA")

        with artifact_budget(), pytest.raises(ArtifactError) as raised:
            _verify(archive, failing)
        assert not _threads()
    assert ran and ran[0] is not threading.main_thread()
    assert str(raised.value) == "cannot read (Input/output error)"
