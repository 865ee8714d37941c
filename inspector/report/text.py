"""Aligned, indented text blocks: the one helper every format's human report is built from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from inspector.records.base import days_left, expired
from inspector.report.escape import line
from inspector.report.escape import text as printable

__all__ = ["LABEL_WIDTH", "Block", "human_size", "printable", "when"]

#: The label column of a report's first block, in every format (its longest label is
#: "Certificate in profile").
LABEL_WIDTH = 22


class Block:
    """A titled group of ``key  value`` rows, with nested blocks below the rows."""

    __slots__ = ("children", "rows", "title")

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str | Sequence[str]]] = []
        self.children: list[Block] = []

    def add(self, key: str, value: object) -> Block:
        """Add a row; None and empty values are skipped so that absent facts print nothing.

        A list or tuple of strings is one value of several lines; a newline inside a string is
        not a line break (it is escaped, like every control character, when rendered).
        """
        if value is None or value == "" or value == () or value == []:
            return self
        if isinstance(value, list | tuple):
            self.rows.append((key, [str(v) for v in value]))
        else:
            self.rows.append((key, value if isinstance(value, str) else str(value)))
        return self

    def child(self, title: str) -> Block:
        block = Block(title)
        self.children.append(block)
        return block

    def render(self, indent: int = 0) -> list[str]:
        pad = " " * indent
        lines = [pad + printable(self.title)]
        # Every format's first block shares one label column, so reports line up side by side.
        floor = LABEL_WIDTH if indent == 0 else 0
        width = max((len(printable(k)) for k, _ in self.rows), default=0)
        width = max(width, floor)
        for key, value in self.rows:
            head = f"{pad}  {printable(key).ljust(width)}  "
            value_lines = [printable(v) for v in ([value] if isinstance(value, str) else value)]
            lines.append(head + (value_lines[0] if value_lines else ""))
            lines.extend(" " * len(head) + extra for extra in value_lines[1:])
        for child in self.children:
            lines.extend(child.render(indent + 2))
        # A title or key may be artifact text at the start of a line (after the indent, which
        # the GitHub runner trims): none may read as a workflow command.
        return [line(text) for text in lines]


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable; keeps type checkers content


def when(moment: datetime, now: datetime | None) -> str:
    """``2027-01-02 10:00 UTC (in 34 days)`` / ``(expired 3 days ago)``."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if now is None:
        return text
    days = days_left(moment, now)
    if expired(moment, now):
        return f"{text} (EXPIRED {_days(-days)} ago)" if days else f"{text} (EXPIRED today)"
    return f"{text} (in {_days(days)})" if days else f"{text} (expires within a day)"


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"
