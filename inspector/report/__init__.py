"""Reports for people and machines: text, JSON. The only package that formats for display."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from inspector.errors import InspectorError
from inspector.format import FORMAT_INFO
from inspector.records.base import jsonable
from inspector.report import escape
from inspector.report.text import Block, human_size

__all__ = ["SCHEMA", "error_json", "render_json", "render_text", "to_json"]

#: Identifies the JSON document shape; bumped only on incompatible changes (docs/json-schema.md).
SCHEMA = "inspector/1"


def header(record: Any) -> Block:
    """The first lines of every report: file name, kind, size and digest."""
    f = record.file
    info = FORMAT_INFO.get(record.format)
    block = Block(f"{f.name}  ({info.human_name if info else record.format})")
    block.add("File", f.path)
    block.add("Size", f"{human_size(f.size)} ({f.size} bytes)")
    block.add("SHA-256", f.sha256)
    return block


def render_text(record: Any, now: datetime | None, *, verbose: bool = False) -> str:
    """A readable, aligned summary of one record; warnings last. ``verbose`` adds the long lists
    (every component, device UDID, developer certificate and entitlement)."""
    module = importlib.import_module(FORMAT_INFO[record.format].text_report)
    block: Block = module.render(record, now, verbose=verbose)
    warnings = getattr(record, "warnings", ())
    if warnings:
        w = block.child("Warnings")
        for text in warnings:
            w.rows.append(("-", text))
    return "\n".join(block.render())


def to_json(record: Any, now: datetime | None = None) -> dict[str, Any]:
    """One record as the JSON-able mapping ``inspect --json`` prints for it (docs/json-schema.md).

    Every fact of the record under its own names, then ``summary``: the cross-format view
    (:class:`inspector.Summary`), and ``applivery``: the facts the service will show for the build,
    under its own names (None for a profile). With ``now``, certificates, profiles and expiries gain
    ``days_left`` and ``expired``; without it nothing depends on the clock.
    """
    from inspector.report.applivery import applivery_view
    from inspector.summary import summarize

    data = jsonable(record, now)
    assert isinstance(data, dict)
    summary = jsonable(summarize(record), now)
    del summary["file"]  # the record's own ``file`` block says it once
    data["summary"] = summary
    data["applivery"] = jsonable(applivery_view(record), now)
    return data



def error_json(path: str, error: InspectorError, code: int) -> dict[str, Any]:
    member = getattr(error, "member", None)
    problem = getattr(error, "problem", str(error))
    return {
        "file": {"path": path},
        "error": {"kind": type(error).__name__, "member": member, "message": problem,
                  "exit_code": code},
    }


def render_json(results: Sequence[dict[str, Any]], now: datetime | None) -> str:
    doc: dict[str, Any] = {"schema": SCHEMA}
    if now is not None:
        doc["now"] = jsonable(now)
    doc["results"] = list(results)
    # allow_nan=False (in json_text): jsonable already turned non-finite floats into strings;
    # should one slip through, failing here beats printing JSON that strict parsers refuse.
    return escape.json_text(doc)
