"""``inspector status BUILD_ID [--wait]``: a build's processing status, for a pipeline that uploads in
one job and waits in another."""

from __future__ import annotations

import argparse
import os
from typing import Any

from inspector.cli._service import (
    add_link_arguments,
    add_target_arguments,
    announce_destination,
    build_link,
    explain_service_settings,
    github_output,
    json_errors,
    load_upload_config,
    on_status,
    print_build,
    report_unfinished,
    service_settings,
    target_from,
    transport_options,
    wait_options,
)
from inspector.settings import TARGET_OPTIONS
from inspector.upload.errors import ProcessingError, WaitTimeoutError
from inspector.upload.response import processing_error

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("status", help="show an uploaded build's processing status",
                       description="Show an uploaded build's status (the build-details endpoint).")
    p.add_argument("build_id", metavar="BUILD_ID")
    add_target_arguments(p)
    add_link_arguments(p)
    p.add_argument("--config", metavar="PATH", help="config file with an [upload] section")
    p.add_argument("--wait", action="store_true", default=None, help="poll until processed or error")
    p.add_argument("--wait-timeout", type=float, metavar="S", help="give up waiting after S (default 1800)")
    p.add_argument("--wait-interval", type=float, metavar="S", help="seconds between polls (default 10)")
    p.add_argument("--json", action="store_true", help="print the build as JSON")
    p.add_argument("--explain", action="store_true",
                   help="print every setting's value and where it came from (stderr; tokens hidden)")
    p.set_defaults(run=run)


@json_errors
def run(args: argparse.Namespace) -> int:
    from inspector.upload import transport

    env = dict(os.environ)
    config = load_upload_config(args, env)
    # ``wait`` is this command's --wait alone: an [upload] wait = true means the upload's wait,
    # and must not turn ``inspector status ID`` into a blocking poll.
    settings = service_settings(args, env, config, (*TARGET_OPTIONS, "wait-timeout", "wait-interval",
                                                    "app-slug", "dashboard-url"))
    if args.explain:
        explain_service_settings(settings, config.path)
    target = target_from(settings, env)
    link = build_link(settings, target)
    options = transport_options(settings)
    announce_destination(target, upload=False)
    try:
        if args.wait:
            build = transport.wait_for_build(target, args.build_id, policy=options["policy"],
                                             on_status=on_status, **wait_options(settings))
        else:
            build = transport.get_build(target, args.build_id, **options)
            if build.status == "error":
                raise processing_error(build)
    except (ProcessingError, WaitTimeoutError) as exc:
        return report_unfinished(exc, env, args.json)
    build = link(build)
    github_output(env, build)
    print_build(build, args.json, "")
    return 0


