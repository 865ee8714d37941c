"""``inspector upload FILE``: check the build, build its request, send it, optionally wait for processing.

Settings: one model (:mod:`inspector.settings`): flag > environment > ``[upload]`` section of the
config file > default. The check gate runs here through :mod:`inspector.cli.check`, the service's
latest build is read through :mod:`inspector.cli._service`, the same lookup ``check`` uses.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.cli import check as check_cmd
from inspector.cli._service import (
    ALLOW_HTTP_ENV,
    DESTINATION_KEYS,
    ENV_ALIASES,
    TRUST_DESTINATION_ENV,
    UploadSection,
    add_link_arguments,
    add_target_arguments,
    announce_destination,
    build_link,
    explain_service_settings,
    github_output,
    json_errors,
    latest_upload_lookup,
    load_upload_config,
    note,
    on_status,
    print_build,
    report_unfinished,
    service_settings,
    target_from,
    transport_options,
    upload_settings,
    wait_options,
)
from inspector.errors import InspectorError, InvalidField, UsageError
from inspector.report import escape
from inspector.settings import CHANGELOG_MAX_BYTES, ServiceSettings, read_named_file, source_rank
from inspector.upload import inspect_for_upload, prepare
from inspector.upload.deployer import detect_deployer, parse_overrides
from inspector.upload.errors import ProcessingError, UploadError, WaitTimeoutError
from inspector.upload.request import (
    BUILD_PLATFORMS,
    ICON_MAX_BYTES,
    NOTIFY_LANGUAGES,
    Target,
    UploadFields,
    UploadRequest,
    dump_json,
    parse_filter,
    parse_tags,
    platform_problem,
)
from inspector.upload.response import Build, uploaded_build

__all__ = [
    "ALLOW_HTTP_ENV",
    "DESTINATION_KEYS",
    "ENV_ALIASES",
    "TRUST_DESTINATION_ENV",
    "UploadSection",
    "add_parser",
    "add_target_arguments",
    "announce_destination",
    "json_errors",
    "load_upload_config",
    "run",
    "target_from",
    "upload_settings",
]

#: Settings that name a file to read, and the most bytes read from each.
_FILE_KEYS = {"changelog-file": CHANGELOG_MAX_BYTES, "package-icon": ICON_MAX_BYTES}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("upload", help="check a build and upload it to Applivery",
                       description="Check a build, then upload it to Applivery (spec: upload-api.md).",
                       conflict_handler="resolve")
    # ``--dry-run FILE`` parses with the file as the option's value: run() moves it back.
    p.add_argument("files", metavar="FILE", nargs="*",
                   help="ipa, apk, aab, pkg, or a custom-platform build; several are each checked "
                        "before any is uploaded (none: see README 'Which build')")
    _add_check_arguments(p)
    add_target_arguments(p)
    add_link_arguments(p)
    f = p.add_argument_group("form fields (unset ones are not sent)")
    f.add_argument("--version-name", metavar="V", help="human label, e.g. v2.4.0-rc1")
    f.add_argument("--tags", action="append", metavar="T1,T2", help="comma-separated tags (repeatable)")
    f.add_argument("--changelog", metavar="TEXT", help="changelog text")
    f.add_argument("--changelog-file", metavar="PATH", help="read the changelog from a file")
    f.add_argument("--notify-collaborators", action=argparse.BooleanOptionalAction, default=None)
    f.add_argument("--notify-employees", action=argparse.BooleanOptionalAction, default=None)
    f.add_argument("--notify-message", metavar="TEXT", help="the notification's text")
    f.add_argument("--notify-language", choices=NOTIFY_LANGUAGES, help="language of the notification")
    f.add_argument("--filter", metavar="GROUPS", help="employee groups: 'g1,g2|g3' = (g1 AND g2) OR g3")
    f.add_argument("--deployer-name", metavar="NAME", help="deployer.name (default: the CI's name)")
    f.add_argument("--deployer-info", action="append", metavar="KEY=VALUE",
                   help="override one deployer.info value (commit, branch, buildUrl, ...)")
    f.add_argument("--no-deployer", action="store_true", help="send no deployer fields")
    f.add_argument("--no-git", dest="git", action="store_false", default=None,
                   help="do not ask git for the commit when no CI gives it")
    f.add_argument("--build-platform", choices=BUILD_PLATFORMS, help="custom build platform")
    f.add_argument("--package-name", metavar="ID", help="packageName (default: the inspected identifier)")
    f.add_argument("--package-version", metavar="V", help="packageVersion (default: the inspected version)")
    f.add_argument("--package-icon", metavar="PATH", help="packageIcon, PNG or JPEG")
    s = p.add_argument_group("sending")
    s.add_argument("--dry-run", nargs="?", const="json", metavar="json|curl",
                   help="print the exact request (token redacted) and send nothing; "
                        "--dry-run=curl for a curl command")
    s.add_argument("--wait", action="store_true", default=None, help="poll until processed or error")
    s.add_argument("--wait-timeout", type=float, metavar="S", help="give up waiting after S (default 1800)")
    s.add_argument("--wait-interval", type=float, metavar="S", help="seconds between polls (default 10)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.add_argument("--skip-existing", action="store_true",
                   help="exit 0 without uploading when the build number is already the app's latest "
                        "processed build's (reads the build list: needs a token)")
    s.add_argument("--no-check", action="store_true", help="skip the pre-upload check (said on stderr)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (or lines, in a log)")
    p.set_defaults(run=run)


def _add_check_arguments(p: argparse.ArgumentParser) -> None:
    check_cmd.add_check_arguments(p)  # --config, --now, --strict, every expectation
    if not any("--newer-than-uploaded" in a.option_strings for a in p._actions):
        p.add_argument("--newer-than-uploaded", action="store_true",
                       help="fail unless the build number is greater than the latest processed upload's")






def _read_file_setting(settings: ServiceSettings, key: str) -> tuple[bytes, str] | None:
    """The bytes of the file ``key`` names, capped; None when nothing names one. A flag or a
    variable may name any regular file; a config file only one inside its own folder (relative
    to it)."""
    cap = _FILE_KEYS[key]
    named, source = settings[key], settings.sources[key]
    if named is None:
        return None
    if not source.startswith("config"):
        what = f"--{key}" if source.startswith("flag") else source
        return read_named_file(named, cap=cap, what=what), str(named)
    folder = settings.config.path
    root = folder.parent if folder is not None else Path.cwd()
    path = root / str(named)
    data = read_named_file(path, cap=cap, what=f"config {folder} [upload] {key}", within=root)
    return data, str(path)  # valid from the working folder: a dry run's curl command reads it


def _icon(settings: ServiceSettings) -> tuple[bytes | None, str | None]:
    found = _read_file_setting(settings, "package-icon")
    return found if found is not None else (None, None)


def _changelog(settings: ServiceSettings) -> str | None:
    """``changelog`` or the file ``changelog-file`` names: the stronger source wins (a flag over a
    variable over the config file); at the same level the text wins, and two flags are refused."""
    def rank(name: str) -> int:
        return source_rank(settings.sources[name]) if settings[name] is not None else -1

    text_rank, file_rank = rank("changelog"), rank("changelog-file")
    if text_rank == file_rank == 3:
        raise UsageError("--changelog and --changelog-file: give one")
    if text_rank < 0 and file_rank < 0:
        return None
    if text_rank >= file_rank:
        return str(settings["changelog"])
    found = _read_file_setting(settings, "changelog-file")
    assert found is not None
    data, name = found
    try:
        return data.decode("utf-8").strip() or None
    except UnicodeDecodeError:
        raise UsageError(f"changelog file {escape.text(name)}: not UTF-8 text") from None


#: The form fields the library names in :class:`InvalidField`, and the settings that set them.
_FIELD_SETTINGS = {"notifyLanguage": "notify-language", "buildPlatform": "build-platform", "tags": "tags",
                   "filter": "filter", "packageIcon": "package-icon"}


def fields_from(args: argparse.Namespace, env: Mapping[str, str], settings: ServiceSettings) -> UploadFields:
    """The user's form fields from the resolved settings; the deployer from ``env`` and git. A
    value the library refuses (:class:`InvalidField`) is reported where it came from: the flag,
    the variable or the config file."""
    try:
        return _fields(args, env, settings)
    except InvalidField as exc:
        name = _FIELD_SETTINGS.get(exc.field)
        source = settings.sources.get(name, "") if name else ""
        if source and not source.startswith("flag"):
            raise UsageError(f"{source.removeprefix('environment ')}: {exc.message}") from None
        raise  # a flag: the command line shows it as --notify-language


def _fields(args: argparse.Namespace, env: Mapping[str, str], settings: ServiceSettings) -> UploadFields:
    tags_value = settings["tags"]
    filter_value = settings["filter"]
    if isinstance(filter_value, list):
        groups = tuple(tuple(str(g) for g in (alt if isinstance(alt, list) else [alt]))
                       for alt in filter_value)
    else:
        groups = parse_filter(filter_value) if filter_value else ()
    deployer = None
    if not args.no_deployer:
        overrides: dict[str, str | None] = dict(parse_overrides(args.deployer_info))
        if settings["deployer-name"]:
            overrides["name"] = settings["deployer-name"]
        from inspector.cli.inspect import parse_now  # --now is also the upload's trigger time

        deployer = detect_deployer(env, use_git=bool(settings["git"]), overrides=overrides,
                                   now=parse_now(getattr(args, "now", None)))
    icon, icon_path = _icon(settings)
    return UploadFields(
        version_name=settings["version-name"],
        tags=parse_tags(tags_value) if tags_value else (),
        changelog=_changelog(settings),
        notify_collaborators=settings["notify-collaborators"],
        notify_employees=settings["notify-employees"],
        notify_message=settings["notify-message"],
        notify_language=settings["notify-language"],
        filter=groups,
        deployer=deployer,
        build_platform=settings["build-platform"],
        package_name=settings["package-name"],
        package_version=settings["package-version"],
        package_icon=icon,
        package_icon_source=icon_path,
    )


def _check(args: argparse.Namespace, path: Path, record: Any, env: Mapping[str, str],
           collect: list[Any] | None = None, uploaded: Any = None, newer: bool = False) -> int:
    """The gate on one build; ``newer`` runs UPL002 against ``uploaded`` (the service's latest
    processed build), as ``check --newer-than-uploaded`` does, even with ``--no-check``."""
    if args.no_check:
        print("inspector: --no-check: the build was not checked before upload", file=sys.stderr)
        if not newer or record is None:
            return 0
        return int(check_cmd.gate(args, path, record, env, collect=collect, uploaded=uploaded,
                                  newer=True, only=("UPL002",)))
    if record is None:
        print(f"inspector: {escape.text(path.name)}: not a format inspector reads; nothing to check",
              file=sys.stderr)
        return 0
    return int(check_cmd.gate(args, path, record, env, collect=collect, uploaded=uploaded, newer=newer))


def _files_and_dry_run(args: argparse.Namespace) -> list[Path]:
    """The builds to upload. ``--dry-run app.ipa`` means a JSON dry run of app.ipa; any other
    value must be json or curl. No FILE: the one :func:`inspector.cli.discovered_file` finds."""
    files = list(args.files)
    if args.dry_run not in (None, "json", "curl"):
        if files:
            raise UsageError(f"--dry-run: {args.dry_run!r} is not json or curl")
        files, args.dry_run = [args.dry_run], "json"
    if not files:
        from inspector.cli import discovered_file  # here: inspector.cli imports this module

        files = [discovered_file("upload")]
    paths = [Path(name) for name in files]
    seen: set[Path] = set()
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        if path.resolve() in seen:
            raise UsageError(f"{path}: given twice")
        seen.add(path.resolve())
    return paths


@dataclass
class _Build:
    """One build of an ``upload A B...`` run: its request once prepared, and how it ended."""

    path: Path
    request: UploadRequest | None = None
    code: int = 0
    outcome: str = ""
    skipped: bool = False
    json_doc: dict[str, Any] | None = None


@json_errors
def run(args: argparse.Namespace) -> int:
    """Every build is read and checked first; none is uploaded if one fails (or cannot be read).
    Then each is uploaded in turn, a failure not stopping the others; with several builds standard
    error ends with one summary line per build, and the exit code is the worst."""
    env = dict(os.environ)
    config = load_upload_config(args, env)
    settings = service_settings(args, env, config)
    for line in settings.notes:
        note(line)
    paths = _files_and_dry_run(args)
    for path in paths:
        problem = platform_problem(path.name, settings["build-platform"])
        if problem:
            raise UsageError(problem)  # before any build is read or anything is sent
    if getattr(args, "explain", False):
        explain_service_settings(settings, config.path)
    if not args.no_check:
        check_cmd.read_baselines(args, env, check_cmd.check_settings(args, env))
    target = target_from(settings, env, require_token=args.dry_run is None)
    if target.token is None:
        print(f"inspector: no token set: the dry run shows the Authorization header as "
              f"${target.token_variable}", file=sys.stderr)
    fields = fields_from(args, env, settings)
    link = build_link(settings, target)
    # Every option was checked (service_settings) before any build is read.
    options = transport_options(settings)
    lookup = latest_upload_lookup(target, options)
    builds = [_Build(path) for path in paths]
    single = len(builds) == 1
    verdicts: list[Any] | None = None if single else []  # several: one JUnit report for all
    for build in builds:
        _guarded(single, build, functools.partial(_gate, args, env, target, fields, build, lookup, link,
                                                  single, verdicts), verdicts)
    if verdicts and getattr(args, "junit_xml", None) is not None:
        from inspector.cli.inspect import parse_now
        from inspector.report.check import render_check_junit

        check_cmd.write_junit(args.junit_xml, render_check_junit(verdicts, parse_now(args.now)))
    if any(b.code for b in builds):
        if not single:
            print("inspector: a build did not pass: nothing was uploaded", file=sys.stderr)
        return _summary(builds, args.json and not single)
    if args.dry_run is not None:
        requests_ = [b.request for b in builds if b.request is not None and not b.skipped]
        if args.dry_run == "curl":
            print("\n\n".join(runnable(r).to_curl() for r in requests_))
        elif single:
            print(dump_json(requests_[0].to_json()))
        else:
            print(dump_json([r.to_json() for r in requests_]))
        return 0
    if all(b.skipped for b in builds):
        if single and args.json and builds[0].json_doc is not None:
            print(dump_json(builds[0].json_doc))
        return _summary(builds, args.json and not single)
    announce_destination(target, api=bool(settings["wait"]))
    for build in builds:
        if not build.skipped:
            _guarded(single, build,
                     functools.partial(_send, args, env, settings, target, build, options, link, single))
    return _summary(builds, args.json and not single)


def _guarded(single: bool, build: _Build, action: Callable[[], None],
             verdicts: list[Any] | None = None) -> None:
    """Run one build's step. With one build an error goes up as it always did (one line, its exit
    code); with several it is that build's outcome, printed now (and, in ``verdicts``, its JUnit
    entry), and the others go on."""
    if single:
        action()
        return
    from inspector.cli import error_line, exit_code_for, for_one_file

    outcome = for_one_file(str(build.path), action)
    if isinstance(outcome, InspectorError):
        print(error_line(outcome), file=sys.stderr)
        build.code, build.outcome = exit_code_for(outcome), f"error: {outcome}"
        build.json_doc = {"error": str(outcome), "exit_code": build.code}
        if verdicts is not None:
            from inspector.report.check import FileVerdict

            verdicts.append(FileVerdict(str(build.path), error=outcome, exit_code=build.code))


def _gate(args: argparse.Namespace, env: Mapping[str, str], target: Target, fields: UploadFields,
          build: _Build, lookup: Callable[[str | None], Build | None], link: Callable[[Build], Build],
          single: bool, verdicts: list[Any] | None) -> None:
    """Read the build, build its request and check it; the outcome is set when it must not go up.

    ``--newer-than-uploaded`` and ``--skip-existing`` read the service's latest processed build
    first (``lookup``, the one ``check --newer-than-uploaded`` uses): the gate then runs rule
    UPL002 on it, as check does. A build whose number is that build's own is skipped instead
    (a re-run, not a regression), the rest of the gate still deciding whether it passed.
    """
    path = build.path
    record, summary = inspect_for_upload(path, verify=not args.no_verify)
    build.request = prepare(path, fields, target, record=record, summary=summary)
    wants = [flag for flag in ("newer_than_uploaded", "skip_existing") if getattr(args, flag, False)]
    latest: Build | None = None
    if wants and args.dry_run is None:
        if summary is None:
            raise UsageError(f"--{wants[0].replace('_', '-')}: {path.name} has no build number inspector "
                             "can read")
        announce_destination(target, upload=False)
        latest = lookup(summary.platform)
    skip = "skip_existing" in wants and latest is not None and already_latest(summary, latest)
    newer = "newer_than_uploaded" in wants and args.dry_run is None and not skip
    uploaded = uploaded_build(latest) if newer and latest is not None else None
    if _check(args, path, record, env, verdicts, uploaded=uploaded, newer=newer) != 0:
        build.code, build.outcome = check_cmd.EXIT_FAILED, "the check failed"
        if single:
            print("inspector: the check failed: nothing was uploaded", file=sys.stderr)
        return
    if skip:
        assert latest is not None and summary is not None  # a latest build is looked up by its summary
        latest = link(latest)
        message = (f"build number {summary.build} is already the app's latest processed build "
                   f"({latest.id}): skipped (--skip-existing)")
        build.skipped, build.outcome = True, message
        build.json_doc = {**latest.to_json(), "skipped": message}
        github_output(env, latest)  # the build the service already has
        print(f"inspector: {escape.text(path.name)}: {escape.text(message)}", file=sys.stderr)


def already_latest(summary: Any, latest: Build) -> bool:
    """``--skip-existing``: whether the build number of ``summary`` is that of ``latest``, the
    app's latest processed build (the one ``--newer-than-uploaded`` compares with). Like twine's
    --skip-existing: a re-run job does not upload the same build again."""
    from inspector.versions import version_tuple

    uploaded = uploaded_build(latest).build_number
    if uploaded is None or summary.build is None:
        return False
    mine, theirs = version_tuple(str(summary.build)), version_tuple(uploaded)
    return str(summary.build) == uploaded or (mine is not None and mine == theirs)


def _send(args: argparse.Namespace, env: Mapping[str, str], settings: ServiceSettings, target: Target,
          item: _Build, options: dict[str, Any], link: Callable[[Build], Build], single: bool) -> None:
    from inspector.upload import transport

    assert item.request is not None
    as_json = args.json and single
    quiet = args.json and not single  # several builds: standard output is one JSON document, at the end
    progress: Callable[[int, int], None] | None = None
    if not args.no_progress and settings["progress"]:
        # A bar on a terminal; in a log (CI), a line every 10 % or 30 s.
        progress = (transport.ProgressBar(sys.stderr) if sys.stderr.isatty()
                    else transport.ProgressLines(sys.stderr, item.path.name))

    def on_retry(n: int, delay: float, exc: UploadError) -> None:
        print(f"inspector: try {n} failed ({escape.text(exc)}); retrying in {delay:g} s", file=sys.stderr)

    build = link(transport.send(item.request, progress=progress, on_retry=on_retry, **options))
    github_output(env, build)
    item.outcome, item.json_doc = f"uploaded build {build.id} ({build.status})", build.to_json()
    if settings["wait"]:
        if not args.json:
            print_build(build, False, "uploaded")
        try:
            build = link(transport.wait_for_build(target, build.id, policy=options["policy"],
                                                  on_status=on_status, **wait_options(settings)))
        except (ProcessingError, WaitTimeoutError) as exc:
            item.code = report_unfinished(exc, env, as_json)
            if isinstance(exc.build, Build):
                item.json_doc = {**exc.build.to_json(), "error": str(exc), "exit_code": item.code}
            item.outcome = str(exc)
            return
        github_output(env, build)
        item.outcome, item.json_doc = f"build {build.id}: {build.status}", build.to_json()
    if not quiet:
        print_build(build, as_json, "processed" if build.done else "uploaded")


def _summary(builds: list[_Build], as_json: bool) -> int:
    """The worst exit code; with several builds, one line per build on standard error (and, with
    ``--json``, one document listing them)."""
    if len(builds) > 1:
        for b in builds:
            shown = b.outcome or "checked, not uploaded"
            print(escape.line(f"inspector: summary: {escape.text(b.path)}: {escape.text(shown)}"),
                  file=sys.stderr)
        if as_json:
            docs = [{"file": str(b.path), **(b.json_doc or ({"error": b.outcome, "exit_code": b.code}
                                                              if b.code else {}))} for b in builds]
            print(dump_json({"builds": docs}))
    return max(b.code for b in builds)


def runnable(request: UploadRequest) -> UploadRequest:
    """``request`` with every part held in memory (an icon extracted from the build) written to a
    file of its own, which the curl command then reads; standard error names each file."""
    import dataclasses
    import tempfile

    parts = []
    for part in request.files:
        if part.path is None and part.source is None and part.data is not None:
            suffix = ".png" if part.content_type == "image/png" else ".jpg"
            fd, name = tempfile.mkstemp(prefix=f"inspector-{part.name}-", suffix=suffix)
            with os.fdopen(fd, "wb") as handle:
                handle.write(part.data)
            print(f"inspector: {part.name} extracted from the build written to {escape.text(name)} "
                  "(the curl command reads it)", file=sys.stderr)
            part = dataclasses.replace(part, source=name)
        parts.append(part)
    return dataclasses.replace(request, files=tuple(parts))


