"""The gate's verdicts for people and for CI systems: text, JSON, GitHub annotations and step summary,
JUnit XML. Pure: each function returns text; the command decides where it goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from inspector.checks import CheckResult, Finding
from inspector.errors import InspectorError
from inspector.records.base import jsonable
from inspector.report import error_json, escape
from inspector.settings import setting_names, strictness_text

__all__ = [
    "CHECK_SCHEMA",
    "FileVerdict",
    "render_check_github",
    "render_check_json",
    "render_check_junit",
    "render_check_text",
    "render_step_summary",
]

#: Identifies the ``check --format json`` document; bumped only on incompatible changes.
CHECK_SCHEMA = "inspector-check/1"

_COLOURS = {"error": "31", "warning": "33", "info": "36", "passed": "32", "failed": "31;1"}


@dataclass(frozen=True, slots=True)
class FileVerdict:
    """One file given to ``check``: its result, or why it could not be read (with its exit code)."""

    path: str
    result: CheckResult | None = None
    error: InspectorError | None = None
    exit_code: int = 0


def _paint(text: str, what: str, colour: bool) -> str:
    return f"\033[{_COLOURS[what]}m{text}\033[0m" if colour else text


def _problem(error: InspectorError | None) -> str:
    """The error without the file name the line already starts with."""
    member = getattr(error, "member", None)
    problem = getattr(error, "problem", str(error))
    return escape.text(f"{member}: {problem}" if member else str(problem))


def _counts(result: CheckResult) -> str:
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s in ("error", "warning", "info")
             if (n := result.count(s))]
    return ", ".join(parts)


def _facts(result: CheckResult) -> str:
    s = result.summary
    build = f" ({s.build})" if s.build else ""
    kind = ", ".join(x for x in (s.platform, s.signing_type) if x)
    return f"{s.identifier or '?'} {s.version or '?'}{build}  {kind}".rstrip()


def unverified_note(result: CheckResult) -> str | None:
    """``signatures not verified (--no-verify)``: said whenever the gate judged a build whose
    signatures were not checked, so a pass is never read as "the signature is good"."""
    v = result.verification
    if v is None or v.verified is not None:
        return None
    if v.reason == "verification was turned off":
        return "signatures not verified (--no-verify)"
    return f"signatures not verified: {v.reason}"


def render_check_text(verdicts: Sequence[FileVerdict], *, colour: bool = False) -> str:
    """Grouped by file: a verdict line with the facts, then one line per finding, worst first.

    Every value is escaped (:func:`escape.text`) and no line can start as a workflow command
    (:func:`escape.lines`): the file name starts a line."""
    lines: list[str] = []
    for v in verdicts:
        name = escape.text(v.path)
        if v.result is None:
            lines.append(f"{name}: {_paint('UNREADABLE', 'failed', colour)}: {_problem(v.error)}")
            continue
        r = v.result
        counts = _counts(r)
        if r.passed:
            verdict = _paint("PASSED", "passed", colour) + (f" with {counts}" if counts else "")
        else:
            verdict = _paint("FAILED", "failed", colour) + f": {counts}"
            if r.strict and r.count("warning"):
                # Warnings failed it too: say why, and how to turn that off.
                verdict += f" (strict: {strictness_text(r.strictness)})"
        lines.append(f"{name}  {escape.text(_facts(r))}  {verdict}")
        for f in r.findings:
            severity = _paint(f.severity.ljust(7), f.severity, colour)
            lines.append(f"  {severity}  {escape.text(f.code)}  {escape.text(f.message)}")
        note = unverified_note(r)
        if note:
            lines.append(f"  {'note'.ljust(7)}  {escape.text(note)}")
    failed = sum(1 for v in verdicts if v.result is None or not v.result.passed)
    if len(verdicts) > 1:
        lines.append(f"{len(verdicts) - failed} of {len(verdicts)} files passed")
    return escape.lines("\n".join(lines))


def _finding_json(f: Finding, result: CheckResult) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "field": f.field, "expected": f.expected,
            "actual": f.actual, "message": f.message, "fails_gate": result.failed_by(f)}


def render_check_json(verdicts: Sequence[FileVerdict], now: datetime) -> str:
    """One document: ``{"schema", "now", "passed", "results": [...]}`` (docs/json-schema.md)."""
    results: list[dict[str, Any]] = []
    for v in verdicts:
        if v.result is None:
            assert v.error is not None
            results.append(error_json(v.path, v.error, v.exit_code))
            continue
        r = v.result
        summary = jsonable(r.summary, now)
        file_info = summary.pop("file")
        file_info["path"] = v.path
        results.append({
            "file": file_info,
            "passed": r.passed,
            "strict": r.strict,
            "strict_why": r.strictness.why,
            "strict_implied_by": list(setting_names(r.strictness.by)),
            "counts": {s: r.count(s) for s in ("error", "warning", "info")},
            "findings": [_finding_json(f, r) for f in r.findings],
            "rules": [rule.code for rule in r.rules],
            "skipped": [rule.code for rule in r.skipped],
            "summary": summary,
        })
    doc = {"schema": CHECK_SCHEMA, "now": jsonable(now),
           "passed": all(v.result is not None and v.result.passed for v in verdicts),
           "results": results}
    return escape.json_text(doc)


_GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_check_github(verdicts: Sequence[FileVerdict]) -> str:
    """GitHub Actions workflow commands: ``::error file=PATH,title=CODE::message`` per finding;
    properties and messages escaped as GitHub documents, with no raw control character."""
    lines = []
    for v in verdicts:
        file = escape.github_property(v.path)
        if v.result is None:
            lines.append(f"::error file={file},title=unreadable::{escape.github_data(v.error)}")
            continue
        for f in v.result.findings:
            level = "error" if v.result.failed_by(f) else _GH_LEVEL[f.severity]
            lines.append(f"::{level} file={file},title={escape.github_property(f.code)}::"
                         f"{escape.github_data(f.message)}")
    return "\n".join(lines)


def _md(text: object) -> str:
    return escape.markdown(text)


def render_step_summary(verdicts: Sequence[FileVerdict], now: datetime) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: per file a table of facts, then of findings."""
    out = ["## inspector check", ""]
    for v in verdicts:
        if v.result is None:
            out += [f"### ❌ <code>{_md(v.path)}</code>: unreadable", "", _md(v.error), ""]
            continue
        r, s = v.result, v.result.summary
        mark = "✅" if r.passed else "❌"
        out += [f"### {mark} <code>{_md(v.path)}</code>: {'passed' if r.passed else 'failed'}", "",
                "| fact | value |", "|---|---|"]
        soonest = s.expiries[0] if s.expiries else None
        facts = [
            ("identifier", s.identifier), ("version", s.version), ("build", s.build),
            ("platform", s.platform), ("min OS", s.min_os), ("target SDK", s.target_sdk),
            ("signing type", s.signing_type), ("team", s.team_id),
            ("signed", "yes" if s.signed else "no"),
            ("first expiry", soonest and f"{soonest.label}: {soonest.not_after:%Y-%m-%d} "
                                         f"({soonest.days_left(now)} days)"),
        ]
        out += [f"| {k} | {_md(val)} |" for k, val in facts if val is not None]
        out.append("")
        if r.findings:
            out += ["| severity | code | message |", "|---|---|---|"]
            out += [f"| {f.severity} | {_md(f.code)} | {_md(f.message)} |" for f in r.findings]
            out.append("")
    return "\n".join(out) + "\n"


