"""``inspector builds``: the app's uploaded builds (the documented list endpoint), as a table or JSON."""

from __future__ import annotations

import argparse
import os
from typing import Any

from inspector.cli._service import (
    add_target_arguments,
    announce_destination,
    explain_service_settings,
    json_errors,
    load_upload_config,
    service_settings,
    target_from,
    transport_options,
)
from inspector.errors import UsageError
from inspector.report import escape
from inspector.settings import TARGET_OPTIONS
from inspector.upload.request import dump_json

__all__ = ["add_parser", "render_table", "run"]

_STATUSES = ("pending", "in_progress", "processed", "error")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("builds", help="list the app's uploaded builds",
                       description="List the app's uploaded builds, in the service's order.")
    p.add_argument("--version-name", metavar="V", help="only builds with this versionName")
    p.add_argument("--status", choices=_STATUSES, help="only builds in this status")
    p.add_argument("--os", metavar="OS", help="only builds for this OS (android, ios, ...)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N builds")
    p.add_argument("--page", type=int, metavar="P", help="page P of the list")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_target_arguments(p)
    p.add_argument("--config", metavar="PATH", help="config file with an [upload] section")
    p.add_argument("--explain", action="store_true",
                   help="print every setting's value and where it came from (stderr; tokens hidden)")
    p.set_defaults(run=run)


def render_table(rows: list[dict[str, Any]]) -> str:
    """Rows of ``Build.to_json()`` as an aligned text table."""
    columns = ("build_id", "build_status", "version_name", "version_code", "os", "created")
    cells = [[escape.text(row.get(c) or "") for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    # A build id from the service starts each row: no row may read as a workflow command.
    return escape.lines("\n".join(lines))


@json_errors
def run(args: argparse.Namespace) -> int:
    from inspector.upload import transport

    if (args.limit is not None and args.limit < 1) or (args.page is not None and args.page < 1):
        raise UsageError("--limit and --page must be >= 1")
    env = dict(os.environ)
    config = load_upload_config(args, env)
    settings = service_settings(args, env, config, TARGET_OPTIONS)
    if args.explain:
        explain_service_settings(settings, config.path)
    target = target_from(settings, env)
    announce_destination(target, upload=False)
    builds = transport.list_builds(target, version_name=args.version_name, status=args.status, os=args.os,
                                   page=args.page, limit=args.limit, **transport_options(settings))
    rows = [{**b.to_json(), "created": b.raw.get("createdAt")} for b in builds]
    if args.json:
        print(dump_json(rows))
    elif rows:
        print(render_table(rows))
    else:
        print("no builds")
    return 0
