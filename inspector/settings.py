"""Settings: command-line flag > environment variable > config file > default, with each value's source.

One table (:data:`OPTIONS`) names every check option once; the flag (``--min-days``), the
environment variable (``INSPECTOR_MIN_DAYS``) and the config key (``min-days``) all derive from it.
The config file is ``inspector.toml`` (or ``[tool.inspector]`` in ``pyproject.toml``), found in
the working directory or the nearest parent that has one, up to the repository root (a folder
holding ``.git``) or the home directory and never above, or named by ``--config`` /
``INSPECTOR_CONFIG``::

    [check]              # every artifact
    min-days = 14
    [check.android]      # APK and AAB
    min-target-sdk = 34
    [check.ios]          # IPA and iOS-family profiles
    expect-team = "TEAMID1234"
    [check.macos]        # PKG and macOS profiles
    [upload]             # read by ``inspector upload``

A platform section overrides ``[check]`` for artifacts of that platform. Secrets never belong in
a file that is committed: a key that names a token is refused wherever it appears.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from inspector.errors import UsageError
from inspector.limits import MAX_INT_DIGITS, parse_int

if TYPE_CHECKING:
    from inspector.checks.expectations import Expectations, Strictness

__all__ = [
    "ALLOW_HTTP_ENV",
    "CHANGELOG_MAX_BYTES",
    "CONFIG_MAX_BYTES",
    "ENV_PREFIX",
    "OPTIONS",
    "PLATFORM_SECTIONS",
    "SERVICE_BY_NAME",
    "SERVICE_OPTIONS",
    "TARGET_OPTIONS",
    "TRUST_DESTINATION_ENV",
    "Config",
    "Option",
    "Resolved",
    "ServiceOption",
    "ServiceSettings",
    "UploadSection",
    "check_service_values",
    "env_value",
    "explain_service",
    "find_config",
    "is_secret_key",
    "load_config",
    "read_named_file",
    "resolve",
    "resolve_service",
    "setting_names",
    "source_rank",
    "strictness_text",
    "upload_settings",
]

ENV_PREFIX = "INSPECTOR_"
#: The largest config file read (``inspector.toml``, ``pyproject.toml``).
CONFIG_MAX_BYTES = 1024 * 1024
#: The largest changelog file read (``--changelog-file``, ``changelog-file``).
CHANGELOG_MAX_BYTES = 64 * 1024
# Pseudo-file systems: their "regular files" (/proc/self/environ) hold the process's secrets.
_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
PLATFORM_SECTIONS = ("android", "ios", "macos")
Kind = Literal["str", "int", "bool", "list", "size", "growth"]
#: What may follow a size's digits: b, k, kb, ki, kib, m... (the case is ignored).
_SIZE_UNITS = frozenset({"", "b"} | {p + s for p in "kmgt" for s in ("", "b", "i", "ib")})
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
          "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: ``name`` is the flag without dashes and the config key; ``target`` the
    :class:`Expectations` field it fills."""

    name: str
    target: str
    kind: Kind
    help: str
    aliases: tuple[str, ...] = ()
    metavar: str | None = None
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")

    @property
    def dest(self) -> str:
        return "opt_" + self.target


