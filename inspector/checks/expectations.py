"""What the user expects of a build: one frozen value, resolved from flags, environment and config.

Every field's default is "no expectation" (None or empty) except the time windows, so that a
check with no expectations applies only the default policy (README, "The default policy").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DEFAULT_SIGNING_TYPES", "Expectations", "InvalidExpectation", "Strictness", "UploadedBuild",
           "register_code"]

#: Apple signing types a distribution service can install from: everything but app-store.
DEFAULT_SIGNING_TYPES = ("ad-hoc", "enterprise", "development", "developer-id")


#: Every rule code registered so far: the rule modules register theirs as they load
#: (:func:`inspector.checks._rule.rule`), and ``inspector.checks`` loads them all before this
#: module can be reached (a package's ``__init__`` runs first): no import back up to the registry.
_KNOWN_CODES: set[str] = set()


def register_code(code: str) -> None:
    """Make ``code`` a rule code ``ignore`` accepts."""
    _KNOWN_CODES.add(code)


class InvalidExpectation(ValueError):
    """A value an :class:`Expectations` field cannot hold: ``field`` names it (``cert_sha256``),
    ``message`` says what was expected."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class UploadedBuild:
    """The app's latest processed upload, as the service lists it: its id (None when not known,
    e.g. a number given by hand) and its build number (None when the service shows none, which
    rule UPL002 reports as a failure: "newer" cannot be shown)."""

    build_id: str | None
    build_number: str | None


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
    require_16k_pages: bool = False
    # Apple
    signing_type: tuple[str, ...] = ()
    require_device: tuple[str, ...] = ()
    # What the service holds: its latest processed upload (a build number alone is accepted and
    # becomes UploadedBuild(None, number)); UPL002 requires this build's number to be greater.
    uploaded_build: UploadedBuild | str | None = None
    # Gate behaviour: None means "not stated", and then any stated expectation implies strictness
    strict: bool | None = None
    ignore: tuple[str, ...] = ()
    # The previous release (--baseline: its path; the record the CLI loaded from it) and the
    # growth allowed since (--max-size-increase: bytes as text, or a percentage such as "10%")
    baseline: str | None = None
    max_size_increase: str | None = None
    baseline_record: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.uploaded_build, str):
            object.__setattr__(self, "uploaded_build", UploadedBuild(None, self.uploaded_build))
        elif self.uploaded_build is not None and not isinstance(self.uploaded_build, UploadedBuild):
            raise InvalidExpectation("uploaded_build", "expected an UploadedBuild or a build number")
        if self.expect_version_name_regex is not None:
            try:
                re.compile(self.expect_version_name_regex)
            except re.error as exc:
                raise InvalidExpectation("expect_version_name_regex",
                                         f"not a regular expression: {exc}") from None
        if self.min_days < 0 or self.warn_days < 0:
            raise InvalidExpectation("min_days" if self.min_days < 0 else "warn_days",
                                     "days cannot be negative")
        object.__setattr__(self, "cert_sha256", tuple(_fingerprint(f) for f in self.cert_sha256))
        if self.ignore:
            object.__setattr__(self, "ignore", tuple(_rule_code(c) for c in self.ignore))

    @property
    def any_set(self) -> bool:
        """Whether the user stated any expectation of the build (which, unless ``strict`` is
        stated, makes warnings fail the gate). Allowances, the warning window and ``ignore`` are not."""
        return bool(self.stated())

    def stated(self) -> tuple[str, ...]:
        """The names of the fields that hold a stated expectation (not their default)."""
        default = Expectations()
        return tuple(n for n in _EXPECTATION_FIELDS if getattr(self, n) != getattr(default, n))

    def strictness(self) -> Strictness:
        """Whether warnings fail the gate, and why: ``strict`` stated (true or false) wins;
        otherwise any stated expectation implies it, so that a build checked against what
        was asked of it must be clean."""
        if self.strict is not None:
            return Strictness(self.strict, "stated")
        by = self.stated()
        return Strictness(True, "implied", by) if by else Strictness(False, "default")


@dataclass(frozen=True, slots=True)
class Strictness:
    """The gate's strictness: ``why`` is ``stated`` (``strict`` set, true or false),
    ``implied`` (by the expectation fields in ``by``) or ``default`` (nothing stated: lenient)."""

    strict: bool
    why: Literal["stated", "implied", "default"]
    by: tuple[str, ...] = ()


# A baseline alone states nothing about the build: its warnings (a new permission) stay warnings.
_NOT_EXPECTATIONS = {"warn_days", "allow_debuggable", "allow_test_only", "allow_debug_certificate",
                     "strict", "ignore", "baseline", "baseline_record"}
_EXPECTATION_FIELDS = tuple(n for n in Expectations.__dataclass_fields__ if n not in _NOT_EXPECTATIONS)


_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


def _fingerprint(value: str) -> str:
    """``AB:CD:...`` or ``abcd...``: compare as lower-case hex without separators.

    Anything but 64 hex digits is refused; 40 of them is a SHA-1 fingerprint, the one keytool
    and the Play Console show first, and the message says where the SHA-256 is printed."""
    hexed = value.replace(":", "").replace(" ", "").lower()
    if _SHA256.fullmatch(hexed):
        return hexed
    if _SHA1.fullmatch(hexed):
        raise InvalidExpectation("cert_sha256", f"{value!r} is a SHA-1 fingerprint (40 hex digits); "
                                 "give the certificate's SHA-256 (64 hex digits), which "
                                 "`keytool -list -v -keystore KEYSTORE` prints as 'SHA256:' and "
                                 "`apksigner verify --print-certs APK` as 'certificate SHA-256 digest'")
    raise InvalidExpectation("cert_sha256", f"{value!r} is not a SHA-256 fingerprint: expected 64 "
                             "hex digits, colons and spaces allowed")


def _rule_code(code: str) -> str:
    """A rule code as the registry spells it: case is ignored (``and003`` is AND003); an unknown
    code is refused with the closest known one, since ignoring nothing silently is a lie."""
    known = sorted(_KNOWN_CODES)
    wanted = code.strip().upper()
    if wanted in known:
        return wanted
    # A digit dropped or added (AND03, AND0003) is the same prefix and number: that code first;
    # otherwise the closest spelling.
    parts = re.fullmatch(r"([A-Z]+)0*(\d{1,3})", wanted)
    padded = f"{parts[1]}{int(parts[2]):03d}" if parts else None
    close = [padded] if padded in known else difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known codes: {', '.join(known)}"
    raise InvalidExpectation("ignore", f"unknown rule code {code!r} ({hint})")
