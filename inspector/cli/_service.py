"""What ``upload``, ``status``, ``builds`` and ``check --newer-than-uploaded`` share: the service's
flags, the target and transport options built from :func:`inspector.settings.resolve_service`,
and the lines they print about the service. ``check`` and ``upload`` both import this module, and
neither imports the other for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from inspector.errors import UsageError
from inspector.report import escape
from inspector.settings import (
    ALLOW_HTTP_ENV,
    SERVICE_OPTIONS,
    TARGET_OPTIONS,
    TRUST_DESTINATION_ENV,
    ServiceSettings,
    UploadSection,
    check_service_values,
    explain_service,
    load_config,
    resolve_service,
    upload_settings,
)
from inspector.upload.errors import ProcessingError, UploadError, WaitTimeoutError
from inspector.upload.request import Secret, Target, base_urls, dump_json
from inspector.upload.response import Build

__all__ = [
    "ALLOW_HTTP_ENV",
    "DESTINATION_KEYS",
    "ENV_ALIASES",
    "TRUST_DESTINATION_ENV",
    "UploadSection",
    "add_link_arguments",
    "add_target_arguments",
    "announce_destination",
    "build_link",
    "explain_service_settings",
    "github_output",
    "json_errors",
    "latest_upload_lookup",
    "load_upload_config",
    "on_status",
    "print_build",
    "report_unfinished",
    "service_settings",
    "target_from",
    "transport_options",
    "upload_settings",
    "wait_options",
]

#: ``[upload]`` keys that decide which host receives the token, with the flag and the environment
#: variable that confirm them. A config file may only repeat what one of those says.
DESTINATION_KEYS: dict[str, tuple[str, str | None]] = {
    o.name: (f"--{o.name}", o.env[0] if o.env else None) for o in SERVICE_OPTIONS if o.destination}
#: Options read from two variables: ours, then the one the vendor's fastlane plugin reads.
ENV_ALIASES: dict[str, tuple[str, ...]] = {
    o.dest: o.env for o in SERVICE_OPTIONS if len(o.env) > 1}


def add_link_arguments(p: argparse.ArgumentParser) -> None:
    """The build's dashboard page (``upload``, ``status``): see :func:`build_link`."""
    g = p.add_argument_group("the build's dashboard page")
    g.add_argument("--app-slug", metavar="SLUG",
                   help="the app's slug on the dashboard (env APPLIVERY_APP_SLUG): the build's page is "
                        "printed and exported as build_url")
    g.add_argument("--dashboard-url", metavar="URL",
                   help="the dashboard's base URL (env APPLIVERY_DASHBOARD_URL; default: Applivery's, "
                        "for the public service)")


def build_link(settings: ServiceSettings, target: Target) -> Callable[[Build], Build]:
    """What gives a build its dashboard page (``Build.url``): with the app's slug known
    (``app-slug``), the page on ``dashboard-url``, which defaults to Applivery's dashboard only for
    the public service: a private tenant's dashboard is not known. Without a slug, no link."""
    import dataclasses

    from inspector.upload.request import DEFAULT_UPLOAD_URL
    from inspector.upload.response import DEFAULT_DASHBOARD_URL, dashboard_url

    slug, base = settings["app-slug"], settings["dashboard-url"]
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


def load_upload_config(args: argparse.Namespace | Mapping[str, Any],
                       env: Mapping[str, str] | None = None) -> UploadSection:
    """The checked ``[upload]`` section of the config file (the one ``check`` reads)."""
    env = os.environ if env is None else env
    flags = vars(args) if isinstance(args, argparse.Namespace) else args
    config = load_config(flags.get("config") or env.get("INSPECTOR_CONFIG") or None, Path.cwd())
    return upload_settings(config.upload, source=f"config {config.path} [upload]", path=config.path)


def service_settings(args: argparse.Namespace | Mapping[str, Any], env: Mapping[str, str],
                     config: Mapping[str, Any], names: tuple[str, ...] | None = None) -> ServiceSettings:
    """:func:`inspector.settings.resolve_service` over the parsed flags, values checked."""
    flags = vars(args) if isinstance(args, argparse.Namespace) else args
    settings = resolve_service(flags, env, config, names)
    check_service_values(settings)
    return settings


