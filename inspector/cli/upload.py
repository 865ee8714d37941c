"""``inspector upload FILE``: check the build, build its request, send it, optionally wait for processing.

Settings: flag > environment > ``[upload]`` section of the config file > default. The check gate,
the config file and the newer-than-uploaded rule are called from here only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from inspector.cli import check as check_cmd
from inspector.errors import UsageError
from inspector.report import escape
from inspector.settings import CHANGELOG_MAX_BYTES, load_config, read_named_file
from inspector.upload import inspect_for_upload, prepare
from inspector.upload.deployer import detect_deployer, parse_overrides
from inspector.upload.errors import ProcessingError, UploadError, WaitTimeoutError
from inspector.upload.request import (
    BUILD_PLATFORMS,
    ICON_MAX_BYTES,
    NOTIFY_LANGUAGES,
    Secret,
    Target,
    UploadFields,
    base_urls,
    dump_json,
    parse_filter,
    parse_tags,
)
from inspector.upload.response import Build

__all__ = [
    "ALLOW_HTTP_ENV",
    "DESTINATION_KEYS",
    "TRUST_DESTINATION_ENV",
    "UPLOAD_CONFIG_KEYS",
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

#: ``[upload]`` keys of the config file and their kinds. A token is never one of them.
UPLOAD_CONFIG_KEYS: dict[str, type | tuple[type, ...]] = {
    "tenant": str, "upload-url": str, "api-url": str, "organization": str, "app": str,
    "tags": (str, list), "changelog": str, "changelog-file": str,
    "notify-collaborators": bool, "notify-employees": bool, "notify-message": str,
    "notify-language": str, "filter": (str, list), "deployer-name": str,
    "build-platform": str, "package-name": str, "package-version": str, "package-icon": str,
    "retries": int, "retry-delay": (int, float), "timeout": (int, float), "connect-timeout": (int, float),
    "wait": bool, "wait-timeout": (int, float), "wait-interval": (int, float), "progress": bool,
    "git": bool,
}


#: ``[upload]`` keys that decide which host receives the token, with the flag and the environment
#: variable that confirm them. A config file may only repeat what one of those says.
DESTINATION_KEYS: dict[str, tuple[str, str | None]] = {
    "tenant": ("--tenant", None),
    "upload-url": ("--upload-url", "APPLIVERY_UPLOAD_URL"),
    "api-url": ("--api-url", "APPLIVERY_API_URL"),
}
#: The environment variable that trusts a config file's destination: its value must be the
#: config's value itself (several separated by spaces or commas), never a blanket "yes".
TRUST_DESTINATION_ENV = "INSPECTOR_TRUST_CONFIG_DESTINATION"
#: ``--allow-http`` in the environment: a plain-http destination (a test server) is accepted.
ALLOW_HTTP_ENV = "INSPECTOR_ALLOW_HTTP"
#: ``[upload]`` keys that name a file to read, and the most bytes read from each.
_FILE_KEYS = {"changelog-file": CHANGELOG_MAX_BYTES, "package-icon": ICON_MAX_BYTES}


class UploadSection(dict[str, Any]):
    """The checked ``[upload]`` section, with the config file it came from (``path``, None when
    built in code): files it names are read inside that file's folder only."""

    path: Path | None = None


