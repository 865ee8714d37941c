"""``inspector inspect FILE...``: every fact about each file, as text or JSON."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.api import find_icon, inspect
from inspector.containers.image import EXTENSIONS, NAMES, read_header
from inspector.errors import ArtifactError, InspectorError, OutputError, UsageError
from inspector.report import error_json, render_json, render_text, to_json
from inspector.report.escape import line as escape_line
from inspector.report.text import printable

__all__ = ["add_parser", "parse_now", "render_batch", "run"]


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
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="APK, AAB, IPA, PKG or profile (none: the one a CI variable or the build "
                        "output folders hold, see README 'Which build')")
    p.add_argument("--json", action="store_true", help="print one JSON document (schema inspector/1)")
    p.add_argument("--extract-icon", metavar="DIR", type=Path,
                   help="write each app's icon as DIR/<file name>.png (or .webp, .jpg: the "
                        "icon's own format)")
    p.add_argument("--no-hash", action="store_true",
                   help="skip the SHA-256 of the whole file (the only step that reads it all)")
    p.add_argument("--no-verify", action="store_true",
                   help="do not verify signatures, digests and seals (the report says so)")
    p.add_argument("--now", metavar="WHEN",
                   help="the moment expiry is measured from (ISO 8601, default: the clock)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also list every component, device UDID, developer certificate and "
                        "entitlement")
    p.set_defaults(run=run)


def _icon_name(name: str, extension: str, taken: set[str]) -> str:
    """``<file name><extension>``, or ``<file name>-2<extension>``... when an earlier input of
    this run already took that name (``a/app.apk`` and ``b/app.apk``). Names are compared
    case-folded: on a case-insensitive disk ``App.apk.png`` and ``app.apk.png`` are one file."""
    candidate, n = f"{name}{extension}", 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name}-{n}{extension}"
    taken.add(candidate.casefold())
    return candidate


def _write_icon(path: Path, record: Any, directory: Path,
                taken: set[str]) -> tuple[str, dict[str, Any] | None]:
    """Writes the icon of ``path`` into ``directory``: a line saying what was done (naming the
    file), and the ``extracted_icon`` JSON object (None when nothing was written)."""
    icon = find_icon(path, record)
    if isinstance(icon, str):
        return f"{path.name}: no icon written: {icon}", None
    member, data = icon
    header = read_header(data)
    if header is None:  # extract_icon returns nothing but PNG, WebP or JPEG
        raise ArtifactError("icon is not a PNG, WebP or JPEG image", path=str(path), member=member)
    target = directory / _icon_name(path.name, EXTENSIONS[header.format], taken)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: an existing symlink at the target is refused, not written through.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                     0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise OutputError(f"{path.name}: cannot write the icon to {target} "
                          f"({exc.strerror or exc})") from exc
    written = {"member": member, "path": str(target), "format": header.format,
               "width": header.width, "height": header.height, "bytes": len(data)}
    size = f"{header.width}x{header.height} {NAMES[header.format]}"
    return f"{path.name}: icon {member} ({size}) written to {target}", written


def _check_icon_directory(directory: Path) -> None:
    """A usage error, before any file is read, when ``--extract-icon DIR`` cannot take files:
    not a directory, cannot be created, or refuses a file (read-only, no permission)."""
    try:
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"--extract-icon: {directory} is not a directory")
        directory.mkdir(parents=True, exist_ok=True)
        # The one sure test of writability (permissions, ACLs, a read-only mount) is to write.
        import tempfile  # only --extract-icon needs it: kept off every other run's start-up

        fd, probe = tempfile.mkstemp(prefix=".inspector-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--extract-icon: cannot write into {directory} "
                         f"({exc.strerror or exc})") from exc


def _one(path: Path, args: argparse.Namespace, now: datetime,
         taken: set[str]) -> tuple[Any, str | None]:
    """One file's report (a JSON-able dict or text) and what ``--extract-icon`` did."""
    record = inspect(path, digest=not args.no_hash, verify=not args.no_verify)
    icon_note = None
    shown = to_json(record, now) if args.json else render_text(record, now, verbose=args.verbose)
    if args.extract_icon is not None:
        icon_note, written = _write_icon(path, record, args.extract_icon, taken)
        if isinstance(shown, dict):  # --json
            shown["extracted_icon"] = written
    return shown, icon_note


def render_batch(results: list[dict[str, Any]], names: list[str], now: datetime) -> tuple[str, int]:
    """The ``--json`` document of a batch, and the worst exit code of the results it had to replace.

    Each file's result is serialised inside its own guard: should one fail to serialise (a bug: a
    value JSON cannot hold), that file gets an error result and every other file keeps its own. The
    whole document is tried first, so a batch that serialises pays for one pass only.
    """
    from inspector.cli import exit_code_for, for_one_file

    try:
        return render_json(results, now), 0
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:
        if os.environ.get("INSPECTOR_DEBUG"):
            raise
    kept: list[dict[str, Any]] = []
    worst = 0
    for name, result in zip(names, results, strict=True):
        outcome = for_one_file(name, functools.partial(render_json, [result], now))
        if isinstance(outcome, InspectorError):
            code = exit_code_for(outcome)
            worst = max(worst, code)
            kept.append(error_json(name, outcome, code))
        else:
            kept.append(result)
    return render_json(kept, now), worst


def run(args: argparse.Namespace) -> int:
    from inspector.cli import error_line, exit_code_for, for_one_file

    now = parse_now(args.now)
    if not args.files:
        from inspector.cli import discovered_file

        args.files = [discovered_file("inspect")]
    if args.extract_icon is not None:
        _check_icon_directory(args.extract_icon)
    worst = 0
    results: list[dict[str, Any]] = []
    taken: set[str] = set()  # icon file names this run wrote, case-folded
    for name in args.files:
        # Every file gets its result: whatever goes wrong with one (a bug included) is its error.
        outcome = for_one_file(name, functools.partial(_one, Path(name), args, now, taken))
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
            text = shown + (f"\n{escape_line(f'  {printable(icon_note)}')}" if icon_note else "")
            print(text + ("\n" if len(args.files) > 1 else ""))
    if args.json:
        document, replaced = render_batch(results, list(args.files), now)
        print(document)
        worst = max(worst, replaced)
    return worst
