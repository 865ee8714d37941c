"""The Applivery upload request as data (sans-I/O): Summary + user fields + target -> request value.

Nothing here opens a socket or a file. :func:`build_request` returns an :class:`UploadRequest` that
:mod:`inspector.upload.transport` sends, that ``--dry-run`` prints, and that other uploaders can use.
The field names and rules are those of ``spec/upload-api.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal
from urllib.parse import quote, urlencode

# The package, for ``inspector.Summary`` in the public hints: resolved on demand (get_type_hints),
# so that building the command line's parser (which reads this module's tables) loads no summary.
import inspector
from inspector.errors import InvalidField, UsageError
from inspector.format import by_extension, format_of
from inspector.report import escape

__all__ = [
    "BUILD_EXTENSIONS",
    "BUILD_PLATFORMS",
    "DEFAULT_API_URL",
    "DEFAULT_UPLOAD_URL",
    "ICON_MAX_BYTES",
    "NOTIFY_LANGUAGES",
    "REDACTED",
    "WINDOWS_PLATFORMS",
    "XBOX_PLATFORMS",
    "ApiRequest",
    "Deployer",
    "FilePart",
    "FromEnvironment",
    "Secret",
    "Target",
    "UploadFields",
    "UploadRequest",
    "api_url_for",
    "base_urls",
    "build_details_request",
    "build_request",
    "dump_json",
    "icon_content_type",
    "list_builds_request",
    "parse_filter",
    "parse_tags",
    "platform_problem",
    "without_credentials",
]

DEFAULT_UPLOAD_URL = "https://upload.applivery.io"
DEFAULT_API_URL = "https://api.applivery.io"
REDACTED = "***"

#: ``buildPlatform`` values the service accepts (lower case).
BUILD_PLATFORMS = ("ios", "macos", "android", "ps4", "ps5", "switch", "xbox-one", "xbox-series")
#: ``notifyLanguage`` codes (German is ``ge``, not ``de``).
NOTIFY_LANGUAGES = ("es", "en", "fr", "ge", "it", "zh", "pt", "ru")
#: File names the service accepts as a build (the contract's list, in its order).
BUILD_EXTENSIONS = ("ipa", "apk", "aab", "pkg", "dmg", "exe", "msi", "msix", "msixbundle", "appx",
                    "appxbundle", "nsp", "zip", "tar.gz")
#: The ``buildPlatform`` values that fit a Windows package, by extension. The contract's platform list
#: has no Windows: an installer (``.exe``, ``.msi``) fits none, so it can never be uploaded; an app
#: package (``.msix``, ``.appx`` and their bundles) is how UWP apps ship to Xbox consoles, so it fits
#: the two Xbox platforms only (our reading of the contract, which lists both formats and platforms).
XBOX_PLATFORMS = ("xbox-one", "xbox-series")
WINDOWS_PLATFORMS: dict[str, tuple[str, ...]] = {
    "exe": (), "msi": (),
    **dict.fromkeys(("msix", "msixbundle", "appx", "appxbundle"), XBOX_PLATFORMS),
}
#: A ``packageIcon`` larger than this is refused before anything is sent.
ICON_MAX_BYTES = 5 * 1024 * 1024

_DEPLOYER_INFO = ("commitMessage", "commit", "branch", "tag", "triggerTimestamp", "buildUrl", "ciUrl",
                  "repositoryUrl", "buildNumber")


class FromEnvironment(str):
    """The ``Authorization`` value of a target without a token (a dry run): ``Bearer $VARIABLE``,
    the variable the token would be read from. Not a credential: a request carrying it is refused
    by the service, never sent by the command line."""

    __slots__ = ()

    def __new__(cls, variable: str) -> FromEnvironment:
        return super().__new__(cls, f"Bearer ${variable}")


class Secret:
    """A token: its ``str`` and ``repr`` are redacted; only :meth:`reveal` gives the value.

    The one place tokens are kept: every request value, error and dry run formats a Secret, so a
    token cannot reach a message by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled")


