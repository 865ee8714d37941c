"""The one verification shape every format fills in, and what --no-verify leaves in the record."""

from __future__ import annotations

import pytest

from inspector import inspect
from inspector.records.verification import Failure, Verification, not_checked
from inspector.summary import summarize
from tests.conftest import FIXTURES


def test_a_failed_verification_names_its_failures() -> None:
    failure = Failure("v2", "digest mismatch", signer="1", member="lib/x.so", slot="CHUNKED_SHA256",
                      page=3)
    assert Verification.of([failure]) == Verification(False, (failure,))
    assert Verification.of([]).verified is True
    assert failure.describe() == "v2 signer 1: lib/x.so: slot CHUNKED_SHA256: page 3: digest mismatch"
    with pytest.raises(ValueError, match="at least one failure"):
        Verification(False)
    with pytest.raises(ValueError, match="failed verification"):
        Verification(True, (failure,))


def test_not_checked_carries_the_reason() -> None:
    assert not_checked("verification was turned off") == Verification(
        None, reason="verification was turned off")


def test_verify_false_says_it_was_turned_off() -> None:
    record = inspect(FIXTURES / "apk" / "signed-v1v2v3.apk", digest=False, verify=False)
    assert record.verification == not_checked("verification was turned off")
    assert summarize(record).verified is None
