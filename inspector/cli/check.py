"""``inspector check FILE...``: the pre-upload gate; exit 0 when every file passes, 1 when one fails."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from inspector.api import inspect
from inspector.cli.inspect import parse_now
from inspector.errors import InspectorError
from inspector.settings import OPTIONS, PLATFORM_SECTIONS, Config, add_arguments, load_config, resolve

if TYPE_CHECKING:
    from inspector.checks import CheckResult
    from inspector.summary import Summary

# The rules, the summary and the reports load when a check runs,
# not when ``inspector`` starts: ``inspector inspect x.ipa`` never pays for them.

__all__ = ["EXIT_FAILED", "add_check_arguments", "add_parser", "gate", "platform_section", "run"]

#: The gate found errors (or warnings, when strict).
EXIT_FAILED = 1
FORMATS = ("text", "json", "github", "junit")


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of the gate: config, time, strictness, explain, and each expectation."""
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: inspector.toml or pyproject.toml "
                             "[tool.inspector], here or in a parent; env INSPECTOR_CONFIG)")
    parser.add_argument("--now", metavar="WHEN",
                        help="the moment expiry is measured from (ISO 8601, default: the clock)")
    parser.add_argument("--explain", action="store_true",
                        help="print every setting's value and where it came from (stderr)")
    parser.add_argument("--no-verify", action="store_true",
                        help="do not verify signatures, digests and seals (the report says so)")
    parser.add_argument("--newer-than-uploaded", action="store_true",
                        help="fail unless the build number is greater than the app's latest "
                             "processed upload's (reads the service: needs a token, see upload)")
    add_arguments(parser)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="check builds against expectations and the default policy (a CI gate)",
        description="Check builds before upload. Exit 0: every file passed; 1: a check failed; "
                    "2: usage or config error; 3: a file could not be read; 4: unknown format.")
    p.add_argument("files", nargs="+", metavar="FILE", help="APK, AAB, IPA, PKG or profile")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), json, github (workflow annotations) or junit (XML)")
    add_check_arguments(p)
    from inspector.cli.upload import add_target_arguments  # for --newer-than-uploaded

    add_target_arguments(p)
    p.set_defaults(run=run)


def platform_section(summary: Summary) -> str | None:
    """The config section that applies: android, macos, or ios for every other Apple platform."""
    if summary.platform is None:
        return None
    return summary.platform if summary.platform in ("android", "macos") else "ios"


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> Config:
    config = load_config(args.config or env.get("INSPECTOR_CONFIG"), Path.cwd())
    for section in (None, *PLATFORM_SECTIONS):  # a bad value anywhere is a usage error up front
        resolve(args, env, config, section)
    return config


def _explain(args: argparse.Namespace, env: Mapping[str, str], config: Config,
             sections: list[str | None], out: TextIO) -> None:
    where = str(config.path) if config.path else "none found"
    for section in dict.fromkeys(sections):
        resolved = resolve(args, env, config, section)
        print(f"inspector: settings for {section or 'other'} artifacts (config: {where})", file=out)
        width = max(len(o.name) for o in OPTIONS)
        for o in OPTIONS:
            value = resolved.values[o.name]
            shown = ", ".join(value) if isinstance(value, tuple) else value
            shown = "-" if shown in (None, "") else shown
            print(f"  {o.name.ljust(width)}  {str(shown).ljust(12)}  {resolved.sources[o.name]}",
                  file=out)


def evaluate(record: Any, args: argparse.Namespace, env: Mapping[str, str], config: Config,
             now: datetime, uploaded: Callable[[Summary], str | None] | None = None) -> CheckResult:
    """Resolve the settings for the record's platform and run every rule; ``uploaded`` gives the
    latest processed upload's build number for ``--newer-than-uploaded``."""
    from dataclasses import replace

    from inspector.checks import check
    from inspector.summary import summarize

    summary = summarize(record)
    expectations = resolve(args, env, config, platform_section(summary)).expectations
    if uploaded is not None:
        expectations = replace(expectations, uploaded_build=uploaded(summary))
    if expectations.baseline is not None:
        expectations = replace(expectations, baseline_record=baseline_record(expectations.baseline))
    return check(record, expectations, now, summary)


