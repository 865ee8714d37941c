"""The pre-flight gate: pure rules over a Summary and its record, yielding findings.

``check(record, expectations, now)`` runs every rule that applies to the record's format and
collects every finding; no rule stops another. Nothing here reads the clock, the environment or
a file: ``now`` and the expectations come in, a :class:`CheckResult` comes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inspector.checks import android, apple, baseline, common, signatures
from inspector.checks._rule import Rule
from inspector.checks.expectations import DEFAULT_SIGNING_TYPES, Expectations
from inspector.checks.findings import SEVERITIES, Finding, Severity
from inspector.records.verification import Verification
from inspector.summary import Summary, summarize

__all__ = [
    "DEFAULT_SIGNING_TYPES",
    "RULES",
    "CheckResult",
    "Expectations",
    "Finding",
    "Rule",
    "Severity",
    "check",
]

#: Every rule, in report order; codes are unique and stable.
RULES: tuple[Rule, ...] = (*common.RULES, *signatures.RULES, *android.RULES, *apple.RULES,
                           *baseline.RULES)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The findings of one artifact and the rules that ran, with the gate's verdict.

    ``strict`` (``--strict``, or any expectation stated) makes warnings fail the gate too.
    """

    summary: Summary
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]
    strict: bool
    #: The record's verification verdict (None: the record has none), so reports can say when
    #: signatures were not verified and why.
    verification: Verification | None = None

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def passed(self) -> bool:
        failing = ("error", "warning") if self.strict else ("error",)
        return not any(f.severity in failing for f in self.findings)

    def failed_by(self, finding: Finding) -> bool:
        """Whether this finding, on its own, fails the gate."""
        return finding.severity == "error" or (self.strict and finding.severity == "warning")


def check(record: Any, expectations: Expectations, now: datetime,
          summary: Summary | None = None) -> CheckResult:
    """Run every applicable rule on ``record`` (as :func:`inspector.inspect` returned it)."""
    summary = summary if summary is not None else summarize(record)
    rules = tuple(r for r in RULES if r.applies_to(summary) and r.code not in expectations.ignore)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(rule.check(summary, record, expectations, now))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])  # stable: rule order within a severity
    return CheckResult(summary, rules, tuple(findings),
                       strict=expectations.strict or expectations.any_set,
                       verification=getattr(record, "verification", None))
