"""The gate as one library call: a build (a path or its record) and plain expectations in, a
typed :class:`~inspector.checks.CheckResult` out. Nothing printed, no clock, no environment."""

from __future__ import annotations

import os
from datetime import datetime

from inspector.api import inspect
from inspector.checks import CheckResult, Expectations
from inspector.checks import check as run_rules
from inspector.summary import Record

__all__ = ["check"]


def check(artifact: str | os.PathLike[str] | Record, expectations: Expectations, now: datetime, *,
          verify: bool = True) -> CheckResult:
    """The gate on one build: ``artifact`` is a path (inspected first, without the file digest;
    ``verify`` as for :func:`inspect`) or a record :func:`inspect` returned. Every rule that
    applies runs against ``expectations`` (a frozen :class:`inspector.Expectations`; its
    ``uploaded_build`` is the service's latest processed build, :func:`inspector.upload.latest_upload`)
    at ``now``; the :class:`inspector.CheckResult` holds the findings, the rules that ran and were
    skipped, and the verdict (``passed``). Nothing is printed; a file that cannot be read raises
    :class:`inspector.errors.ArtifactError`.
    """
    record = inspect(artifact, digest=False, verify=verify) if isinstance(artifact, str | os.PathLike) \
        else artifact
    return run_rules(record, expectations, now)