def base_urls(tenant: str | None = None, upload_url: str | None = None,
              api_url: str | None = None, *, allow_http: bool = False) -> tuple[str, str]:
    """The upload and API base URLs: explicit overrides, else the tenant's, else Applivery's.

    A tenant ``acme`` maps to ``https://upload.acme.applivery.io``; one with a dot
    (``apps.acme.com``) to ``https://upload.apps.acme.com``; likewise ``api.``. With only an upload URL
    (no API URL, no tenant), reads go to the API host of that upload host (:func:`api_url_for`):
    after a build was created there, its status is read there too. A plain ``http://`` URL
    (loopback included) sends the token in clear: refused unless ``allow_http``.
    """
    upload, api = DEFAULT_UPLOAD_URL, DEFAULT_API_URL
    if tenant is not None:
        tenant = tenant.strip().lower()
        if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", tenant):
            raise InvalidField("tenant", f"not a tenant name or domain: {tenant!r}")
        domain = tenant if "." in tenant else f"{tenant}.applivery.io"
        upload, api = f"https://upload.{domain}", f"https://api.{domain}"
    for name, url in (("upload_url", upload_url), ("api_url", api_url)):
        if url is not None and re.match(r"[a-z]+://[^/]*@", url, re.IGNORECASE):
            # never echoed: the part before @ is a secret
            raise InvalidField(name, "a URL with credentials in it is refused; the token authenticates")
        if url is not None and not re.match(r"https?://[^/\s]+", url, re.IGNORECASE):
            raise InvalidField(name, f"not an http(s) URL: {url!r}")
        if url is not None and url[:7].lower() == "http://" and not allow_http:
            raise InvalidField(name, "a plain http:// URL would send the token unencrypted; use "
                               "https://, or allow http for a test server (allow_http)")
    upload = (upload_url or upload).rstrip("/")
    if re.fullmatch(r"https?://api\.applivery\.io", upload):
        raise InvalidField("upload_url", "api.applivery.io no longer takes uploads; "
                           "use https://upload.applivery.io")
    if api_url is None and upload_url is not None and tenant is None:
        api = api_url_for(upload)
    return upload, (api_url or api).rstrip("/")


