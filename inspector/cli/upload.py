"""``inspector upload FILE``: check the build, build its request, send it, optionally wait for processing.

Settings: flag > environment > ``[upload]`` section of the config file > default. The check gate,
the config file and the newer-than-uploaded rule are called from here only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.cli import check as check_cmd
from inspector.errors import InspectorError, UsageError
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
    UploadRequest,
    base_urls,
    dump_json,
    parse_filter,
    parse_tags,
    platform_problem,
)
from inspector.upload.response import Build

__all__ = [
    "ALLOW_HTTP_ENV",
    "DESTINATION_KEYS",
    "ENV_ALIASES",
    "TRUST_DESTINATION_ENV",
    "UPLOAD_CONFIG_KEYS",
    "UploadSection",
    "add_parser",
    "add_target_arguments",
    "announce_destination",
    "apply_environment",
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
    "git": bool, "app-slug": str, "dashboard-url": str,
}


#: ``[upload]`` keys that decide which host receives the token, with the flag and the environment
#: variable that confirm them. A config file may only repeat what one of those says.
DESTINATION_KEYS: dict[str, tuple[str, str | None]] = {
    "tenant": ("--tenant", "APPLIVERY_TENANT"),
    "upload-url": ("--upload-url", "APPLIVERY_UPLOAD_URL"),
    "api-url": ("--api-url", "APPLIVERY_API_URL"),
}
#: The environment variable that trusts a config file's destination: its value must be the
#: config's value itself (several separated by spaces or commas), never a blanket "yes".
TRUST_DESTINATION_ENV = "INSPECTOR_TRUST_CONFIG_DESTINATION"
#: ``--allow-http`` in the environment: a plain-http destination (a test server) is accepted.
ALLOW_HTTP_ENV = "INSPECTOR_ALLOW_HTTP"
#: Settings read from the environment: the option's ``dest``, our own variable, then the name the
#: vendor's fastlane plugin reads (``fastlane-plugin-applivery``), so that a migrating pipeline keeps
#: its variables. A flag beats both, our own name beats the fastlane one, both beat the config file.
ENV_ALIASES: dict[str, tuple[str, str]] = {
    "version_name": ("INSPECTOR_VERSION_NAME", "APPLIVERY_BUILD_NAME"),
    "changelog": ("INSPECTOR_CHANGELOG", "APPLIVERY_BUILD_CHANGELOG"),
    "tags": ("INSPECTOR_TAGS", "APPLIVERY_BUILD_TAGS"),
    "notify_collaborators": ("INSPECTOR_NOTIFY_COLLABORATORS", "APPLIVERY_NOTIFY_COLLABORATORS"),
    "notify_employees": ("INSPECTOR_NOTIFY_EMPLOYEES", "APPLIVERY_NOTIFY_EMPLOYEES"),
    "notify_message": ("INSPECTOR_NOTIFY_MESSAGE", "APPLIVERY_NOTIFY_MESSAGE"),
    "filter": ("INSPECTOR_FILTER", "APPLIVERY_FILTER"),
    "timeout": ("INSPECTOR_TIMEOUT", "APPLIVERY_TIMEOUT"),
}
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


def add_link_arguments(p: argparse.ArgumentParser) -> None:
    """The build's dashboard page (``upload``, ``status``): see :func:`build_link`."""
    g = p.add_argument_group("the build's dashboard page")
    g.add_argument("--app-slug", metavar="SLUG",
                   help="the app's slug on the dashboard (env APPLIVERY_APP_SLUG): the build's page is "
                        "printed and exported as build_url")
    g.add_argument("--dashboard-url", metavar="URL",
                   help="the dashboard's base URL (env APPLIVERY_DASHBOARD_URL; default: Applivery's, "
                        "for the public service)")


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


def _env_value(dest: str, raw: str, name: str) -> Any:
    """A variable's text as the option's kind; a bad value is a usage error naming the variable."""
    if dest in ("notify_collaborators", "notify_employees"):
        text = raw.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise UsageError(f"{name}: expected true or false (got {escape.text(raw)!r})")
    if dest == "timeout":
        try:
            return float(raw)
        except ValueError:
            raise UsageError(f"{name}: expected a number of seconds (got {escape.text(raw)!r})") from None
    if dest == "tags":
        return [raw]
    return raw


