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
from inspector.errors import InspectorError, OutputError, UsageError
from inspector.report import escape
from inspector.settings import (
    OPTIONS,
    PLATFORM_SECTIONS,
    Config,
    load_config,
    resolve,
    strictness_text,
)

if TYPE_CHECKING:
    from inspector.checks import CheckResult
    from inspector.checks.expectations import UploadedBuild
    from inspector.report.check import FileVerdict
    from inspector.summary import Summary

# The rules, the summary and the reports load when a check runs,
# not when ``inspector`` starts: ``inspector inspect x.ipa`` never pays for them.

__all__ = ["EXIT_FAILED", "add_check_arguments", "add_parser", "check_settings", "gate", "platform_section",
           "read_baselines", "run"]

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
    parser.add_argument("--junit-xml", metavar="PATH", type=Path,
                        help="also write the verdicts as JUnit XML to PATH (for GitLab, Jenkins, "
                             "Azure Pipelines test reports), whatever --format prints")
    parser.add_argument("--newer-than-uploaded", action="store_true",
                        help="fail unless the build number is greater than the app's latest "
                             "processed upload's (reads the service: needs a token, see upload)")
    add_expectation_arguments(parser)


def add_expectation_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every option of :data:`OPTIONS` (default None: "not given on the command line")."""
    group = parser.add_argument_group("expectations (each also INSPECTOR_<NAME> and a config key)")
    for o in OPTIONS:
        flags = [f"--{o.name}", *(f"--{a}" for a in o.aliases)]
        # argparse expands %-placeholders in help: the table's words are plain text ("10%").
        help_text = o.help.replace("%", "%%")
        if o.kind == "bool":
            group.add_argument(*flags, dest=o.dest, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        elif o.kind == "list":
            group.add_argument(*flags, dest=o.dest, action="append", default=None,
                               metavar=o.metavar, help=help_text)
        else:
            group.add_argument(*flags, dest=o.dest, default=None, metavar=o.metavar, help=help_text)



def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="check builds against expectations and the default policy (a CI gate)",
        description="Check builds before upload. Exit 0: every file passed; 1: a check failed; "
                    "2: usage or config error; 3: a file could not be read; 4: unknown format.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="APK, AAB, IPA, PKG or profile (none: the one a CI variable or the build "
                        "output folders hold, see README 'Which build')")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), json, github (workflow annotations) or junit (XML)")
    add_check_arguments(p)
    from inspector.cli._service import add_target_arguments  # for --newer-than-uploaded

    add_target_arguments(p)
    p.set_defaults(run=run)


def platform_section(summary: Summary) -> str | None:
    """The config section that applies: android, macos, or ios for every other Apple platform."""
    if summary.platform is None:
        return None
    return summary.platform if summary.platform in ("android", "macos") else "ios"


def check_settings(args: argparse.Namespace, env: Mapping[str, str]) -> Config:
    """The gate's config (``--config``, ``INSPECTOR_CONFIG`` or the one found from here), every
    value in it resolved once for every platform section, so that a bad one is a usage error
    before any build is read."""
    config = load_config(args.config or env.get("INSPECTOR_CONFIG") or None, Path.cwd())
    for section in (None, *PLATFORM_SECTIONS):  # a bad value anywhere is a usage error up front
        resolve(vars(args), env, config, section)
    return config


def _explain(args: argparse.Namespace, env: Mapping[str, str], config: Config,
             sections: list[str | None], out: TextIO) -> None:
    where = escape.text(config.path) if config.path else "none found"
    for section in dict.fromkeys(sections):
        resolved = resolve(vars(args), env, config, section)
        print(f"inspector: settings for {section or 'other'} artifacts (config: {where})", file=out)
        width = max(len(o.name) for o in OPTIONS)
        strictness = resolved.expectations.strictness()
        for o in OPTIONS:
            value = resolved.values[o.name]
            source = resolved.sources[o.name]
            if o.name == "strict":
                # What the gate will do, not only what was stated: an expectation implies it.
                value = strictness.strict
                source = source if strictness.why == "stated" else strictness_text(strictness)
            shown = ", ".join(value) if isinstance(value, tuple) else value
            shown = "-" if shown in (None, "") else shown
            print(f"  {o.name.ljust(width)}  {escape.text(shown).ljust(12)}  "
                  f"{escape.text(source)}", file=out)


def _read(name: str, verify: bool) -> tuple[Any, Summary]:
    from inspector.summary import summarize

    record = inspect(Path(name), digest=False, verify=verify)
    return record, summarize(record)


def evaluate(record: Any, args: argparse.Namespace, env: Mapping[str, str], config: Config,
             now: datetime, uploaded: UploadedBuild | None = None, summary: Summary | None = None,
             only: tuple[str, ...] | None = None) -> CheckResult:
    """Resolve the settings for the record's platform and run every rule (or the ``only`` ones);
    ``uploaded`` is the service's latest processed build for ``--newer-than-uploaded``."""
    from dataclasses import replace

    from inspector.checks import check
    from inspector.summary import summarize

    summary = summarize(record) if summary is None else summary
    expectations = resolve(vars(args), env, config, platform_section(summary)).expectations
    if uploaded is not None:
        expectations = replace(expectations, uploaded_build=uploaded)
    if expectations.baseline is not None:
        expectations = replace(expectations, baseline_record=baseline_record(expectations.baseline))
    return check(record, expectations, now, summary, only=only)


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