def upload_settings(section: Mapping[str, Any], source: str = "[upload]",
                    path: Path | None = None) -> UploadSection:
    """The ``[upload]`` section, checked: known keys (``a-b`` or ``a_b``), right types, no token.

    Returns a dict keyed by the dashed option names. A key naming a token, secret or password is
    refused: the config file is committed, tokens belong in the environment.
    """
    out = UploadSection()
    out.path = path
    for raw_key, value in section.items():
        key = str(raw_key).replace("_", "-")
        lowered = key.lower()
        if any(word in lowered for word in ("token", "secret", "password")):
            raise UsageError(f"{source}: {raw_key}: a token does not belong in a config file; "
                             "use APPLIVERY_APP_TOKEN or APPLIVERY_SERVICE_ACCOUNT_TOKEN")
        kind = UPLOAD_CONFIG_KEYS.get(key)
        if kind is None:
            raise UsageError(f"{source}: unknown key {raw_key!r} (known: {', '.join(UPLOAD_CONFIG_KEYS)})")
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
            raise UsageError(f"{source}: {raw_key}: wrong type {type(value).__name__}")
        out[key] = value
    return out


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    """The token, workspace ids and base URLs shared by ``upload``, ``status`` and ``builds``."""
    g = p.add_argument_group("where to (tokens come from the environment or a flag, never a file)")
    g.add_argument("--token", help="App API token (Integrations API; env APPLIVERY_APP_TOKEN)")
    g.add_argument("--service-account-token", metavar="TOKEN",
                   help="Service Account token (Workspace API; env APPLIVERY_SERVICE_ACCOUNT_TOKEN)")
    g.add_argument("--organization", metavar="ID", help="organization id (env APPLIVERY_ORGANIZATION_ID)")
    g.add_argument("--app", metavar="ID", help="application id (env APPLIVERY_APP_ID)")
    g.add_argument("--tenant", metavar="NAME", help="private tenant: acme -> upload.acme.applivery.io")
    g.add_argument("--upload-url", metavar="URL", help="upload base URL (env APPLIVERY_UPLOAD_URL)")
    g.add_argument("--api-url", metavar="URL", help="API base URL (env APPLIVERY_API_URL)")
    g.add_argument("--allow-http", action="store_true", default=None,
                   help=f"accept a plain http:// destination, loopback included (env {ALLOW_HTTP_ENV}=1)")
    g.add_argument("--retries", type=int, metavar="N", help="retries of a transient failure (default 5)")
    g.add_argument("--retry-delay", type=float, metavar="S",
                   help="first wait before a retry, doubled each time; Retry-After wins (default 1)")
    g.add_argument("--timeout", type=float, metavar="S", help="read timeout in seconds (default 600)")
    g.add_argument("--connect-timeout", type=float, metavar="S", help="connect timeout (default 60)")


def _pick(args: argparse.Namespace, dest: str, env: Mapping[str, str], env_name: str | None,
          config: Mapping[str, Any], default: Any = None) -> Any:
    value = getattr(args, dest, None)
    if value is not None:
        return value
    if env_name and env.get(env_name):
        return env[env_name]
    return config.get(dest.replace("_", "-"), default)


def _setting(args: argparse.Namespace, config: Mapping[str, Any], dest: str, default: Any = None) -> Any:
    """A setting with no environment variable: the flag, else the ``[upload]`` key, else ``default``."""
    return _pick(args, dest, {}, None, config, default)


def _destination(args: argparse.Namespace, key: str, env: Mapping[str, str],
                 config: Mapping[str, Any]) -> Any:
    """A destination setting: the flag, else the environment; a config file's value only when the
    environment confirms it (:data:`TRUST_DESTINATION_ENV`), else a usage error naming file and key."""
    flag, env_name = DESTINATION_KEYS[key]
    value = getattr(args, key.replace("-", "_"), None)
    if value is None and env_name and env.get(env_name):
        value = env[env_name]
    if value is not None or key not in config:
        return value
    from_file = config[key]
    trusted = env.get(TRUST_DESTINATION_ENV, "").replace(",", " ").split()
    if str(from_file) in trusted:
        return from_file
    where = f"config {getattr(config, 'path', None) or '(in code)'} [upload] {key}"
    confirm = f"{flag}{' or ' + env_name if env_name else ''}"
    raise UsageError(f"{where}: a config file does not choose where the token goes; give the same "
                     f"value with {confirm}, or list it in {TRUST_DESTINATION_ENV}")


