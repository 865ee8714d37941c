"""``inspector inspect FILE...``: every fact about each file, as text or JSON."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.api import extract_icon, inspect
from inspector.errors import InspectorError, UsageError
from inspector.report import error_json, render_json, render_text, to_json

__all__ = ["add_parser", "parse_now", "run"]


def parse_now(text: str | None) -> datetime:
    """``--now`` as an aware UTC datetime (ISO 8601; a date alone means midnight UTC)."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now: not an ISO 8601 date or time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("inspect", help="show every fact about one or more build files",
                       description="Show every fact about one or more build files.")
    p.add_argument("files", nargs="+", metavar="FILE", help="APK, AAB, IPA, PKG or profile")
    p.add_argument("--json", action="store_true", help="print one JSON document (schema inspector/1)")
    p.add_argument("--extract-icon", metavar="DIR", type=Path,
                   help="write each app's icon as DIR/<file name>.png")
    p.add_argument("--no-hash", action="store_true",
                   help="skip the SHA-256 of the whole file (the only step that reads it all)")
    p.add_argument("--now", metavar="WHEN",
                   help="the moment expiry is measured from (ISO 8601, default: the clock)")
    p.set_defaults(run=run)


def _write_icon(path: Path, record: Any, directory: Path) -> str:
    icon = extract_icon(path, record)
    if icon is None:
        return "no raster icon to extract"
    member, png = icon
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{path.name}.png"
    target.write_bytes(png)
    return f"icon {member} -> {target}"


def run(args: argparse.Namespace) -> int:
    from inspector.cli import exit_code_for

    now = parse_now(args.now)
    if args.extract_icon is not None and args.extract_icon.exists() and not args.extract_icon.is_dir():
        raise UsageError(f"--extract-icon: {args.extract_icon} is not a directory")
    worst = 0
    results: list[dict[str, Any]] = []
    texts: list[str] = []
    for name in args.files:
        path = Path(name)
        try:
            record = inspect(path, digest=not args.no_hash)
            icon_note = None
            if args.extract_icon is not None:
                icon_note = _write_icon(path, record, args.extract_icon)
        except InspectorError as exc:
            code = exit_code_for(exc)
            worst = max(worst, code)
            if args.json:
                results.append(error_json(name, exc, code))
            else:
                print(f"inspector: error: {exc}", file=sys.stderr)
            continue
        if args.json:
            results.append(to_json(record, now))
        else:
            text = render_text(record, now)
            if icon_note:
                text += f"\n  {icon_note}"
            texts.append(text)
            print(text + ("\n" if len(args.files) > 1 else ""))
        if icon_note and args.json:
            print(f"inspector: {icon_note}", file=sys.stderr)
    if args.json:
        print(render_json(results, now))
    return worst
