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
from inspector.checks.expectations import DEFAULT_SIGNING_TYPES, Expectations, Strictness, UploadedBuild
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
    "Strictness",
    "UploadedBuild",
    "check",
]

#: Every rule, in report order; codes are unique and stable.
RULES: tuple[Rule, ...] = (*common.RULES, *signatures.RULES, *android.RULES, *apple.RULES,
                           *baseline.RULES)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The findings of one artifact and the rules that ran, with the gate's verdict.

    ``strictness`` says whether warnings fail the gate too, and why (:meth:`Expectations.strictness`).
    """

    summary: Summary
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]
    strictness: Strictness
    #: The rules of ``rules`` that had nothing to check (none of the expectations they need was
    #: stated: :meth:`Rule.idle`); they did not run.
    skipped: tuple[Rule, ...] = ()
    #: The record's verification verdict (None: the record has none), so reports can say when
    #: signatures were not verified and why.
    verification: Verification | None = None

    @property
    def strict(self) -> bool:
        return self.strictness.strict

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
          summary: Summary | None = None, *, only: tuple[str, ...] | None = None) -> CheckResult:
    """Run every applicable rule on ``record`` (as :func:`inspector.inspect` returned it), or,
    with ``only``, the applicable rules of those codes."""
    summary = summary if summary is not None else summarize(record)
    rules = tuple(r for r in RULES if r.applies_to(summary) and r.code not in expectations.ignore
                  and (only is None or r.code in only))
    skipped = tuple(r for r in rules if r.idle(expectations))
    findings: list[Finding] = []
    for rule in rules:
        if rule not in skipped:
            findings.extend(rule.check(summary, record, expectations, now))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])  # stable: rule order within a severity
    return CheckResult(summary, rules, tuple(findings), expectations.strictness(), skipped,
                       getattr(record, "verification", None))