def api_url_for(upload_url: str) -> str:
    """The API base URL that goes with an upload base URL: ``upload.`` -> ``api.`` in the host
    (``https://upload.acme.applivery.io`` -> ``https://api.acme.applivery.io``); a host without that
    prefix (a proxy, a test server) serves both."""
    return re.sub(r"^(https?://)upload\.", r"\1api.", upload_url.rstrip("/"), count=1, flags=re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a build goes and with which token.

    Integrations API: an app token alone. Workspace API: a service-account token, an organization id
    and an app id. ``upload_url`` and ``api_url`` are base URLs (see :func:`base_urls`).
    """

    token: Secret | None
    organization: str | None = None
    app: str | None = None
    upload_url: str = DEFAULT_UPLOAD_URL
    api_url: str = DEFAULT_API_URL

    def __post_init__(self) -> None:
        if self.token is not None and not isinstance(self.token, Secret):
            object.__setattr__(self, "token", Secret(str(self.token)))
        # None: a dry run's target, whose requests name the variable the token would come from.
        if self.token is not None and not self.token:
            raise InvalidField("token", "empty: an App API token, or a Service Account token with "
                               "organization and app, is required")
        if self.token is not None and not all("!" <= c <= "~" for c in self.token.reveal()):
            # Printable ASCII only: requests would quote another header value in its error message,
            # and a non-ASCII one fails in the encoder. The token itself is never echoed.
            raise InvalidField("token", "holds whitespace, control or non-ASCII characters")
        if (self.organization is None) != (self.app is None):
            raise InvalidField("organization" if self.organization is None else "app",
                               "the Workspace API needs both organization and app")
        for name, value in (("organization", self.organization), ("app", self.app)):
            if value is not None and not re.fullmatch(r"[A-Za-z0-9_.~-]+", value):
                raise InvalidField(name, f"not an id: {value!r}")

    @property
    def api(self) -> Literal["integrations", "workspace"]:
        return "integrations" if self.organization is None else "workspace"

    @property
    def token_variable(self) -> str:
        """The environment variable the vendor's clients read this kind of token from."""
        return "APPLIVERY_APP_TOKEN" if self.organization is None else "APPLIVERY_SERVICE_ACCOUNT_TOKEN"

    def _builds_path(self) -> str:
        if self.organization is None:
            return "/v1/integrations/builds"
        return f"/v1/organizations/{quote(self.organization)}/apps/{quote(str(self.app))}/builds"

    @property
    def builds_upload_url(self) -> str:
        return self.upload_url + self._builds_path()

    @property
    def builds_api_url(self) -> str:
        return self.api_url + self._builds_path()

    def headers(self) -> tuple[tuple[str, str | Secret], ...]:
        if self.token is None:
            return (("Authorization", FromEnvironment(self.token_variable)), ("Accept", "application/json"))
        return (("Authorization", Secret(f"Bearer {self.token.reveal()}")), ("Accept", "application/json"))


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def without_credentials(url: str | None) -> str | None:
    """``url`` without the ``user:password@`` part, whatever the scheme's case and however many
    ``@`` the password holds (``HTTPS://bot:p@ss@host/x`` -> ``HTTPS://host/x``); an scp-style
    remote (``bot:pw@host:org/repo``) likewise. A remote URL may carry a secret."""
    if not url:
        return url
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    rest = url[start:]
    # The authority ends at the first /, ? or #; its userinfo at the authority's last @.
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    return url[:start] + rest[at + 1:] if at >= 0 else url


def _remote_url(url: str | None) -> str | None:
    """A repository URL worth sending: credentials stripped; a local path (``/srv/x.git``,
    ``../x``, ``file://``, ``C:\\x``) is nobody else's business and is dropped."""
    url = without_credentials(url)
    if not url:
        return None
    if url.lower().startswith("file:") or url.startswith(("/", ".", "~", "\\")) or re.match(
            r"[A-Za-z]:[\\/]", url) or not (_SCHEME.match(url) or re.match(r"[^/\s]+:", url)):
        return None
    return url


@dataclass(frozen=True, slots=True)
class Deployer:
    """``deployer.name`` and ``deployer.info.*``: who built it, from which commit. None = not sent.

    URLs are kept without credentials whoever built the value (a CI variable, git, an override),
    and ``repositoryUrl`` never names a local path.
    """

    name: str | None = None
    commitMessage: str | None = None
    commit: str | None = None
    branch: str | None = None
    tag: str | None = None
    triggerTimestamp: str | None = None
    buildUrl: str | None = None
    ciUrl: str | None = None
    repositoryUrl: str | None = None
    buildNumber: str | None = None

    def __post_init__(self) -> None:
        for key in ("buildUrl", "ciUrl"):
            object.__setattr__(self, key, without_credentials(getattr(self, key)))
        object.__setattr__(self, "repositoryUrl", _remote_url(self.repositoryUrl))

    def form_fields(self) -> list[tuple[str, str]]:
        out = [("deployer.name", self.name)] if self.name else []
        out += [(f"deployer.info.{key}", getattr(self, key)) for key in _DEPLOYER_INFO
                if getattr(self, key)]
        return out


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file of the multipart body: from ``path`` (streamed) or ``data`` (small, in memory)."""

    name: str
    filename: str
    content_type: str
    path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    #: Where in-memory ``data`` was read from, if from a file: what a dry run shows.
    source: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "filename": self.filename,
                               "content_type": self.content_type}
        if self.path is not None:
            out["path"] = self.path
        if self.data is not None:
            out["size"] = len(self.data)
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class UploadFields:
    """What the user says about a build: every optional form field of the spec.

    ``filter`` is OR of ANDs: ``(("g1", "g2"), ("g3",))`` means (g1 AND g2) OR g3. ``package_icon`` is
    the icon's bytes (PNG or JPEG), ``package_icon_source`` the file they came from (shown by dry
    runs). None means "not given": nothing is sent for it.
    """

    version_name: str | None = None
    tags: tuple[str, ...] = ()
    changelog: str | None = None
    notify_collaborators: bool | None = None
    notify_employees: bool | None = None
    notify_message: str | None = None
    notify_language: str | None = None
    filter: tuple[tuple[str, ...], ...] = ()
    deployer: Deployer | None = None
    build_platform: str | None = None
    package_name: str | None = None
    package_version: str | None = None
    package_icon: bytes | None = field(default=None, repr=False)
    package_icon_source: str | None = None

    def __post_init__(self) -> None:
        if self.notify_language is not None and self.notify_language not in NOTIFY_LANGUAGES:
            hint = " (German is 'ge')" if self.notify_language.lower() == "de" else ""
            raise InvalidField("notifyLanguage", f"{self.notify_language!r} is not one of "
                               f"{', '.join(NOTIFY_LANGUAGES)}{hint}")
        if self.build_platform is not None and self.build_platform not in BUILD_PLATFORMS:
            raise InvalidField("buildPlatform", f"{self.build_platform!r} is not one of "
                               f"{', '.join(BUILD_PLATFORMS)}")
        for tag in self.tags:
            if not tag.strip() or "," in tag:
                raise InvalidField("tags", f"empty tag or a tag with a comma: {tag!r}")
        for group in self.filter:
            if not group or any(not g.strip() for g in group):
                raise InvalidField("filter", "an empty employee group")
        if self.package_icon is not None:
            icon_content_type(self.package_icon)


def parse_tags(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"staging, sprint-42"`` (or a list) -> ``("staging", "sprint-42")``; blanks dropped."""
    items = text.split(",") if isinstance(text, str) else [t for item in text for t in item.split(",")]
    return tuple(t.strip() for t in items if t.strip())