OPTIONS: tuple[Option, ...] = (
    Option("expect-id", "expect_id", "str", "the package name / bundle id (shell wildcards allowed)",
           metavar="ID"),
    Option("expect-version-name", "expect_version_name", "str",
           "the exact versionName / CFBundleShortVersionString", metavar="V"),
    Option("expect-version-name-regex", "expect_version_name_regex", "str",
           "a regular expression the whole version name must match", metavar="RE"),
    Option("expect-version-code", "expect_build", "str",
           "the exact versionCode / CFBundleVersion", aliases=("expect-build",), metavar="N"),
    Option("min-version-code", "min_build", "int",
           "the lowest versionCode / CFBundleVersion allowed", aliases=("min-build",), metavar="N"),
    Option("expect-team", "expect_team", "str", "the Apple team id (profile, installer)",
           metavar="TEAM"),
    Option("cert-sha256", "cert_sha256", "list",
           "a pinned signing certificate's SHA-256 (repeatable: any of them)", metavar="HEX"),
    Option("min-days", "min_days", "int",
           "error when a profile or certificate has fewer days left (default 0: expired)",
           metavar="N"),
    Option("warn-days", "warn_days", "int",
           "warn when a profile or certificate has fewer days left (default 30)", metavar="N"),
    Option("max-size", "max_size", "size",
           "the largest file allowed: bytes, or k/M/G (powers of 1000: 200M), Ki/Mi/Gi (of 1024: 512Mi)",
           metavar="SIZE"),
    Option("max-min-os", "max_min_os", "str",
           "the highest MinimumOSVersion / LSMinimumSystemVersion allowed", metavar="VERSION"),
    Option("require-signed", "require_signed", "bool",
           "an unsigned AAB or PKG is an error, not a warning"),
    Option("min-sdk-at-least", "min_sdk_at_least", "int", "the lowest minSdkVersion allowed",
           metavar="N"),
    Option("min-sdk-at-most", "min_sdk_at_most", "int", "the highest minSdkVersion allowed",
           metavar="N"),
    Option("min-target-sdk", "min_target_sdk", "int", "the lowest targetSdkVersion allowed",
           metavar="N"),
    Option("allow-debuggable", "allow_debuggable", "bool",
           "a debuggable Android build is fine (no AND001 warning)"),
    Option("allow-test-only", "allow_test_only", "bool", "an android:testOnly build is fine"),
    Option("allow-debug-certificate", "allow_debug_certificate", "bool",
           "the Android Debug certificate is fine (no AND002 warning)"),
    Option("require-scheme", "require_scheme", "list", "an APK signature scheme that must be "
           "present (repeatable)", metavar="v1|v2|v3|v3.1", choices=("v1", "v2", "v3", "v3.1")),
    Option("require-abi", "require_abi", "list", "an ABI the native code must cover (repeatable)",
           metavar="ABI"),
    Option("require-16k-pages", "require_16k_pages", "bool",
           "a 64-bit native library not ready for 16 KB pages is an error (AND014), not a warning"),
    Option("forbid-permission", "forbid_permission", "list",
           "a permission the app must not request (repeatable, wildcards allowed)", metavar="NAME"),
    Option("signing-type", "signing_type", "list",
           "an allowed Apple signing type (repeatable; default: all but app-store)",
           metavar="TYPE",
           choices=("development", "ad-hoc", "enterprise", "app-store", "developer-id")),
    Option("require-device", "require_device", "list",
           "a device UDID the profile must provision (repeatable)", metavar="UDID"),
    Option("strict", "strict", "bool", "warnings fail the gate too"),
    Option("ignore", "ignore", "list", "a rule code to skip (repeatable)", metavar="CODE"),
    Option("baseline", "baseline", "str", "the previous release to compare with (a build or its "
           "inspect --json): rules BAS001-BAS007", metavar="OLD"),
    Option("max-size-increase", "max_size_increase", "growth",
           "the growth allowed since the baseline (bytes, 5M, or a percentage: 10%)",
           metavar="SIZE|N%"),
)
_BY_NAME = {o.name: o for o in OPTIONS}


def setting_names(targets: tuple[str, ...]) -> tuple[str, ...]:
    """The settings' names (``expect-id``: the flag without dashes, the config key) of
    :class:`Expectations` fields (``expect_id``), in the order given."""
    by_target = {o.target: o.name for o in OPTIONS}
    by_target["uploaded_build"] = "newer-than-uploaded"  # a flag of check, read from the service
    return tuple(by_target.get(t, t) for t in targets)


def strictness_text(strictness: Strictness) -> str:
    """Why warnings do or do not fail the gate, in the words of the settings:
    ``implied by --expect-id, --min-days``, ``--strict``, ``--no-strict``, ``default``."""
    if strictness.why == "stated":
        return "--strict" if strictness.strict else "--no-strict"
    if strictness.why == "implied":
        return "implied by " + ", ".join(f"--{n}" for n in setting_names(strictness.by))
    return "default"