def render_check_junit(verdicts: Sequence[FileVerdict], now: datetime) -> str:
    """JUnit XML: a testsuite per file, a testcase per rule that applies; a rule whose findings
    fail the gate is a ``<failure>``, one with nothing to check (no expectation it needs was
    stated) is ``<skipped/>``, other findings go to the testcase's ``<system-out>``."""
    root = ET.Element("testsuites", name="inspector check")
    total = failures = errors = skipped = 0
    for v in verdicts:
        suite = ET.SubElement(root, "testsuite", name=_xml(v.path), timestamp=jsonable(now))
        if v.result is None:
            case = ET.SubElement(suite, "testcase", classname="inspector.check", name="inspect")
            ET.SubElement(case, "error", type=type(v.error).__name__,
                          message=_xml(str(v.error))).text = _xml(str(v.error))
            suite.set("tests", "1")
            suite.set("failures", "0")
            suite.set("errors", "1")
            suite.set("skipped", "0")
            total += 1
            errors += 1
            continue
        r = v.result
        suite_failures = 0
        for rule in r.rules:
            case = ET.SubElement(suite, "testcase", classname="inspector.check",
                                 name=_xml(f"{rule.code} {rule.title}"), file=_xml(v.path))
            if rule in r.skipped:
                # Nothing to check is not a pass: a test view must not count it as one.
                needs = ", ".join(setting_names(rule.needs))
                ET.SubElement(case, "skipped", message=f"nothing to check: {needs} not set")
                continue
            found = [f for f in r.findings if f.code == rule.code]
            failing = [f for f in found if r.failed_by(f)]
            if failing:
                # One line per finding: a newline from an artifact is spelled out (escape.text),
                # so no text of the file can start a line of its own (a forged "::error").
                ET.SubElement(case, "failure", type=_xml(failing[0].severity),
                              message=_xml(escape.text(failing[0].message))).text = _xml(
                    "\n".join(f"{f.severity}: {escape.text(f.message)}" for f in failing))
                suite_failures += 1
            rest = [f for f in found if not r.failed_by(f)]
            if rest:
                ET.SubElement(case, "system-out").text = _xml(
                    "\n".join(f"{f.severity}: {escape.text(f.message)}" for f in rest))
        suite.set("tests", str(len(r.rules)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", str(len(r.skipped)))
        total += len(r.rules)
        failures += suite_failures
        skipped += len(r.skipped)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _xml(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped: :func:`escape.xml` spells them out."""
    return escape.xml(text)