def read_baselines(args: argparse.Namespace, env: Mapping[str, str], config: Config) -> None:
    """Read every ``--baseline`` the settings name (the command line's, the environment's, each
    config section's) before any build is read: one that cannot be read ends the run as one error
    line naming it (exit 3 or 4), instead of every checked build being called unreadable for it.
    The records are kept (:func:`baseline_record`) for the rules."""
    paths = {resolve(vars(args), env, config, section).expectations.baseline
             for section in (None, *PLATFORM_SECTIONS)}
    for path in sorted(p for p in paths if p is not None):
        baseline_record(path)


def uploaded_lookup(args: argparse.Namespace, env: Mapping[str, str], config: Config
                    ) -> Callable[[Summary], UploadedBuild | None] | None:
    """For ``--newer-than-uploaded``: the app's latest processed build, read from the service
    once per platform (:func:`inspector.cli._service.latest_upload_lookup`, the lookup upload
    uses). A failure to read it raises (exit 5 or 7), never passes."""
    if not getattr(args, "newer_than_uploaded", False):
        return None
    from inspector.cli._service import (
        announce_destination,
        latest_upload_lookup,
        service_settings,
        target_from,
        transport_options,
    )
    from inspector.settings import TARGET_OPTIONS, upload_settings
    from inspector.upload.response import uploaded_build

    section = upload_settings(config.upload, source=f"config {config.path} [upload]", path=config.path)
    settings = service_settings(args, env, section, TARGET_OPTIONS)
    if getattr(args, "explain", False):
        from inspector.cli._service import explain_service_settings

        explain_service_settings(settings, config.path)
    target = target_from(settings, env)
    announce_destination(target, upload=False)
    latest = latest_upload_lookup(target, transport_options(settings))

    def lookup(summary: Summary) -> UploadedBuild | None:
        build = latest(summary.platform)
        return None if build is None else uploaded_build(build)

    return lookup


def gate(args: argparse.Namespace, path: Path, record: Any, env: Mapping[str, str], *,
         collect: list[FileVerdict] | None = None, uploaded: UploadedBuild | None = None,
         newer: bool = False, only: tuple[str, ...] | None = None) -> int:
    """Run the gate on one inspected record, as ``upload`` does before sending: findings go to
    stderr as text; returns 0 when it passed, :data:`EXIT_FAILED` when it did not. With
    ``collect`` (an upload of several builds) the verdict is appended there and ``--junit-xml``
    is left to the caller, which writes every build's verdict into one report. ``uploaded`` (with
    ``newer``) is the service's latest processed build, for rule UPL002; ``only`` limits the
    rules run (``upload --no-check --newer-than-uploaded`` runs UPL002 alone)."""
    from inspector.report.check import FileVerdict, render_check_text
    from inspector.summary import summarize

    config = check_settings(args, env)
    now = parse_now(args.now)
    check_junit_path(args.junit_xml)
    if args.explain:
        _explain(args, env, config, [platform_section(summarize(record))], sys.stderr)
    result = evaluate(record, args, env, config, now, uploaded if newer else None, only=only)
    verdicts = [FileVerdict(str(path), result)]
    print(render_check_text(verdicts, colour=_colour(sys.stderr, env)), file=sys.stderr)
    if collect is not None:
        collect.append(FileVerdict(str(path), result=result, exit_code=0 if result.passed else EXIT_FAILED))
    elif args.junit_xml is not None:
        from inspector.report.check import render_check_junit

        write_junit(args.junit_xml, render_check_junit(verdicts, now))
    return 0 if result.passed else EXIT_FAILED