def _allow_http(args: argparse.Namespace, env: Mapping[str, str]) -> bool:
    if getattr(args, "allow_http", None):
        return True
    return env.get(ALLOW_HTTP_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def target_from(args: argparse.Namespace, env: Mapping[str, str], config: Mapping[str, Any]) -> Target:
    """The target: ``--service-account-token`` (Workspace API) or ``--token`` (Integrations API),
    flags first, then APPLIVERY_SERVICE_ACCOUNT_TOKEN / APPLIVERY_APP_TOKEN.

    The destination (``tenant``, ``upload-url``, ``api-url``) comes from a flag or the environment;
    a config file's is refused unless confirmed (see :func:`_destination`); ``http://`` needs
    ``--allow-http`` or :data:`ALLOW_HTTP_ENV`.
    """
    upload_url, api_url = base_urls(
        _destination(args, "tenant", env, config),
        _destination(args, "upload-url", env, config),
        _destination(args, "api-url", env, config),
        allow_http=_allow_http(args, env),
    )
    org = _pick(args, "organization", env, "APPLIVERY_ORGANIZATION_ID", config)
    app = _pick(args, "app", env, "APPLIVERY_APP_ID", config)
    flag_sa, flag_token = getattr(args, "service_account_token", None), getattr(args, "token", None)
    if flag_sa is not None:
        sa, app_token = flag_sa, None
    elif flag_token is not None:
        sa, app_token = None, flag_token
    else:
        sa, app_token = env.get("APPLIVERY_SERVICE_ACCOUNT_TOKEN"), env.get("APPLIVERY_APP_TOKEN")
        if sa and app_token:
            # Both in the environment: the Workspace API when its ids are there too.
            sa, app_token = (sa, None) if org and app else (None, app_token)
    if sa:
        if not (org and app):
            raise UsageError("the Workspace API (a service-account token) needs --organization and --app "
                             "(or APPLIVERY_ORGANIZATION_ID and APPLIVERY_APP_ID)")
        return Target(Secret(sa), organization=str(org), app=str(app),
                      upload_url=upload_url, api_url=api_url)
    if not app_token:
        raise UsageError("no token: pass --token (or set APPLIVERY_APP_TOKEN), or --service-account-token "
                         "with --organization and --app")
    return Target(Secret(app_token), upload_url=upload_url, api_url=api_url)


def transport_options(args: argparse.Namespace, config: Mapping[str, Any]) -> dict[str, Any]:
    """``policy`` and ``timeout`` for the transport (``--retries``, ``--timeout``, ``--connect-timeout``)."""
    from inspector.upload.transport import RetryPolicy

    retries = _setting(args, config, "retries", 5)
    read = _setting(args, config, "timeout", 600.0)
    connect = _setting(args, config, "connect_timeout", 60.0)
    if retries < 0 or read <= 0 or connect <= 0:
        raise UsageError("--retries must be >= 0 and timeouts > 0")
    delay = _setting(args, config, "retry_delay", 1.0)
    if delay < 0:
        raise UsageError("--retry-delay must be >= 0")
    return {"policy": RetryPolicy(retries=int(retries), base=float(delay)),
            "timeout": (float(connect), float(read))}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("upload", help="check a build and upload it to Applivery",
                       description="Check a build, then upload it to Applivery (spec: upload-api.md).",
                       conflict_handler="resolve")
    # nargs="?" so that ``--dry-run FILE`` (the value then being the file) parses; run() insists.
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="ipa, apk, aab, pkg, or a custom-platform build")
    _add_check_arguments(p)
    add_target_arguments(p)
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
    s.add_argument("--no-check", action="store_true", help="skip the pre-upload check (said on stderr)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (or lines, in a log)")
    p.set_defaults(run=run)


def _add_check_arguments(p: argparse.ArgumentParser) -> None:
    check_cmd.add_check_arguments(p)  # --config, --now, --strict, every expectation
    if not any("--newer-than-uploaded" in a.option_strings for a in p._actions):
        p.add_argument("--newer-than-uploaded", action="store_true",
                       help="fail unless the build number is greater than the latest processed upload's")


def load_upload_config(args: argparse.Namespace) -> UploadSection:
    """The checked ``[upload]`` section of the config file (the one ``check`` reads)."""
    config = load_config(getattr(args, "config", None) or os.environ.get("INSPECTOR_CONFIG"), Path.cwd())
    return upload_settings(config.upload, source=f"config {config.path} [upload]", path=config.path)


def announce_destination(target: Target, *, upload: bool = True, api: bool = True) -> None:
    """One line on standard error naming the host(s) the token is about to be sent to."""
    from urllib.parse import urlsplit

    hosts = [urlsplit(url).netloc for used, url in ((upload, target.upload_url), (api, target.api_url))
             if used]
    shown = " and ".join(dict.fromkeys(escape.text(h) for h in hosts))
    print(f"inspector: the token goes to {shown}", file=sys.stderr)


def _read_file_setting(args: argparse.Namespace, config: Mapping[str, Any],
                       key: str) -> tuple[bytes, str] | None:
    """The bytes of the file a flag (any regular file) or the config (one inside the config file's
    folder, relative to it) names for ``key``, capped; None when neither names one."""
    cap = _FILE_KEYS[key]
    flag = getattr(args, key.replace("-", "_"), None)
    if flag is not None:
        return read_named_file(flag, cap=cap, what=f"--{key}"), str(flag)
    if key not in config:
        return None
    folder = getattr(config, "path", None)
    root = folder.parent if folder is not None else Path.cwd()
    named = root / str(config[key])
    data = read_named_file(named, cap=cap, what=f"config {folder} [upload] {key}", within=root)
    return data, str(config[key])


