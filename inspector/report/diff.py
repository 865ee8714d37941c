"""``inspector diff`` for people and machines: text, JSON (``inspector-diff/1``), Markdown, and
GitHub workflow commands. Every value from an artifact is escaped for the output it lands in."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from inspector.diff import Diff, Section, SizeChange, SizeSection
from inspector.records.base import jsonable
from inspector.report import escape
from inspector.report.text import human_size

__all__ = ["DIFF_SCHEMA", "render_diff_github", "render_diff_json", "render_diff_markdown",
           "render_diff_text"]

#: Identifies the JSON document shape of ``inspector diff --format json`` (docs/json-schema.md).
DIFF_SCHEMA = "inspector-diff/1"


def _signed(delta: int) -> str:
    return ("+" if delta >= 0 else "-") + human_size(abs(delta))


def _size(value: int | None) -> str:
    return "-" if value is None else human_size(value)


def _percent(old: int | None, delta: int) -> str:
    return f", {delta / old * 100:+.1f} %" if old else ""


def _size_rows(size: SizeSection) -> list[tuple[str, str]]:
    f = size.file
    rows = [("file", f"{_size(f.old_compressed)} -> {_size(f.new_compressed)} "
                     f"({_signed(f.compressed_delta)}{_percent(f.old_compressed, f.compressed_delta)})")]
    if f.old_uncompressed != f.new_uncompressed:
        rows.append(("uncompressed", f"{_size(f.old_uncompressed)} -> {_size(f.new_uncompressed)} "
                                     f"({_signed(f.uncompressed_delta)})"))
    for c in size.categories:
        rows.append((c.name, _both(c)))
    for m in size.grown:
        if m.old_uncompressed is None:
            was = "added" if size.members_known else "not among the baseline's largest files"
            rows.append((f"grown: {m.name}", f"{_size(m.new_uncompressed)} ({was}; "
                                             f"{_size(m.new_compressed)} compressed)"))
        else:
            rows.append((f"grown: {m.name}", f"{_both(m)}"))
    return rows


def _both(c: SizeChange) -> str:
    return (f"compressed {_size(c.old_compressed)} -> {_size(c.new_compressed)} "
            f"({_signed(c.compressed_delta)}), uncompressed {_size(c.old_uncompressed)} -> "
            f"{_size(c.new_uncompressed)} ({_signed(c.uncompressed_delta)})")


def _rows(name: str, section: Section | SizeSection, diff: Diff) -> list[tuple[str, str, str]]:
    """``(mark, what, value)`` rows: mark ``~`` changed, ``+`` added, ``-`` removed, ``=`` size."""
    if isinstance(section, SizeSection):
        return [("=", what, value) for what, value in _size_rows(section)]
    rows = []
    for c in section.changes:
        value = f"{c.old if c.old is not None else '(none)'} -> {c.new if c.new is not None else '(none)'}"
        if name == "version" and c.field == "build" and diff.build_increased is not None:
            value += " (up)" if diff.build_increased else " (NOT greater)"
        rows.append(("~", c.field, value))
    for listed in section.lists:
        rows += [("+", listed.field, v) for v in listed.added]
        rows += [("-", listed.field, v) for v in listed.removed]
    if name == "signing" and diff.rotation is not None and not diff.rotation.same:
        verdict = "proven" if diff.rotation.proven else "NOT proven"
        rows.append(("~", "rotation", f"{verdict}: {diff.rotation.reason}"))
    return rows


def render_diff_text(diff: Diff) -> str:
    """The verdict line, then each section that changed with its changes (nothing unchanged)."""
    lines = [escape.text(diff.verdict)]
    for name, section in diff.sections():
        lines.append(name)
        rows = _rows(name, section, diff)
        width = min(28, max((len(escape.text(what)) for _, what, _ in rows), default=0))
        for mark, what, value in rows:
            lines.append(f"  {mark} {escape.text(what).ljust(width)}  {escape.text(value)}")
    return escape.lines("\n".join(lines))


def render_diff_json(diff: Diff, now: datetime | None = None) -> str:
    doc: dict[str, Any] = {"schema": DIFF_SCHEMA}
    doc.update(jsonable(diff, now))
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def _code(value: str) -> str:
    """``value`` as a Markdown code span inside a table cell: control characters escaped, the
    fence longer than any run of backticks in it, pipes escaped (GFM splits cells on them)."""
    text = escape.text(value).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_MARKS = {"~": "changed", "+": "added", "-": "removed", "=": "size"}


def render_diff_markdown(diff: Diff) -> str:
    """Markdown for a step summary or a merge-request comment: the verdict, then one table of
    changes; every value from the builds in a code span."""
    problems = bool(diff.problems)
    icon = "❌" if problems else ("📝" if diff.changed else "✅")
    out = ["## inspector diff", "", f"{icon} **{diff.verdict.split(':', 1)[0]}**: "
           f"{_code(diff.old.title)} → {_code(diff.new.title)}", ""]
    for problem in diff.problems:
        out.append(f"- {_code(problem)}")
    if problems:
        out.append("")
    if diff.changed:
        out += ["| section | change | what | value |", "|---|---|---|---|"]
        for name, section in diff.sections():
            for mark, what, value in _rows(name, section, diff):
                out.append(f"| {name} | {_MARKS[mark]} | {_code(what)} | {_code(value)} |")
        out.append("")
    return "\n".join(out) + "\n"


def render_diff_github(diff: Diff) -> str:
    """Workflow commands: ``::error`` for each problem that breaks updates, then a ``::notice``
    with the verdict; the step summary (Markdown) is written separately."""
    lines = [f"::error title=inspector diff::{escape.github_data(p)}" for p in diff.problems]
    lines.append(f"::notice title=inspector diff::{escape.github_data(diff.verdict)}")
    return "\n".join(lines)