def parse_filter(text: str) -> tuple[tuple[str, ...], ...]:
    """The CLI's employee-group filter: ``"g1,g2|g3"`` -> ``(("g1", "g2"), ("g3",))``.

    ``|`` separates alternatives (OR), ``,`` the groups that must all match (AND).
    """
    out = []
    for alternative in text.split("|"):
        groups = tuple(g.strip() for g in alternative.split(","))
        if not all(groups):
            raise InvalidField("filter", f"an empty group in {text!r} (expected e.g. 'g1,g2|g3')")
        out.append(groups)
    return tuple(out)


def icon_content_type(data: bytes) -> str:
    """``image/png`` or ``image/jpeg``, by content; anything else (or too big) is refused."""
    if len(data) > ICON_MAX_BYTES:
        raise InvalidField("packageIcon", f"{len(data)} bytes, more than the {ICON_MAX_BYTES} allowed")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise InvalidField("packageIcon", "not a PNG or JPEG image (checked by content)")


def platform_problem(filename: str, build_platform: str | None) -> str | None:
    """Why a Windows build named ``filename`` cannot go up with ``build_platform``, or None when it
    can (or is no Windows build). Decided from the name alone, before the file is read."""
    ext = _extension(filename)
    if ext not in WINDOWS_PLATFORMS:
        return None
    fits = WINDOWS_PLATFORMS[ext]
    if not fits:
        return (f"{filename}: a Windows installer (.{ext}) fits none of the service's build platforms "
                f"({' '.join(BUILD_PLATFORMS)}): it cannot be uploaded to Applivery")
    if build_platform not in fits:
        given = f"--build-platform {build_platform} does not fit" if build_platform else "needs"
        return (f"{filename}: a .{ext} app package is uploaded as an Xbox build: it {given} "
                f"--build-platform {' or '.join(fits)}")
    return None