@functools.lru_cache(maxsize=4)
def baseline_record(path: str) -> Any:
    """The record of ``--baseline``, read once per run however many files are checked: a build
    is inspected (not verified: the rules compare its facts, and it has shipped), a saved
    ``inspect --json`` document rebuilt. Unreadable: an ArtifactError naming the baseline."""
    from inspector.diff import load_side
    from inspector.errors import ArtifactError

    try:
        return load_side(path)
    except ArtifactError as exc:
        # The file being checked is fine; say that it is the baseline that cannot be read.
        exc.problem = f"the baseline {exc.path or path}: {exc.problem}"
        exc.path = None
        raise


def uploaded_lookup(args: argparse.Namespace, env: Mapping[str, str], config: Config
                    ) -> Callable[[Summary], str | None] | None:
    """For ``--newer-than-uploaded``: the latest processed build number of the app, read once
    per platform from the service. A failure to read it raises (exit 5 or 7), never passes."""
    if not getattr(args, "newer_than_uploaded", False):
        return None
    from inspector.cli.upload import target_from, transport_options, upload_settings
    from inspector.upload import transport
    from inspector.upload.errors import NetworkError
    from inspector.upload.response import uploaded_build_number

    section = upload_settings(config.upload, source=f"config {config.path} [upload]")
    target = target_from(args, env, section)
    options = transport_options(args, section)
    cache: dict[str | None, str | None] = {}

    def lookup(summary: Summary) -> str | None:
        os_filter = summary.platform if summary.platform in ("android", "ios") else None
        if os_filter not in cache:
            latest = transport.latest_build(target, os=os_filter, **options)
            number = None if latest is None else uploaded_build_number(latest)
            if latest is not None and number is None:
                raise NetworkError(f"the latest processed build ({latest.id}) shows no build "
                                   "number to compare with")
            cache[os_filter] = number
        return cache[os_filter]

    return lookup


def gate(args: argparse.Namespace, path: Path, record: Any, env: Mapping[str, str]) -> int:
    """Run the gate on one inspected record, as ``upload`` does before sending: findings go to
    stderr as text; returns 0 when it passed, :data:`EXIT_FAILED` when it did not."""
    from inspector.report.check import FileVerdict, render_check_text
    from inspector.summary import summarize

    config = _settings(args, env)
    now = parse_now(args.now)
    if args.explain:
        _explain(args, env, config, [platform_section(summarize(record))], sys.stderr)
    result = evaluate(record, args, env, config, now)
    print(render_check_text([FileVerdict(str(path), result)], colour=_colour(sys.stderr, env)),
          file=sys.stderr)
    return 0 if result.passed else EXIT_FAILED


def _colour(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    from inspector.cli import exit_code_for, for_one_file
    from inspector.report.check import (
        FileVerdict,
        render_check_github,
        render_check_json,
        render_check_junit,
        render_check_text,
        render_step_summary,
    )

    env = os.environ if env is None else env
    now = parse_now(args.now)
    config = _settings(args, env)
    uploaded = uploaded_lookup(args, env, config)
    verdicts: list[FileVerdict] = []
    sections: list[str | None] = []
    for name in args.files:
        # Whatever goes wrong with one file (a bug included) is that file's verdict.
        outcome = for_one_file(name, lambda name=name: evaluate(
            inspect(Path(name), digest=False, verify=not args.no_verify), args, env, config, now,
            uploaded))
        if isinstance(outcome, InspectorError):
            verdicts.append(FileVerdict(name, error=outcome, exit_code=exit_code_for(outcome)))
            continue
        result = outcome
        sections.append(platform_section(result.summary))
        verdicts.append(FileVerdict(name, result=result,
                                    exit_code=0 if result.passed else EXIT_FAILED))
    if args.explain:
        _explain(args, env, config, sections or [None], sys.stderr)
    if args.format == "json":
        print(render_check_json(verdicts, now))
    elif args.format == "junit":
        print(render_check_junit(verdicts, now))
    elif args.format == "github":
        text = render_check_github(verdicts)
        if text:
            print(text)
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            try:
                with open(summary_path, "a", encoding="utf-8") as fh:
                    fh.write(render_step_summary(verdicts, now))
            except OSError as exc:
                print(f"inspector: warning: cannot append to GITHUB_STEP_SUMMARY "
                      f"{summary_path}: {exc.strerror or exc}", file=sys.stderr)
    else:
        print(render_check_text(verdicts, colour=_colour(sys.stdout, env)))
    return max((v.exit_code for v in verdicts), default=0)