def _colour(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _guarded(render: Callable[[list[FileVerdict]], str], verdicts: list[FileVerdict]
             ) -> tuple[str, list[FileVerdict]]:
    """``render(verdicts)``, each file's part inside its own guard: should the document fail to
    render (a bug: a value the format cannot hold), the files whose own part fails become error
    verdicts and the others keep theirs. Returns the text and the verdicts it shows."""
    from inspector.cli import exit_code_for, for_one_file
    from inspector.report.check import FileVerdict

    try:
        return render(verdicts), verdicts
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:
        if os.environ.get("INSPECTOR_DEBUG"):
            raise
    kept: list[FileVerdict] = []
    for v in verdicts:
        outcome = for_one_file(v.path, functools.partial(render, [v]))
        if isinstance(outcome, InspectorError):
            kept.append(FileVerdict(v.path, error=outcome, exit_code=exit_code_for(outcome)))
        else:
            kept.append(v)
    return render(kept), kept


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    from inspector.cli import error_line, exit_code_for, for_one_file
    from inspector.report.check import (
        FileVerdict,
        render_check_github,
        render_check_json,
        render_check_junit,
        render_check_text,
        render_step_summary,
    )
    from inspector.upload.errors import UploadError

    env = os.environ if env is None else env
    now = parse_now(args.now)
    config = check_settings(args, env)
    if not args.files:
        from inspector.cli import discovered_file

        args.files = [discovered_file("check")]
    check_junit_path(args.junit_xml)
    read_baselines(args, env, config)
    uploaded = uploaded_lookup(args, env, config)
    if uploaded is None:
        # The service options are unused without --newer-than-uploaded, yet a bad value is
        # still a usage error before any file is read, not a setting silently ignored.
        from inspector.cli._service import service_settings

        service_settings(args, env, {}, ("retries", "retry-delay", "timeout", "connect-timeout"))
    verdicts: list[FileVerdict] = []
    sections: list[str | None] = []
    for name in args.files:
        # Whatever goes wrong with one file (a bug included) is that file's verdict.
        read = for_one_file(name, functools.partial(_read, name, not args.no_verify))
        if isinstance(read, InspectorError):
            verdicts.append(FileVerdict(name, error=read, exit_code=exit_code_for(read)))
            continue
        record, summary = read
        # Outside the file's guard: the service failing is not the file failing, and it ends
        # the run as itself (exit 5 or 7), never as "app.apk: UNREADABLE".
        try:
            known = None if uploaded is None else uploaded(summary)
        except UploadError as exc:
            print(error_line(f"the service's latest processed build could not be read for "
                             f"--newer-than-uploaded: {exc}"), file=sys.stderr)
            return exit_code_for(exc)
        outcome = for_one_file(name, functools.partial(evaluate, record, args, env, config, now, known,
                                                       summary))
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
        text, verdicts = _guarded(lambda vs: render_check_json(vs, now), verdicts)
        print(text)
    elif args.format == "junit":
        text, verdicts = _guarded(lambda vs: render_check_junit(vs, now), verdicts)
        print(text)
    elif args.format == "github":
        text, verdicts = _guarded(render_check_github, verdicts)
        if text:
            print(text)
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            markdown, verdicts = _guarded(lambda vs: render_step_summary(vs, now), verdicts)
            try:
                with open(summary_path, "a", encoding="utf-8") as fh:
                    fh.write(markdown)
            except OSError as exc:
                print(f"inspector: warning: cannot append to GITHUB_STEP_SUMMARY "
                      f"{escape.text(summary_path)}: {escape.text(exc.strerror or exc)}", file=sys.stderr)
    else:
        text, verdicts = _guarded(lambda vs: render_check_text(vs, colour=_colour(sys.stdout, env)), verdicts)
        print(text)
    if args.junit_xml is not None:
        junit, verdicts = _guarded(lambda vs: render_check_junit(vs, now), verdicts)
        write_junit(args.junit_xml, junit)
    github_outputs(env, verdicts)
    return max((v.exit_code for v in verdicts), default=0)


def github_outputs(env: Mapping[str, str], verdicts: list[FileVerdict]) -> None:
    """In a GitHub Actions step, the gate's outputs in ``$GITHUB_OUTPUT``: ``verdict`` (passed or
    failed, over every file) and, for one file, its ``identifier``, ``version`` and
    ``build_number``. Values go through escape.github_output: a build cannot add a key."""
    target = env.get("GITHUB_OUTPUT")
    if not target or not env.get("GITHUB_ACTIONS"):
        return
    passed = all(v.exit_code == 0 for v in verdicts)
    text = escape.github_output("verdict", "passed" if passed else "failed")
    if len(verdicts) == 1 and verdicts[0].result is not None:
        summary = verdicts[0].result.summary
        for name, value in (("identifier", summary.identifier), ("version", summary.version),
                            ("build_number", summary.build)):
            text += escape.github_output(name, "" if value is None else value)
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot append to GITHUB_OUTPUT {target} ({exc.strerror or exc})") from exc


def check_junit_path(path: Path | None) -> None:
    """``--junit-xml``: a file that can be written, known before any build is read."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--junit-xml: {path} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--junit-xml: {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--junit-xml: cannot write {path}")


def write_junit(path: Path, xml: str) -> None:
    try:
        path.write_text(xml + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"--junit-xml: cannot write {path} ({exc.strerror or exc})") from exc