def _icon(args: argparse.Namespace, config: Mapping[str, Any]) -> tuple[bytes | None, str | None]:
    found = _read_file_setting(args, config, "package-icon")
    return found if found is not None else (None, None)


def _changelog(args: argparse.Namespace, config: Mapping[str, Any]) -> str | None:
    if args.changelog is not None and args.changelog_file is not None:
        raise UsageError("--changelog and --changelog-file: give one")
    if args.changelog is not None:
        return str(args.changelog)
    if args.changelog_file is None and "changelog" in config:
        return config.get("changelog")
    found = _read_file_setting(args, config, "changelog-file")
    if found is None:
        return None
    data, name = found
    try:
        return data.decode("utf-8").strip() or None
    except UnicodeDecodeError:
        raise UsageError(f"changelog file {escape.text(name)}: not UTF-8 text") from None


def fields_from(args: argparse.Namespace, env: Mapping[str, str], config: Mapping[str, Any]) -> UploadFields:
    """The user's form fields: flags, then ``[upload]``; the deployer from ``env`` and git."""
    tags_value = args.tags if args.tags is not None else config.get("tags")
    filter_value = args.filter if args.filter is not None else config.get("filter")
    if isinstance(filter_value, list):
        groups = tuple(tuple(str(g) for g in (alt if isinstance(alt, list) else [alt]))
                       for alt in filter_value)
    else:
        groups = parse_filter(filter_value) if filter_value else ()
    deployer = None
    if not args.no_deployer:
        overrides: dict[str, str | None] = dict(parse_overrides(args.deployer_info))
        name = _setting(args, config, "deployer_name")
        if name:
            overrides["name"] = name
        use_git = bool(_setting(args, config, "git", True))
        deployer = detect_deployer(env, use_git=use_git, overrides=overrides)
    language = _setting(args, config, "notify_language")
    icon, icon_path = _icon(args, config)
    return UploadFields(
        version_name=args.version_name,
        tags=parse_tags(tags_value) if tags_value else (),
        changelog=_changelog(args, config),
        notify_collaborators=_setting(args, config, "notify_collaborators"),
        notify_employees=_setting(args, config, "notify_employees"),
        notify_message=_setting(args, config, "notify_message"),
        notify_language=language,
        filter=groups,
        deployer=deployer,
        build_platform=_setting(args, config, "build_platform"),
        package_name=_setting(args, config, "package_name"),
        package_version=_setting(args, config, "package_version"),
        package_icon=icon,
        package_icon_source=icon_path,
    )


def _check(args: argparse.Namespace, path: Path, record: Any, env: Mapping[str, str]) -> int:
    if args.no_check:
        print("inspector: --no-check: the build was not checked before upload", file=sys.stderr)
        return 0
    if record is None:
        print(f"inspector: {escape.text(path.name)}: not a format inspector reads; nothing to check",
              file=sys.stderr)
        return 0
    return int(check_cmd.gate(args, path, record, env))


def _github_output(env: Mapping[str, str], build: Build) -> None:
    target = env.get("GITHUB_OUTPUT")
    if not target or not env.get("GITHUB_ACTIONS"):
        return
    # A value from the service never adds a key: escape.github_output uses the heredoc form,
    # with a delimiter the value does not hold, for anything but one plain line.
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(escape.github_output("build_id", build.id)
                     + escape.github_output("build_status", build.status))


def print_build(build: Build, as_json: bool, verb: str = "uploaded") -> None:
    if as_json:
        print(dump_json(build.to_json()))
    else:
        print(escape.line(f"{verb} build {escape.text(build.id)}: {escape.text(build.status)}".lstrip()))


def wait_options(args: argparse.Namespace, config: Mapping[str, Any]) -> dict[str, float]:
    timeout = _setting(args, config, "wait_timeout", 1800.0)
    interval = _setting(args, config, "wait_interval", 10.0)
    if timeout <= 0 or interval <= 0:
        raise UsageError("--wait-timeout and --wait-interval must be > 0")
    return {"timeout": float(timeout), "interval": float(interval)}