def apply_environment(args: argparse.Namespace, env: Mapping[str, str],
                      notes: Callable[[str], None] | None = None) -> None:
    """Fill each option of :data:`ENV_ALIASES` not given as a flag from the environment: our own
    variable, else the fastlane plugin's. When both are set to different values ours is used and
    ``notes`` is told (one line); an empty variable counts as unset."""
    for dest, names in ENV_ALIASES.items():
        if not hasattr(args, dest) or getattr(args, dest) is not None:
            continue
        if dest == "changelog" and getattr(args, "changelog_file", None) is not None:
            continue  # --changelog-file is a flag: it beats a changelog from the environment
        given = [(name, env[name]) for name in names if env.get(name, "").strip()]
        if not given:
            continue
        name, raw = given[0]
        if len(given) == 2 and given[1][1] != raw and notes is not None:
            notes(f"{names[0]} and {names[1]} are both set: {names[0]} is used")
        setattr(args, dest, _env_value(dest, raw, name))


def _allow_http(args: argparse.Namespace, env: Mapping[str, str]) -> bool:
    if getattr(args, "allow_http", None):
        return True
    return env.get(ALLOW_HTTP_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def target_from(args: argparse.Namespace, env: Mapping[str, str], config: Mapping[str, Any], *,
                require_token: bool = True) -> Target:
    """The target: ``--service-account-token`` (Workspace API) or ``--token`` (Integrations API),
    flags first, then APPLIVERY_SERVICE_ACCOUNT_TOKEN / APPLIVERY_APP_TOKEN.

    The destination (``tenant``, ``upload-url``, ``api-url``) comes from a flag or the environment;
    a config file's is refused unless confirmed (see :func:`_destination`); ``http://`` needs
    ``--allow-http`` or :data:`ALLOW_HTTP_ENV`. Without ``require_token`` (a dry run) a missing
    token gives a target whose requests name the variable the token would be read from.
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
    if not (sa or app_token) and not require_token:
        # A dry run shows where the token would come from; nothing is sent.
        return Target(None, organization=str(org) if org and app else None,
                      app=str(app) if org and app else None, upload_url=upload_url, api_url=api_url)
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
    return data, str(named)  # valid from the working folder: a dry run's curl command reads it


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
        from inspector.cli.inspect import parse_now  # --now is also the upload's trigger time

        deployer = detect_deployer(env, use_git=use_git, overrides=overrides,
                                   now=parse_now(getattr(args, "now", None)))
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


def _check(args: argparse.Namespace, path: Path, record: Any, env: Mapping[str, str],
           collect: list[Any] | None = None) -> int:
    if args.no_check:
        print("inspector: --no-check: the build was not checked before upload", file=sys.stderr)
        return 0
    if record is None:
        print(f"inspector: {escape.text(path.name)}: not a format inspector reads; nothing to check",
              file=sys.stderr)
        return 0
    return int(check_cmd.gate(args, path, record, env, collect=collect))


def _github_output(env: Mapping[str, str], build: Build) -> None:
    target = env.get("GITHUB_OUTPUT")
    if not target or not env.get("GITHUB_ACTIONS"):
        return
    # A value from the service never adds a key: escape.github_output uses the heredoc form,
    # with a delimiter the value does not hold, for anything but one plain line.
    text = escape.github_output("build_id", build.id) + escape.github_output("build_status", build.status)
    if build.url is not None:
        text += escape.github_output("build_url", build.url)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(text)


def print_build(build: Build, as_json: bool, verb: str = "uploaded") -> None:
    if as_json:
        print(dump_json(build.to_json()))
    else:
        print(escape.line(f"{verb} build {escape.text(build.id)}: {escape.text(build.status)}".lstrip()))
        if build.url is not None:
            print(escape.line(f"  {escape.text(build.url)}"))


def build_link(args: argparse.Namespace, env: Mapping[str, str], config: Mapping[str, Any],
               target: Target) -> Callable[[Build], Build]:
    """What gives a build its dashboard page (``Build.url``): with the app's slug known
    (``--app-slug``, APPLIVERY_APP_SLUG, ``app-slug``), the page on ``--dashboard-url`` (or
    APPLIVERY_DASHBOARD_URL, ``dashboard-url``), which defaults to Applivery's dashboard only for
    the public service: a private tenant's dashboard is not known. Without a slug, no link."""
    import dataclasses

    from inspector.upload.request import DEFAULT_UPLOAD_URL
    from inspector.upload.response import DEFAULT_DASHBOARD_URL, dashboard_url

    slug = _pick(args, "app_slug", env, "APPLIVERY_APP_SLUG", config)
    base = _pick(args, "dashboard_url", env, "APPLIVERY_DASHBOARD_URL", config)
    if not slug:
        return lambda build: build
    if base is None:
        if target.upload_url.rstrip("/") != DEFAULT_UPLOAD_URL:
            raise UsageError("--app-slug: the dashboard of a private tenant or another upload URL is not "
                             "known: give --dashboard-url (or APPLIVERY_DASHBOARD_URL)")
        base = DEFAULT_DASHBOARD_URL
    try:
        dashboard_url(str(base), str(slug), "0")  # both checked before anything is sent
    except ValueError as exc:
        raise UsageError(str(exc).replace("appSlug", "--app-slug")
                         .replace("dashboardUrl", "--dashboard-url")) from None
    return lambda build: dataclasses.replace(build, url=dashboard_url(str(base), str(slug), build.id))


def wait_options(args: argparse.Namespace, config: Mapping[str, Any]) -> dict[str, float]:
    timeout = _setting(args, config, "wait_timeout", 1800.0)
    interval = _setting(args, config, "wait_interval", 10.0)
    if timeout <= 0 or interval <= 0:
        raise UsageError("--wait-timeout and --wait-interval must be > 0")
    return {"timeout": float(timeout), "interval": float(interval)}


def _note(message: str) -> None:
    print(f"inspector: {escape.text(message)}", file=sys.stderr)


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
    config = load_upload_config(args)
    apply_environment(args, env, _note)
    paths = _files_and_dry_run(args)
    build_platform = _setting(args, config, "build_platform")
    for path in paths:
        problem = platform_problem(path.name, build_platform)
        if problem:
            raise UsageError(problem)  # before any build is read or anything is sent
    target = target_from(args, env, config, require_token=args.dry_run is None)
    if target.token is None:
        print(f"inspector: no token set: the dry run shows the Authorization header as "
              f"${target.token_variable}", file=sys.stderr)
    fields = fields_from(args, env, config)
    link = build_link(args, env, config, target)
    # Every option is checked before any build is read: a bad --retries is refused at once.
    options = transport_options(args, config)
    if _setting(args, config, "wait", False):
        wait_options(args, config)
    builds = [_Build(path) for path in paths]
    single = len(builds) == 1
    verdicts: list[Any] | None = None if single else []  # several: one JUnit report for all
    for build in builds:
        _guarded(single, build, lambda build=build: _gate(args, env, target, fields, build, options, link,
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
    announce_destination(target, api=bool(_setting(args, config, "wait", False)))
    for build in builds:
        if not build.skipped:
            _guarded(single, build,
                     lambda build=build: _send(args, env, config, target, build, options, link, single))
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
          build: _Build, options: dict[str, Any], link: Callable[[Build], Build], single: bool,
          verdicts: list[Any] | None) -> None:
    """Read the build, build its request and check it; the outcome is set when it must not go up."""
    from inspector.upload import transport

    path = build.path
    record, summary = inspect_for_upload(path, verify=not args.no_verify)
    build.request = prepare(path, fields, target, record=record, summary=summary)
    if _check(args, path, record, env, verdicts) != 0:
        build.code, build.outcome = check_cmd.EXIT_FAILED, "the check failed"
        if single:
            print("inspector: the check failed: nothing was uploaded", file=sys.stderr)
        return
    lookups = [flag for flag in ("newer_than_uploaded", "skip_existing") if getattr(args, flag, False)]
    if not lookups or args.dry_run is not None:
        return
    if summary is None:
        raise UsageError(f"--{lookups[0].replace('_', '-')}: {path.name} has no build number inspector "
                         "can read")
    announce_destination(target, upload=False)
    if "skip_existing" in lookups:
        found = already_latest(summary, target, options)
        if found is not None:
            message, latest = found
            latest = link(latest)
            build.skipped, build.outcome = True, message
            build.json_doc = {**latest.to_json(), "skipped": message}
            _github_output(env, latest)  # the build the service already has
            print(f"inspector: {escape.text(path.name)}: {escape.text(message)}", file=sys.stderr)
            return  # before --newer-than-uploaded: the same build again is a re-run, not a regression
    if "newer_than_uploaded" in lookups:
        problem = transport.newer_than_uploaded_problem(summary, target, **options)
        if problem:
            build.code, build.outcome = check_cmd.EXIT_FAILED, f"--newer-than-uploaded: {problem}"
            if single:
                print(f"inspector: --newer-than-uploaded: {escape.text(problem)}; nothing was uploaded",
                      file=sys.stderr)
            return


def already_latest(summary: Any, target: Target, options: dict[str, Any]) -> tuple[str, Build] | None:
    """``--skip-existing``: when the build number of ``summary`` is the app's latest processed
    build's (read as ``--newer-than-uploaded`` reads it), the message saying so and that build;
    else None. Like twine's --skip-existing: a re-run job does not upload the same build again."""
    from inspector.upload import transport
    from inspector.upload.response import uploaded_build_number
    from inspector.versions import version_tuple

    os_filter = summary.platform if summary.platform in ("android", "ios") else None
    latest = transport.latest_build(target, os=os_filter, **options)
    uploaded = uploaded_build_number(latest) if latest is not None else None
    if latest is None or uploaded is None or summary.build is None:
        return None
    mine, theirs = version_tuple(str(summary.build)), version_tuple(uploaded)
    if str(summary.build) != uploaded and (mine is None or mine != theirs):
        return None
    return (f"build number {summary.build} is already the app's latest processed build ({latest.id}): "
            "skipped (--skip-existing)"), latest


def _send(args: argparse.Namespace, env: Mapping[str, str], config: Mapping[str, Any], target: Target,
          item: _Build, options: dict[str, Any], link: Callable[[Build], Build], single: bool) -> None:
    from inspector.upload import transport

    assert item.request is not None
    as_json = args.json and single
    quiet = args.json and not single  # several builds: standard output is one JSON document, at the end
    progress: Callable[[int, int], None] | None = None
    if not args.no_progress and _setting(args, config, "progress", True):
        # A bar on a terminal; in a log (CI), a line every 10 % or 30 s.
        progress = (transport.ProgressBar(sys.stderr) if sys.stderr.isatty()
                    else transport.ProgressLines(sys.stderr, item.path.name))

    def on_retry(n: int, delay: float, exc: UploadError) -> None:
        print(f"inspector: try {n} failed ({escape.text(exc)}); retrying in {delay:g} s", file=sys.stderr)

    build = link(transport.send(item.request, progress=progress, on_retry=on_retry, **options))
    _github_output(env, build)
    item.outcome, item.json_doc = f"uploaded build {build.id} ({build.status})", build.to_json()
    if _setting(args, config, "wait", False):
        if not args.json:
            print_build(build, False, "uploaded")
        try:
            build = link(transport.wait_for_build(target, build.id, policy=options["policy"],
                                                  on_status=_on_status, **wait_options(args, config)))
        except (ProcessingError, WaitTimeoutError) as exc:
            item.code = report_unfinished(exc, env, as_json)
            if isinstance(exc.build, Build):
                item.json_doc = {**exc.build.to_json(), "error": str(exc), "exit_code": item.code}
            item.outcome = str(exc)
            return
        _github_output(env, build)
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