def target_from(args: argparse.Namespace | Mapping[str, Any] | ServiceSettings, env: Mapping[str, str],
                config: Mapping[str, Any] | None = None, *, require_token: bool = True) -> Target:
    """The target: ``--service-account-token`` (Workspace API) or ``--token`` (Integrations API),
    flags first, then APPLIVERY_SERVICE_ACCOUNT_TOKEN / APPLIVERY_APP_TOKEN.

    The destination (``tenant``, ``upload-url``, ``api-url``) comes from a flag or the environment;
    a config file's is refused unless confirmed (:func:`inspector.settings.resolve_service`);
    ``http://`` needs ``--allow-http`` or :data:`ALLOW_HTTP_ENV`. Without ``require_token`` (a dry
    run) a missing token gives a target whose requests name the variable it would be read from.
    """
    s = args if isinstance(args, ServiceSettings) else service_settings(args, env, config or {},
                                                                        TARGET_OPTIONS)
    upload_url, api_url = base_urls(s["tenant"], s["upload-url"], s["api-url"],
                                    allow_http=bool(s["allow-http"]))
    org, app = s["organization"], s["app"]
    sa, app_token = s["service-account-token"], s["token"]
    flag_sa = s.sources["service-account-token"].startswith("flag")
    flag_token = s.sources["token"].startswith("flag")
    if flag_sa:
        app_token = None
    elif flag_token:
        sa = None
    elif sa and app_token:
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


def latest_upload_lookup(target: Target, options: Mapping[str, Any]) -> Callable[[str | None], Build | None]:
    """The service's latest processed build for a platform (a Summary's ``platform``), read once
    per ``os`` filter (:func:`inspector.upload.transport.latest_build`, every page of the list).
    ``check --newer-than-uploaded``, ``upload --newer-than-uploaded`` and ``--skip-existing`` all
    read it here. A failure to read it raises (exit 5 or 7), never passes."""
    cache: dict[str | None, Build | None] = {}

    def lookup(platform: str | None) -> Build | None:
        from inspector.upload import transport

        os_filter = platform if platform in ("android", "ios") else None
        if os_filter not in cache:
            cache[os_filter] = transport.latest_build(target, os=os_filter, **options)
        return cache[os_filter]

    return lookup


def transport_options(settings: ServiceSettings) -> dict[str, Any]:
    """``policy`` and ``timeout`` for the transport (``retries``, ``retry-delay``, ``timeout``,
    ``connect-timeout``)."""
    from inspector.upload.transport import RetryPolicy

    return {"policy": RetryPolicy(retries=int(settings["retries"]), base=float(settings["retry-delay"])),
            "timeout": (float(settings["connect-timeout"]), float(settings["timeout"]))}


class _WaitOptions(TypedDict):
    timeout: float
    interval: float


def wait_options(settings: ServiceSettings) -> _WaitOptions:
    return {"timeout": float(settings["wait-timeout"]), "interval": float(settings["wait-interval"])}


def explain_service_settings(settings: ServiceSettings, config_path: Path | None) -> None:
    """``--explain``: every service setting's value (a token only as "set") and where it came from."""
    where = escape.text(config_path) if config_path else "none found"
    print(f"inspector: service settings (config: {where})", file=sys.stderr)
    for line in explain_service(settings):
        print(escape.text(line), file=sys.stderr)


def note(message: str) -> None:
    print(f"inspector: {escape.text(message)}", file=sys.stderr)


def announce_destination(target: Target, *, upload: bool = True, api: bool = True) -> None:
    """One line on standard error naming the host(s) the token is about to be sent to."""
    from urllib.parse import urlsplit

    hosts = [urlsplit(url).netloc for used, url in ((upload, target.upload_url), (api, target.api_url))
             if used]
    shown = " and ".join(dict.fromkeys(escape.text(h) for h in hosts))
    print(f"inspector: the token goes to {shown}", file=sys.stderr)


def github_output(env: Mapping[str, str], build: Build) -> None:
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


def on_status(build: Build) -> None:
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
                from inspector.cli import exit_code_for

                doc: dict[str, Any] = {"error": str(exc), "exit_code": exit_code_for(exc)}
                for key, attr in (("http_status", "http_status"), ("error_code", "code")):
                    if getattr(exc, attr, None) is not None:
                        doc[key] = getattr(exc, attr)
                print(dump_json(doc))
            raise
    return wrapped


def report_unfinished(exc: ProcessingError | WaitTimeoutError, env: Mapping[str, str], as_json: bool) -> int:
    """A build that ended in ``error`` or is still processing: its JSON (with ``--json``) and
    ``$GITHUB_OUTPUT`` first, then the error line and, for ``error``, the last processLogs lines."""
    from inspector.cli import error_line, exit_code_for

    if isinstance(exc.build, Build):
        github_output(env, exc.build)
        if as_json:
            print_build(exc.build, True)
    print(error_line(exc), file=sys.stderr)
    logs = exc.logs if isinstance(exc, ProcessingError) else ()
    if logs:
        print(f"inspector: last {len(logs)} lines of processLogs:", file=sys.stderr)
        for line in logs:
            print(escape.line(f"  {escape.text(line)}"), file=sys.stderr)
    return exit_code_for(exc)