def _on_status(build: Build) -> None:
    print(f"inspector: build {escape.text(build.id)}: {escape.text(build.status)}", file=sys.stderr)


def json_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """With ``--json``, a failure to talk to the service is also a JSON document on standard output
    (``error``, ``exit_code``, and the HTTP status and service code when known); the one error line
    still goes to standard error."""
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except UploadError as exc:
            if getattr(args, "json", False):
                doc: dict[str, Any] = {"error": str(exc), "exit_code": exc.exit_code}
                for key, attr in (("http_status", "http_status"), ("error_code", "code")):
                    if getattr(exc, attr, None) is not None:
                        doc[key] = getattr(exc, attr)
                print(dump_json(doc))
            raise
    return wrapped


def _file_and_dry_run(args: argparse.Namespace) -> None:
    """``--dry-run app.ipa`` means a JSON dry run of app.ipa; anything else must be json or curl."""
    if args.dry_run not in (None, "json", "curl"):
        if args.file is not None:
            raise UsageError(f"--dry-run: {args.dry_run!r} is not json or curl")
        args.file, args.dry_run = args.dry_run, "json"
    if args.file is None:
        raise UsageError("upload: the build FILE is required")


@json_errors
def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    config = load_upload_config(args)
    _file_and_dry_run(args)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    target = target_from(args, env, config)
    fields = fields_from(args, env, config)
    record, summary = inspect_for_upload(path, verify=not args.no_verify)
    request = prepare(path, fields, target, record=record, summary=summary)
    if _check(args, path, record, env) != 0:
        print("inspector: the check failed: nothing was uploaded", file=sys.stderr)
        return check_cmd.EXIT_FAILED
    options = transport_options(args, config)
    from inspector.upload import transport

    if getattr(args, "newer_than_uploaded", False) and args.dry_run is None:
        if summary is None:
            raise UsageError(f"--newer-than-uploaded: {path.name} has no build number inspector can read")
        announce_destination(target, upload=False)
        problem = transport.newer_than_uploaded_problem(summary, target, **options)
        if problem:
            print(f"inspector: --newer-than-uploaded: {escape.text(problem)}; nothing was uploaded",
                  file=sys.stderr)
            return check_cmd.EXIT_FAILED
    if args.dry_run == "curl":
        print(request.to_curl())
        return 0
    if args.dry_run == "json":
        print(dump_json(request.to_json()))
        return 0
    announce_destination(target, api=bool(_setting(args, config, "wait", False)))
    progress: Callable[[int, int], None] | None = None
    if not args.no_progress and _setting(args, config, "progress", True):
        # A bar on a terminal; in a log (CI), a line every 10 % or 30 s.
        progress = (transport.ProgressBar(sys.stderr) if sys.stderr.isatty()
                    else transport.ProgressLines(sys.stderr, path.name))

    def on_retry(n: int, delay: float, exc: UploadError) -> None:
        print(f"inspector: try {n} failed ({escape.text(exc)}); retrying in {delay:g} s", file=sys.stderr)

    build = transport.send(request, progress=progress, on_retry=on_retry, **options)
    _github_output(env, build)
    if _setting(args, config, "wait", False):
        if not args.json:
            print_build(build, False, "uploaded")
        try:
            build = transport.wait_for_build(target, build.id, policy=options["policy"], on_status=_on_status,
                                             **wait_options(args, config))
        except (ProcessingError, WaitTimeoutError) as exc:
            return report_unfinished(exc, env, args.json)
        _github_output(env, build)
    print_build(build, args.json, "processed" if build.done else "uploaded")
    return 0


def report_unfinished(exc: ProcessingError | WaitTimeoutError, env: Mapping[str, str], as_json: bool) -> int:
    """A build that ended in ``error`` or is still processing: its JSON (with ``--json``) and
    ``$GITHUB_OUTPUT`` first, then the error line and, for ``error``, the last processLogs lines."""
    from inspector.cli import error_line  # here: inspector.cli imports this module

    if isinstance(exc.build, Build):
        _github_output(env, exc.build)
        if as_json:
            print_build(exc.build, True)
    print(error_line(exc), file=sys.stderr)
    logs = exc.logs if isinstance(exc, ProcessingError) else ()
    if logs:
        print(f"inspector: last {len(logs)} lines of processLogs:", file=sys.stderr)
        for line in logs:
            print(escape.line(f"  {escape.text(line)}"), file=sys.stderr)
    return exc.exit_code
