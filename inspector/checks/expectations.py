"""What the user expects of a build: one frozen value, resolved from flags, environment and config.

Every field's default is "no expectation" (None or empty) except the time windows, so that a
check with no expectations applies only the default policy (README, "The default policy").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_SIGNING_TYPES", "Expectations"]

#: Apple signing types a distribution service can install from: everything but app-store.
DEFAULT_SIGNING_TYPES = ("ad-hoc", "enterprise", "development", "developer-id")


@dataclass(frozen=True, slots=True)
class Expectations:
    """The expectations one artifact is checked against.

    ``expect_id`` may hold shell-style wildcards (``com.acme.*``); ``expect_version_name_regex``
    must match the whole version name. ``min_build`` means "build number at least". Days are
    whole days as :func:`inspector.records.base.days_left` counts them: an expiry with fewer
    than ``min_days`` left is an error, fewer than ``warn_days`` a warning.
    """

    expect_id: str | None = None
    expect_version_name: str | None = None
    expect_version_name_regex: str | None = None
    expect_build: str | None = None
    min_build: int | None = None
    expect_team: str | None = None
    cert_sha256: tuple[str, ...] = ()
    min_days: int = 0
    warn_days: int = 30
    max_size: int | None = None
    max_min_os: str | None = None
    require_signed: bool = False
    # Android
    min_sdk_at_least: int | None = None
    min_sdk_at_most: int | None = None
    min_target_sdk: int | None = None
    allow_debuggable: bool = False
    allow_test_only: bool = False
    allow_debug_certificate: bool = False
    require_scheme: tuple[str, ...] = ()
    require_abi: tuple[str, ...] = ()
    forbid_permission: tuple[str, ...] = ()
    # Apple
    signing_type: tuple[str, ...] = ()
    require_device: tuple[str, ...] = ()
    # What the service holds: the latest processed upload's build number (--newer-than-uploaded)
    uploaded_build: str | None = None
    # Gate behaviour
    strict: bool = False
    ignore: tuple[str, ...] = ()
    # The previous release (--baseline: its path; the record the CLI loaded from it) and the
    # growth allowed since (--max-size-increase: bytes as text, or a percentage such as "10%")
    baseline: str | None = None
    max_size_increase: str | None = None
    baseline_record: Any = None

    def __post_init__(self) -> None:
        if self.expect_version_name_regex is not None:
            try:
                re.compile(self.expect_version_name_regex)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        if self.min_days < 0 or self.warn_days < 0:
            raise ValueError("days cannot be negative")
        object.__setattr__(self, "cert_sha256", tuple(_fingerprint(f) for f in self.cert_sha256))

    @property
    def any_set(self) -> bool:
        """Whether the user stated any expectation of the build (which, like ``strict``, makes
        warnings fail the gate). Allowances, the warning window and ``ignore`` are not."""
        default = Expectations()
        return any(getattr(self, name) != getattr(default, name) for name in _EXPECTATION_FIELDS)


# A baseline alone states nothing about the build: its warnings (a new permission) stay warnings.
_NOT_EXPECTATIONS = {"warn_days", "allow_debuggable", "allow_test_only", "allow_debug_certificate",
                     "strict", "ignore", "baseline", "baseline_record"}
_EXPECTATION_FIELDS = tuple(n for n in Expectations.__dataclass_fields__ if n not in _NOT_EXPECTATIONS)


def _fingerprint(value: str) -> str:
    """``AB:CD:...`` or ``abcd...``: compare as lower-case hex without separators."""
    return value.replace(":", "").replace(" ", "").lower()
