"""Rules on verified signatures: a build whose signature or digests do not verify is not the
build that was signed, and a device refuses it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from inspector.checks._rule import Rule, rule
from inspector.checks.expectations import Expectations
from inspector.checks.findings import Finding
from inspector.format import ANDROID_FORMATS
from inspector.summary import Summary

__all__ = ["RULES"]

RULES: list[Rule] = []


@rule(RULES, "SIG001", "signatures and digests verify", ANDROID_FORMATS)
def _verifies(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    verification = record.verification
    if verification is None or verification.verified is not False:
        return
    for failure in verification.failures:
        yield r.finding("error", "signature", failure.describe(), "verifies", "does not verify")
