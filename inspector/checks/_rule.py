"""The shape of a rule: a stable code, a title, the formats it applies to, and a pure function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inspector.checks.expectations import Expectations, register_code
from inspector.checks.findings import Finding, Severity
from inspector.format import Format
from inspector.summary import Summary

__all__ = ["ALL_FORMATS", "BUILDS", "Check", "Rule", "rule"]

ALL_FORMATS = frozenset(Format)
#: The formats of builds: all but a provisioning profile, which has no version, size or upload.
BUILDS = frozenset(f for f in Format if f.info.build_platform is not None)

#: ``(summary, record, expectations, now) -> findings``: facts and time in, findings out.
Check = Callable[[Summary, Any, Expectations, datetime], Iterable[Finding]]


_UNSET = Expectations()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: every finding it yields carries its ``code``.

    ``needs`` names the :class:`Expectations` fields the rule compares with (empty for the
    default policy): when none of them is stated the rule has nothing to check, and reports
    mark it skipped rather than passed."""

    code: str
    title: str
    formats: frozenset[Format]
    check: Check
    needs: tuple[str, ...] = ()

    def applies_to(self, summary: Summary) -> bool:
        return summary.format in self.formats

    def idle(self, expectations: Expectations) -> bool:
        """Whether the rule has nothing to check: it needs expectations and none is stated."""
        return bool(self.needs) and all(
            getattr(expectations, n) == getattr(_UNSET, n) for n in self.needs)

    def finding(self, severity: Severity, field: str, message: str,
                expected: object = None, actual: object = None) -> Finding:
        return Finding(self.code, severity, field, message,
                       None if expected is None else str(expected),
                       None if actual is None else str(actual))


def rule(registry: list[Rule], code: str, title: str, formats: Iterable[Format] = ALL_FORMATS,
         needs: Iterable[str] = ()) -> Callable[[Callable[..., Iterable[Finding]]], Rule]:
    """Register ``check(rule, summary, record, expectations, now)`` as a rule in ``registry``;
    ``needs``: the expectation fields without which it has nothing to check."""
    needed = tuple(needs)
    unknown = [n for n in needed if n not in Expectations.__dataclass_fields__]
    if unknown:
        raise ValueError(f"rule {code} needs unknown expectation fields {unknown}")

    def register(fn: Callable[..., Iterable[Finding]]) -> Rule:
        holder: list[Rule] = []

        def bound(summary: Summary, record: Any, exp: Expectations, now: datetime
                  ) -> Iterable[Finding]:
            return fn(holder[0], summary, record, exp, now)

        made = Rule(code, title, frozenset(formats), bound, needed)
        holder.append(made)
        registry.append(made)
        register_code(code)
        return made

    return register
