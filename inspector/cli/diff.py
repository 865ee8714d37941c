"""``inspector diff OLD NEW``: what changed between two builds (either may be a saved
``inspect --json`` document). Exit 0 when both were read, whatever changed."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["add_parser", "run"]

FORMATS = ("text", "json", "markdown", "github")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff", help="show what changed between two builds of an app",
        description="Compare two builds (APK, AAB, IPA, PKG; OLD may be a saved inspect --json "
                    "document). Exit 0: both were read; 3: a file could not be read; "
                    "4: unknown format.")
    p.add_argument("old", metavar="OLD", help="the baseline: a build or its inspect --json")
    p.add_argument("new", metavar="NEW", help="the new build (or its inspect --json)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), json (inspector-diff/1), markdown, or github (workflow "
                        "commands, and the Markdown appended to $GITHUB_STEP_SUMMARY)")
    p.add_argument("--no-verify", action="store_true",
                   help="do not verify NEW's APK Signing Block (a changed Android signer is "
                        "then never proven)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    from inspector.diff import diff_files
    from inspector.report.diff import (
        render_diff_github,
        render_diff_json,
        render_diff_markdown,
        render_diff_text,
    )

    env = os.environ if env is None else env
    result = diff_files(args.old, args.new, verify=not args.no_verify)
    if args.format == "json":
        print(render_diff_json(result))
    elif args.format == "markdown":
        print(render_diff_markdown(result), end="")
    elif args.format == "github":
        print(render_diff_github(result))
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            try:
                with open(summary_path, "a", encoding="utf-8") as fh:
                    fh.write(render_diff_markdown(result))
            except OSError as exc:
                print(f"inspector: warning: cannot append to GITHUB_STEP_SUMMARY "
                      f"{summary_path}: {exc.strerror or exc}", file=sys.stderr)
    else:
        print(render_diff_text(result))
    return 0