def _extension(filename: str) -> str | None:
    lower = filename.lower()
    for ext in sorted(BUILD_EXTENSIONS, key=len, reverse=True):
        if lower.endswith("." + ext):
            return ext
    return None


def _bool(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """The exact upload: method, URL, headers (the token as a :class:`Secret`), ordered form fields,
    then the file parts (the build last, so the server has every field before the large body)."""

    method: str
    url: str
    headers: tuple[tuple[str, str | Secret], ...]
    fields: tuple[tuple[str, str], ...]
    files: tuple[FilePart, ...]
    token_variable: str = "APPLIVERY_APP_TOKEN"

    def field_names(self) -> list[str]:
        return [name for name, _ in self.fields] + [part.name for part in self.files]

    def to_json(self) -> dict[str, Any]:
        """The request as JSON-ready data, the token redacted (what ``--dry-run=json`` prints)."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": {name: str(value) for name, value in self.headers},
            "fields": [[name, value] for name, value in self.fields],
            "files": [part.describe() for part in self.files],
        }

    def to_curl(self) -> str:
        """A copy-pasteable ``curl`` command doing the same upload; the token is the environment
        variable the vendor's clients read (``$APPLIVERY_APP_TOKEN`` or
        ``$APPLIVERY_SERVICE_ACCOUNT_TOKEN``)."""
        lines = [f"curl --fail-with-body -X {self.method} {escape.shell(self.url)}"]
        for name, value in self.headers:
            if isinstance(value, Secret | FromEnvironment):
                lines.append(f'-H "{name}: Bearer ${self.token_variable}"')
            else:
                lines.append("-H " + escape.shell(f"{name}: {value}"))
        for name, value in self.fields:
            # --form-string: a value starting with @ or < is sent as text, never read as a file.
            lines.append("--form-string " + escape.shell(f"{name}={value}"))
        for part in self.files:
            source = part.path or part.source
            if source is None:
                # curl reads every part from a file: one held in memory must be written first.
                raise UsageError(f"{part.name}: {len(part.data or b'')} bytes with no file to read them "
                                 "from; write them to a file and give it as the part's source")
            lines.append("-F " + escape.shell(
                f"{part.name}=@{escape.curl_form_value(source)};type={part.content_type};"
                f"filename={escape.curl_form_value(part.filename)}"))
        return " \\\n  ".join(lines)


def _custom_values(summary: inspector.Summary | None, fields: UploadFields, automatic: bool,
                   inspected_icon: bytes | None) -> tuple[str | None, str | None, str | None, bytes | None]:
    if automatic:
        # An ipa/apk/aab is processed by the service: send only what the user set explicitly.
        return fields.build_platform, fields.package_name, fields.package_version, fields.package_icon
    platform = fields.build_platform or (summary.build_platform if summary else None)
    name = fields.package_name or (summary.identifier if summary else None)
    version = fields.package_version or (summary.version if summary else None)
    icon = fields.package_icon if fields.package_icon is not None else inspected_icon
    return platform, name, version, icon


def build_request(file: str | PurePath, fields: UploadFields, target: Target,
                  summary: inspector.Summary | None = None, *,
                  inspected_icon: bytes | None = None) -> UploadRequest:
    """The upload request of ``file`` to ``target`` (pure: no file is read, no socket opened).

    ``summary`` is the file's inspection (None for a build inspector cannot read, e.g. a console
    build). When the build is not an ipa, apk or aab, ``buildPlatform``, ``packageName``,
    ``packageVersion`` and ``packageIcon`` come from ``fields``, else from the inspection
    (``inspected_icon`` is its icon); a missing required one raises :class:`UsageError` naming it.
    """
    path = PurePath(file)
    ext = _extension(path.name)
    if ext is None:
        raise UsageError(f"{path.name}: the service accepts only "
                         f"{', '.join('.' + e for e in BUILD_EXTENSIONS)} files")
    fmt = format_of(summary.format) if summary is not None else by_extension(path.name)
    if fmt is not None and fmt.info.build_platform is None:
        raise UsageError(f"{path.name}: a {fmt.info.human_name} is not a build")
    # What the service does not process by itself (FormatInfo.automatic) is a custom build platform.
    automatic = fmt is not None and fmt.info.automatic
    kind = fmt if fmt is not None else ext
    platform, name, version, icon = _custom_values(summary, fields, automatic, inspected_icon)
    if platform is not None and platform not in BUILD_PLATFORMS:
        raise UsageError(f"buildPlatform {platform!r} is not one of {', '.join(BUILD_PLATFORMS)}")
    problem = platform_problem(path.name, platform)
    if problem:
        raise UsageError(problem)
    if not automatic:
        # The service cannot process such a build: it shows what these four say, icon included.
        missing = [flag for flag, value in (("--build-platform", platform), ("--package-name", name),
                                            ("--package-version", version), ("--package-icon", icon))
                   if not value]
        if missing:
            raise UsageError(f"{path.name}: a {kind} build is uploaded as a custom build platform and "
                             f"needs {', '.join(missing)} (not found by inspection)")

    out: list[tuple[str, str]] = []

    def put(key: str, value: str | None) -> None:
        if value is not None and value != "":
            out.append((key, value))

    put("buildPlatform", platform)
    put("packageName", name)
    put("packageVersion", version)
    put("versionName", fields.version_name)
    put("tags", ",".join(fields.tags) if fields.tags else None)
    put("changelog", fields.changelog)
    if fields.notify_collaborators is not None:
        put("notifyCollaborators", _bool(fields.notify_collaborators))
    if fields.notify_employees is not None:
        put("notifyEmployees", _bool(fields.notify_employees))
    put("notifyMessage", fields.notify_message)
    put("notifyLanguage", fields.notify_language)
    for i, group in enumerate(fields.filter):
        for j, name_ in enumerate(group):
            put(f"filter[{i}][{j}]", name_)
    if fields.deployer is not None:
        out += fields.deployer.form_fields()

    files: list[FilePart] = []
    if icon is not None:
        content_type = icon_content_type(icon)
        suffix = "png" if content_type == "image/png" else "jpg"
        source = fields.package_icon_source if icon is fields.package_icon else None
        files.append(FilePart("packageIcon", f"icon.{suffix}", content_type, data=icon, source=source))
    files.append(FilePart("build", path.name, "application/octet-stream", path=str(file)))
    return UploadRequest("POST", target.builds_upload_url, target.headers(), tuple(out), tuple(files),
                         target.token_variable)


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """A read of the API (build details, build list): method, URL with query, headers."""

    method: str
    url: str
    headers: tuple[tuple[str, str | Secret], ...]

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url,
                "headers": {name: str(value) for name, value in self.headers}}


def build_details_request(target: Target, build_id: str) -> ApiRequest:
    """``GET {api}/.../builds/{buildId}``: the endpoint to poll while a build is processed."""
    if not build_id or not re.fullmatch(r"[A-Za-z0-9_.~-]+", build_id):
        raise UsageError(f"not a build id: {build_id!r}")
    return ApiRequest("GET", f"{target.builds_api_url}/{quote(build_id)}", target.headers())


def list_builds_request(target: Target, *, version_name: str | None = None, status: str | None = None,
                        os: str | None = None, page: int | None = None,
                        limit: int | None = None) -> ApiRequest:
    """``GET {api}/.../builds?versionName=&status=&os=&page=&limit=`` (unset ones omitted)."""
    query: Mapping[str, object] = {k: v for k, v in (("versionName", version_name), ("status", status),
                                                      ("os", os), ("page", page), ("limit", limit))
                                   if v is not None}
    url = target.builds_api_url + ("?" + urlencode(query) if query else "")
    return ApiRequest("GET", url, target.headers())


def dump_json(value: Any) -> str:
    """JSON for standard output, valid UTF-8 whatever the values hold (:func:`escape.json_text`)."""
    return escape.json_text(value)
