"""``inspector inspect FILE...``: every fact about each file, as text or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.api import extract_icon, inspect
from inspector.errors import InspectorError, OutputError, UsageError
from inspector.report import error_json, render_json, render_text, to_json
from inspector.report.text import printable

__all__ = ["add_parser", "parse_now", "run"]


def parse_now(text: str | None) -> datetime:
    """``--now`` as an aware UTC datetime (ISO 8601; a date alone means midnight UTC)."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"--now: not an ISO 8601 date or time: {text!r}") from None
    except OverflowError:
        raise UsageError(f"--now: {text!r} lies outside the years 1-9999 in UTC") from None


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
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also list every component, device UDID, developer certificate and "
                        "entitlement")
    p.set_defaults(run=run)


def _write_icon(path: Path, record: Any, directory: Path) -> str:
    icon = extract_icon(path, record)
    if icon is None:
        return "no raster icon to extract"
    member, png = icon
    target = directory / f"{path.name}.png"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: an existing symlink at the target is refused, not written through.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                     0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(png)
    except OSError as exc:
        raise OutputError(f"cannot write the icon to {target} ({exc.strerror or exc})") from exc
    return f"icon {member} -> {target}"


def _one(path: Path, args: argparse.Namespace, now: datetime) -> tuple[Any, str | None]:
    """One file's report (a JSON-able dict or text) and what ``--extract-icon`` did."""
    record = inspect(path, digest=not args.no_hash)
    icon_note = None
    if args.extract_icon is not None:
        icon_note = _write_icon(path, record, args.extract_icon)
    return (to_json(record, now) if args.json else render_text(record, now, verbose=args.verbose)), icon_note


def run(args: argparse.Namespace) -> int:
    from inspector.cli import error_line, exit_code_for, for_one_file

    now = parse_now(args.now)
    if args.extract_icon is not None and args.extract_icon.exists() and not args.extract_icon.is_dir():
        raise UsageError(f"--extract-icon: {args.extract_icon} is not a directory")
    worst = 0
    results: list[dict[str, Any]] = []
    for name in args.files:
        # Every file gets its result: whatever goes wrong with one (a bug included) is its error.
        outcome = for_one_file(name, lambda name=name: _one(Path(name), args, now))
        if isinstance(outcome, InspectorError):
            code = exit_code_for(outcome)
            worst = max(worst, code)
            if args.json:
                results.append(error_json(name, outcome, code))
            else:
                print(error_line(outcome), file=sys.stderr)
            continue
        shown, icon_note = outcome
        if args.json:
            results.append(shown)
            if icon_note:
                print(f"inspector: {printable(icon_note)}", file=sys.stderr)
        else:
            text = shown + (f"\n  {printable(icon_note)}" if icon_note else "")
            print(text + ("\n" if len(args.files) > 1 else ""))
    if args.json:
        print(render_json(results, now))
    return worst