@dataclass(frozen=True, slots=True)
class Config:
    """A parsed config file: ``check`` (the common section), per-platform overrides, ``upload``."""

    path: Path | None
    check: Mapping[str, Any] = field(default_factory=dict)
    platforms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    upload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The expectations for one platform, and where each value came from."""

    expectations: Expectations
    sources: Mapping[str, str]
    values: Mapping[str, Any]


def find_config(cwd: Path, home: Path | None = None) -> Path | None:
    """``inspector.toml``, else a ``pyproject.toml`` with ``[tool.inspector]``, in ``cwd`` or the
    nearest parent holding one.

    The search stops at the repository root (a folder holding ``.git``) or at ``home`` (default:
    the user's home directory), whichever comes first: a folder above the checkout (a shared
    runner's work directory, ``/tmp``) is anyone's to write, and its file must not steer the gate.
    """
    if home is None:
        try:
            home = Path.home()
        except (RuntimeError, KeyError):
            home = None
    for folder in (cwd, *cwd.parents):
        own = folder / "inspector.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.inspector" in read_named_file(
                pyproject, cap=CONFIG_MAX_BYTES, what="config"):
            return pyproject
        if (folder / ".git").exists() or (home is not None and folder == home):
            return None
    return None


def read_named_file(path: str | os.PathLike[str], *, cap: int, what: str,
                    within: Path | None = None) -> bytes:
    """The bytes of ``path``, at most ``cap`` of them, when it is a regular file.

    Refused with a :class:`UsageError` naming ``what`` and the file: a device, FIFO, socket or
    folder; anything under ``/proc``, ``/sys`` or ``/dev`` (``/proc/self/environ`` is a "regular"
    file holding every secret of the job); a file larger than ``cap``; and, with ``within``, a file
    whose real path (symbolic links and ``..`` resolved) is outside that folder.
    """
    shown = f"{what}: {path}"
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise UsageError(f"{shown}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if any(real == tree or real.is_relative_to(tree) for tree in _SYSTEM_TREES):
        raise UsageError(f"{shown}: a system file ({real}) is never read")
    if within is not None and not real.is_relative_to(within.resolve()):
        raise UsageError(f"{shown}: outside the config file's folder {within} (a file named by a "
                         "config file must be inside its folder)")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{shown}: not a regular file")
        if info.st_size > cap:
            raise UsageError(f"{shown}: {info.st_size} bytes, more than the {cap} allowed")
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0 and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > cap:
        raise UsageError(f"{shown}: more than the {cap} bytes allowed")
    return data


def load_config(config_path: str | os.PathLike[str] | None, cwd: Path) -> Config:
    """Read and validate the config file (``config_path``, else :func:`find_config`)."""
    path = Path(config_path) if config_path is not None else find_config(cwd)
    if path is None:
        return Config(path=None)
    import tomllib  # only when there is a file to read
    raw = read_named_file(path, cap=CONFIG_MAX_BYTES, what="config")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config {path}: not valid TOML ({exc})") from None
    except RecursionError:
        # tomllib recurses once per nested array or inline table
        raise UsageError(f"config {path}: not valid TOML (nested too deep)") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("inspector", {})
        where = "[tool.inspector]"
    else:
        where = ""
    _refuse_secrets(data, path, where)
    unknown = sorted(set(data) - {"check", "upload"})
    if unknown:
        raise UsageError(f"config {path}: unknown section {where}[{unknown[0]}] "
                         "(known: check, upload)")
    check = dict(_table(data.get("check", {}), path, "check"))
    platforms = {}
    for name in PLATFORM_SECTIONS:
        if name in check:
            platforms[name] = _table(check.pop(name), path, f"check.{name}")
            _validate_keys(platforms[name], path, f"check.{name}")
    _validate_keys(check, path, "check")
    upload = _table(data.get("upload", {}), path, "upload")
    return Config(path=path, check=check, platforms=platforms, upload=upload)


def _size(text: str) -> int:
    """``150000000``, ``200M``, ``2G``, ``512Mi``, ``1 GiB``: decimal or binary units, any case.

    Read by hand: the regular expression it replaces backtracked on a long run of spaces.
    """
    body = text.strip()
    digits = body[:len(body) - len(body.lstrip("0123456789"))]
    unit = body[len(digits):].strip().lower()
    if not digits or len(digits) > MAX_INT_DIGITS or unit not in _SIZE_UNITS:
        raise ValueError("expected a size such as 150000000, 200M or 2G")
    return int(digits) * _UNITS[unit.removesuffix("b")]


def _table(value: Any, path: Path, section: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"config {path}: [{section}] must be a table")
    return value


def _validate_keys(table: Mapping[str, Any], path: Path, section: str) -> None:
    for key, value in table.items():
        if key not in _BY_NAME:
            hint = f"; platform sections are {', '.join(PLATFORM_SECTIONS)}" if isinstance(
                value, dict) else ""
            raise UsageError(f"config {path}: [{section}] unknown key {key!r}{hint}")
        _convert(_BY_NAME[key], value, f"config {path} [{section}] {key}")


def _refuse_secrets(data: Mapping[str, Any], path: Path, where: str, trail: str = "") -> None:
    for key, value in data.items():
        here = f"{trail}.{key}" if trail else key
        if is_secret_key(str(key)):
            raise UsageError(f"config {path}: {where}{here}: a secret does not belong in a config "
                             "file; pass it in the environment (APPLIVERY_APP_TOKEN...)")
        if isinstance(value, dict):
            _refuse_secrets(value, path, where, here)


def _convert(option: Option, value: Any, source: str) -> Any:
    """A value from a flag, the environment (text) or TOML (typed) as the option's kind."""
    kind = option.kind
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError("expected true or false")
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError("expected a whole number")
            number = value if isinstance(value, int) else parse_int(value)
            if number < 0:
                raise ValueError("expected a whole number >= 0")
            return number
        if kind == "size":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            return _size(str(value))
        if kind == "growth":
            text = str(value).strip()
            if text.endswith("%"):
                percent = float(text[:-1])
                if not percent >= 0 or percent == float("inf"):
                    raise ValueError("expected a percentage >= 0")
                return f"{percent:g}%"
            return str(_size(text))
        if kind == "list":
            items = value if isinstance(value, list) else [value]
            out: list[str] = []
            for item in items:
                if not isinstance(item, str):
                    raise ValueError("expected text or a list of text")
                out.extend(part.strip() for part in item.split(",") if part.strip())
            for item in out:
                if option.choices and item not in option.choices:
                    raise ValueError(f"{item!r} is not one of {', '.join(option.choices)}")
            return tuple(out)
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value
    except ValueError as exc:
        raise UsageError(f"{source}: {exc} (got {value!r})") from None


def resolve(flags: Mapping[str, Any], env: Mapping[str, str], config: Config,
            platform: str | None) -> Resolved:
    """The expectations for ``platform`` (android, ios, macos or None): flag > env > file > default.

    ``flags`` holds each option's ``dest`` (None when not given); list flags replace, never merge
    with, lower sources. An empty environment variable is not set (:func:`env_value`).
    """
    from inspector.checks.expectations import Expectations

    given = dict(flags)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    file = str(config.path) if config.path else None
    section = config.platforms.get(platform or "", {})
    for o in OPTIONS:
        flag_value = given.get(o.dest)
        if flag_value is not None:
            raw = flag_value
            source = f"flag --{o.name}"
        elif env_value(env, o.env) is not None:
            raw = env[o.env]
            source = f"environment {o.env}"
        elif o.name in section:
            raw = section[o.name]
            source = f"{file} [check.{platform}]"
        elif o.name in config.check:
            raw = config.check[o.name]
            source = f"{file} [check]"
        else:
            continue
        values[o.target] = _convert(o, raw, source)
        sources[o.name] = source
    from inspector.checks.expectations import InvalidExpectation

    try:
        expectations = Expectations(**values)
    except InvalidExpectation as exc:
        # Name the setting and where its value came from, not the library's field.
        name = next((o.name for o in OPTIONS if o.target == exc.field), exc.field)
        raise UsageError(f"{sources.get(name, name)}: {exc.message}") from None
    except ValueError as exc:
        raise UsageError(f"expectations: {exc}") from None
    shown = {o.name: getattr(expectations, o.target) for o in OPTIONS}
    for o in OPTIONS:
        sources.setdefault(o.name, "default")
    return Resolved(expectations, sources, shown)


# -- the service's options: upload, status, builds, and check --newer-than-uploaded ---------------

#: ``list``: text or a list of text (a variable's text is one item); ``groups``: an employee-group
#: filter, text (``g1,g2|g3``) or, in a config file, a list of lists.
ServiceKind = Literal["str", "int", "float", "bool", "list", "groups"]

#: The environment variable that trusts a config file's destination: its value must be the
#: config's value itself (several separated by spaces or commas), never a blanket "yes".
TRUST_DESTINATION_ENV = "INSPECTOR_TRUST_CONFIG_DESTINATION"
#: ``--allow-http`` in the environment: a plain-http destination (a test server) is accepted.
ALLOW_HTTP_ENV = "INSPECTOR_ALLOW_HTTP"
_SECRET_WORDS = ("token", "secret", "password")


@dataclass(frozen=True, slots=True)
class ServiceOption:
    """One option of the commands that talk to the service. ``name`` is the flag without dashes
    and the ``[upload]`` key; ``env`` the variables read, in order (ours first, then the name the
    vendor's fastlane plugin reads, so that a migrating pipeline keeps its variables)."""

    name: str
    kind: ServiceKind
    env: tuple[str, ...]
    default: Any = None
    #: Never in a config file, never shown (``--explain`` says only whether it is set).
    secret: bool = False
    #: Decides which host receives the token: a config file's value must be confirmed.
    destination: bool = False
    #: Accepted in ``[upload]``.
    in_config: bool = True

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")


def _own(name: str, *aliases: str) -> tuple[str, ...]:
    return (ENV_PREFIX + name.upper().replace("-", "_"), *aliases)


#: Every option of ``upload``, ``status`` and ``builds`` (and of ``check --newer-than-uploaded``)
#: that a flag, the environment or ``[upload]`` can set. ``upload`` also takes the check's
#: :data:`OPTIONS`. Flags that only steer one run (``--dry-run``, ``--json``...) are not settings.
SERVICE_OPTIONS: tuple[ServiceOption, ...] = (
    ServiceOption("token", "str", ("APPLIVERY_APP_TOKEN",), secret=True, in_config=False),
    ServiceOption("service-account-token", "str", ("APPLIVERY_SERVICE_ACCOUNT_TOKEN",), secret=True,
                  in_config=False),
    ServiceOption("organization", "str", ("APPLIVERY_ORGANIZATION_ID",)),
    ServiceOption("app", "str", ("APPLIVERY_APP_ID",)),
    ServiceOption("tenant", "str", ("APPLIVERY_TENANT",), destination=True),
    ServiceOption("upload-url", "str", ("APPLIVERY_UPLOAD_URL",), destination=True),
    ServiceOption("api-url", "str", ("APPLIVERY_API_URL",), destination=True),
    ServiceOption("allow-http", "bool", (ALLOW_HTTP_ENV,), False, in_config=False),
    ServiceOption("retries", "int", _own("retries"), 5),
    ServiceOption("retry-delay", "float", _own("retry-delay"), 1.0),
    ServiceOption("timeout", "float", _own("timeout", "APPLIVERY_TIMEOUT"), 600.0),
    ServiceOption("connect-timeout", "float", _own("connect-timeout"), 60.0),
    ServiceOption("wait", "bool", _own("wait"), False),
    ServiceOption("wait-timeout", "float", _own("wait-timeout"), 1800.0),
    ServiceOption("wait-interval", "float", _own("wait-interval"), 10.0),
    ServiceOption("progress", "bool", _own("progress"), True),
    ServiceOption("git", "bool", _own("git"), True),
    ServiceOption("version-name", "str", _own("version-name", "APPLIVERY_BUILD_NAME"), in_config=False),
    ServiceOption("tags", "list", _own("tags", "APPLIVERY_BUILD_TAGS")),
    ServiceOption("changelog", "str", _own("changelog", "APPLIVERY_BUILD_CHANGELOG")),
    ServiceOption("changelog-file", "str", _own("changelog-file")),
    ServiceOption("notify-collaborators", "bool",
                  _own("notify-collaborators", "APPLIVERY_NOTIFY_COLLABORATORS")),
    ServiceOption("notify-employees", "bool", _own("notify-employees", "APPLIVERY_NOTIFY_EMPLOYEES")),
    ServiceOption("notify-message", "str", _own("notify-message", "APPLIVERY_NOTIFY_MESSAGE")),
    ServiceOption("notify-language", "str", _own("notify-language")),
    ServiceOption("filter", "groups", _own("filter", "APPLIVERY_FILTER")),
    ServiceOption("deployer-name", "str", _own("deployer-name")),
    ServiceOption("build-platform", "str", _own("build-platform")),
    ServiceOption("package-name", "str", _own("package-name")),
    ServiceOption("package-version", "str", _own("package-version")),
    ServiceOption("package-icon", "str", _own("package-icon")),
    # The build's dashboard page (upload, status): the vendor's plugin documents these names.
    ServiceOption("app-slug", "str", ("APPLIVERY_APP_SLUG",)),
    ServiceOption("dashboard-url", "str", ("APPLIVERY_DASHBOARD_URL",)),
)
SERVICE_BY_NAME = {o.name: o for o in SERVICE_OPTIONS}
#: The commands that talk to the service read only these of :data:`SERVICE_OPTIONS`.
TARGET_OPTIONS = ("token", "service-account-token", "organization", "app", "tenant", "upload-url",
                  "api-url", "allow-http", "retries", "retry-delay", "timeout", "connect-timeout")
_CONFIG_TYPES: dict[ServiceKind, tuple[type, ...]] = {
    "str": (str,), "list": (str, list), "groups": (str, list), "bool": (bool,), "int": (int,),
    "float": (int, float)}


class UploadSection(dict[str, Any]):
    """The checked ``[upload]`` section, with the config file it came from (``path``, None when
    built in code): files it names are read inside that file's folder only."""

    path: Path | None = None


def is_secret_key(key: str) -> bool:
    """A config key naming a token, secret or password: refused wherever it appears, since the
    config file is committed and secrets belong in the environment."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def upload_settings(section: Mapping[str, Any], source: str = "[upload]",
                    path: Path | None = None) -> UploadSection:
    """The ``[upload]`` section, checked: known keys (``a-b`` or ``a_b``), right types, no secret
    (:func:`is_secret_key`). Returns a dict keyed by the dashed option names."""
    out = UploadSection()
    out.path = path
    known = [o.name for o in SERVICE_OPTIONS if o.in_config]
    for raw_key, value in section.items():
        key = str(raw_key).replace("_", "-")
        if is_secret_key(key):
            raise UsageError(f"{source}: {raw_key}: a secret does not belong in a config file; pass "
                             "it in the environment (APPLIVERY_APP_TOKEN, APPLIVERY_SERVICE_ACCOUNT_TOKEN)")
        option = SERVICE_BY_NAME.get(key)
        if option is None or not option.in_config:
            raise UsageError(f"{source}: unknown key {raw_key!r} (known: {', '.join(known)})")
        if not isinstance(value, _CONFIG_TYPES[option.kind]) or (
                isinstance(value, bool) and option.kind in ("int", "float")):
            raise UsageError(f"{source}: {raw_key}: wrong type {type(value).__name__}")
        out[key] = value
    return out


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """The value of variable ``name``, None when it is unset, empty or only blanks: an empty
    variable is "not set" for every setting (a CI template's ``FOO: ""`` states nothing)."""
    raw = env.get(name)
    return raw if raw is not None and raw.strip() else None


def _service_from_text(option: ServiceOption, raw: str, source: str) -> Any:
    text = raw.strip()
    try:
        if option.kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if option.kind == "int":
            return int(text)
        if option.kind == "float":
            return float(text)
    except ValueError as exc:
        message = str(exc) if option.kind == "bool" else (
            "expected a whole number" if option.kind == "int" else "expected a number of seconds")
        shown = raw if not option.secret else "(hidden)"
        raise UsageError(f"{source}: {message} (got {shown!r})") from None
    return [raw] if option.kind == "list" else raw


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """The resolved service settings: each option's value and where it came from (``flag --x``,
    ``environment X``, ``config F [upload]``, ``default``), and the notes met on the way (both our
    variable and the fastlane one set to different values)."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]
    config: UploadSection
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def resolve_service(flags: Mapping[str, Any], env: Mapping[str, str], config: Mapping[str, Any],
                    names: tuple[str, ...] | None = None) -> ServiceSettings:
    """The service settings ``names`` (default: all): flag > environment > ``[upload]`` > default.

    ``flags`` maps each option's ``dest`` (``upload_url``) to its value, None when not given.
    The environment is read through :func:`env_value` (an empty variable is not set); when two
    variables of one option are set to different values the first (ours) is used and a note says
    so. A destination from ``config`` is used only when :data:`TRUST_DESTINATION_ENV` lists that
    very value, else a :class:`UsageError` names file and key.
    """
    section = config if isinstance(config, UploadSection) else upload_settings(config)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    where = f"config {getattr(section, 'path', None) or '(in code)'} [upload]"
    for option in SERVICE_OPTIONS:
        if names is not None and option.name not in names:
            continue
        flag = flags.get(option.dest)
        given = [(n, v) for n in option.env if (v := env_value(env, n)) is not None]
        if flag is not None:
            values[option.name], sources[option.name] = flag, f"flag --{option.name}"
        elif given:
            name, raw = given[0]
            if len(given) > 1 and given[1][1] != raw:
                notes.append(f"{name} and {given[1][0]} are both set: {name} is used")
            values[option.name] = _service_from_text(option, raw, name)
            sources[option.name] = f"environment {name}"
        elif option.name in section:
            value = section[option.name]
            if option.destination and str(value) not in env.get(
                    TRUST_DESTINATION_ENV, "").replace(",", " ").split():
                confirm = " or ".join((f"--{option.name}", *option.env))
                raise UsageError(f"{where} {option.name}: a config file does not choose where the token "
                                 f"goes; give the same value with {confirm}, or list it in "
                                 f"{TRUST_DESTINATION_ENV}")
            values[option.name], sources[option.name] = value, f"{where}"
        else:
            values[option.name], sources[option.name] = option.default, "default"
    return ServiceSettings(values, sources, section, tuple(notes))


def source_rank(source: str) -> int:
    """How strong a source is: a flag 3, the environment 2, a config file 1, the default 0. Two
    settings that say the same thing (``changelog``, ``changelog-file``) yield to the stronger."""
    for rank, prefix in ((3, "flag"), (2, "environment"), (1, "config")):
        if source.startswith(prefix):
            return rank
    return 0


def check_service_values(settings: ServiceSettings) -> None:
    """The numeric service settings in range, each refused by its name and source."""
    at_least_zero = ("retries", "retry-delay")
    for name in ("retries", "retry-delay", "timeout", "connect-timeout", "wait-timeout", "wait-interval"):
        value = settings.values.get(name)
        if value is None or (value >= 0 if name in at_least_zero else value > 0):
            continue
        message = "must be >= 0" if name in at_least_zero else "must be > 0"
        source = settings.sources[name]
        shown = source.removeprefix("flag ") if source.startswith("flag ") else f"{name} ({source})"
        raise UsageError(f"{shown} {message} (got {value!r})")


def explain_service(settings: ServiceSettings) -> list[str]:
    """``--explain`` lines: each service setting's value (a secret only as "set") and source."""
    width = max(len(n) for n in settings.values) if settings.values else 0
    lines = []
    for name, value in settings.values.items():
        option = SERVICE_BY_NAME[name]
        if option.secret:
            shown = "set (hidden)" if value else "-"
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value) or "-"
        else:
            shown = "-" if value in (None, "") else str(value)
        lines.append(f"  {name.ljust(width)}  {shown.ljust(12)}  {settings.sources[name]}")
    return lines
