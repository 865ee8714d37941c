"""Manifest facts from a neutral element tree, shared by the APK (binary XML) and AAB (protobuf).

Each format turns its own encoding into :class:`Element` and implements :class:`Resources` over
its resource table; this module alone decides what ``versionCode`` or the label *is*, so that an
APK and an AAB of the same app give the same record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, NamedTuple, Protocol

from inspector.containers.image import HEADER_BYTES, image_format, read_header
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.limits import MAX_DEEP_LINKS, MAX_ICON_BYTES, MAX_ICONS_MEASURED, parse_int
from inspector.records.android import (
    Component,
    DeepLink,
    Feature,
    Icon,
    IconFile,
    IntentData,
    IntentFilter,
    Label,
    Queries,
    UsesLibrary,
    UsesPermission,
)

__all__ = [
    "ANDROID_ATTRS",
    "ANDROID_NS",
    "DIST_NS",
    "Element",
    "ManifestFacts",
    "Ref",
    "Resources",
    "Value",
    "best_icon",
    "manifest_facts",
    "measure_icon",
    "qualified",
]

ANDROID_NS = "http://schemas.android.com/apk/res/android"
DIST_NS = "http://schemas.android.com/apk/distribution"

#: android attribute resource ids -> names, for manifests whose attribute names were stripped
#: (packers do this; the platform itself only looks at the ids). From the SDK's public.xml.
ANDROID_ATTRS: dict[int, str] = {
    0x01010001: "android:label",
    0x01010002: "android:icon",
    0x01010003: "android:name",
    0x0101000F: "android:debuggable",
    0x0101020C: "android:minSdkVersion",
    0x0101021B: "android:versionCode",
    0x0101021C: "android:versionName",
    0x01010270: "android:targetSdkVersion",
    0x01010271: "android:maxSdkVersion",
    0x01010272: "android:testOnly",
    0x0101028E: "android:required",
    0x01010281: "android:glEsVersion",
    0x0101052C: "android:roundIcon",
    0x01010572: "android:compileSdkVersion",
    0x01010573: "android:compileSdkVersionCodename",
    0x01010597: "android:isFeatureSplit",
    0x01010579: "android:isSplitRequired",
    0x0101054B: "android:versionCodeMajor",
    0x01010006: "android:permission",
    0x0101000E: "android:enabled",
    0x01010010: "android:exported",
    0x01010018: "android:authorities",
    0x01010026: "android:mimeType",
    0x01010027: "android:scheme",
    0x01010028: "android:host",
    0x01010029: "android:port",
    0x0101002A: "android:path",
    0x0101002B: "android:pathPrefix",
    0x0101002C: "android:pathPattern",
    0x01010202: "android:targetActivity",
    0x0101026C: "android:anyDensity",
    0x01010280: "android:allowBackup",
    0x01010284: "android:smallScreens",
    0x01010285: "android:normalScreens",
    0x01010286: "android:largeScreens",
    0x0101028D: "android:resizeable",
    0x010102B7: "android:installLocation",
    0x010102BF: "android:xlargeScreens",
    0x01010364: "android:requiresSmallestWidthDp",
    0x010104EC: "android:usesCleartextTraffic",
    0x010104EE: "android:autoVerify",
    0x01010527: "android:networkSecurityConfig",
    0x010104EA: "android:extractNativeLibs",
}

_COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
_INSTALL_LOCATIONS = {0: "auto", 1: "internalOnly", 2: "preferExternal"}
_SCREEN_ATTRS = ("smallScreens", "normalScreens", "largeScreens", "xlargeScreens", "anyDensity",
                 "resizeable")
_VIEW = "android.intent.action.VIEW"
_BROWSABLE = "android.intent.category.BROWSABLE"
_MAIN = "android.intent.action.MAIN"


class Ref(NamedTuple):
    """A reference to a resource (``@string/app_name``), by id; ``name`` when the encoding has it.

    Internal to the readers (a value in no record), so a NamedTuple: this module is on every
    Android run, and a dataclass costs about 0.5 ms of start-up to create.
    """

    id: int
    name: str | None = None

    def __str__(self) -> str:
        return self.name or f"@0x{self.id:08x}"


Value = str | int | bool | float | Ref


class Element:
    """One XML element: attributes keyed ``android:<name>``, ``dist:<name>`` or the bare name."""

    __slots__ = ("attrs", "children", "tag")

    def __init__(self, tag: str, attrs: dict[str, Value] | None = None,
                 children: list[Element] | None = None) -> None:
        self.tag = tag
        self.attrs: dict[str, Value] = {} if attrs is None else attrs
        self.children: list[Element] = [] if children is None else children

    def __repr__(self) -> str:
        return f"Element({self.tag!r}, {self.attrs!r}, <{len(self.children)} children>)"

    def find_all(self, tag: str) -> Iterator[Element]:
        return (c for c in self.children if c.tag == tag)

    def find(self, tag: str) -> Element | None:
        return next(self.find_all(tag), None)


class Resources(Protocol):
    """What the manifest reader needs from a resource table."""

    def value(self, ref: Ref) -> Value | None:
        """The value in the default configuration (references followed)."""

    def strings(self, ref: Ref) -> tuple[str | None, dict[str, str]]:
        """The default value and ``{locale: value}`` (locales as aapt2 prints them: ``pt-BR``)."""

    def files(self, ref: Ref) -> list[tuple[str, str]]:
        """``(configuration qualifier, file path in the archive)`` for a file resource."""

    def name(self, ref: Ref) -> str | None:
        """``@type/name`` for the reference, if the table knows it."""


class ManifestFacts(NamedTuple):
    """What the manifest says: ``fields`` holds :class:`~inspector.records.android.AndroidApp`'s
    keyword arguments under its own names (so the record's constructor checks every name, and
    the 27 fields are declared once, there), ``warnings`` what could not be read."""

    fields: dict[str, Any]
    warnings: tuple[str, ...]


class _Reader:
    def __init__(self, resources: Resources | None) -> None:
        self.resources = resources
        self.warnings: list[str] = []

    def resolve(self, value: Value | None, what: str) -> Value | None:
        if not isinstance(value, Ref):
            return value
        if self.resources is None:
            self.warnings.append(f"{what} refers to {value}, but there is no resource table")
            return None
        resolved = self.resources.value(value)
        if resolved is None:
            self.warnings.append(f"{what} refers to {value}, which the resource table lacks")
        return resolved

    def text(self, value: Value | None, what: str) -> str | None:
        value = self.resolve(value, what)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def integer(self, value: Value | None, what: str) -> int | None:
        value = self.resolve(value, what)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = str(value).strip()
        try:
            return parse_int(text, 0)
        except ValueError:
            self.warnings.append(f"{what} is {text!r}, not a number")
            return None

    def sdk(self, value: Value | None, what: str) -> int | None:
        value = self.resolve(value, what)
        if isinstance(value, str) and value.strip() and not value.strip().isdigit():
            # A preview SDK is a codename ("VanillaIceCream"), not a level.
            self.warnings.append(f"{what} is the preview codename {value!r}")
            return None
        return self.integer(value, what)

    def flag(self, value: Value | None, what: str) -> bool:
        value = self.resolve(value, what)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return False


def _label(reader: _Reader, value: Value | None) -> Label:
    if value is None:
        return Label(default=None)
    if not isinstance(value, Ref):
        return Label(default=reader.text(value, "application label"))
    if reader.resources is None:
        reader.warnings.append(f"application label refers to {value}, but there is no resource table")
        return Label(default=None, resource=str(value))
    default, localized = reader.resources.strings(value)
    name = reader.resources.name(value) or str(value)
    if default is None and not localized:
        reader.warnings.append(f"application label refers to {name}, which the resource table lacks")
    return Label(default=default, localized=dict(sorted(localized.items())), resource=name)


def _icon(reader: _Reader, value: Value | None, round_value: Value | None) -> Icon:
    round_name = None
    if isinstance(round_value, Ref):
        round_name = (reader.resources.name(round_value) if reader.resources else None) or str(
            round_value
        )
    if not isinstance(value, Ref):
        return Icon(resource=None if value is None else str(value), round_resource=round_name)
    if reader.resources is None:
        return Icon(resource=str(value), round_resource=round_name)
    files = reader.resources.files(value)
    name = reader.resources.name(value) or str(value)
    if not files:
        reader.warnings.append(f"icon refers to {name}, which the resource table lacks")
    return Icon(
        resource=name,
        files=tuple(
            IconFile(density=q or "default", path=p, adaptive=p.lower().endswith(".xml"))
            for q, p in files
        ),
        round_resource=round_name,
    )


def qualified(package: str | None, name: str | None) -> str | None:
    """A component class name as aapt2 prints it: ``.Main`` and ``Main`` get the package."""
    if not name or not package:
        return name
    if name.startswith("."):
        return package + name
    return name if "." in name else f"{package}.{name}"


def _names(r: _Reader, parent: Element, tag: str) -> tuple[str, ...]:
    out = (r.text(el.attrs.get("android:name"), f"<{tag}> name") for el in parent.find_all(tag))
    return tuple(n for n in out if n)


def _intent(r: _Reader, el: Element) -> IntentFilter:
    data = []
    for d in el.find_all("data"):
        values = {key: r.text(d.attrs.get(f"android:{attr}"), f"<data> {attr}") for key, attr in (
            ("scheme", "scheme"), ("host", "host"), ("port", "port"), ("path", "path"),
            ("path_prefix", "pathPrefix"), ("path_pattern", "pathPattern"),
            ("mime_type", "mimeType"))}
        data.append(IntentData(**values))
    auto_verify = el.attrs.get("android:autoVerify")
    return IntentFilter(
        actions=_names(r, el, "action"),
        categories=_names(r, el, "category"),
        data=tuple(data),
        auto_verify=auto_verify is not None and r.flag(auto_verify, "autoVerify"),
    )


def _optional_flag(r: _Reader, value: Value | None, what: str) -> bool | None:
    return None if value is None else r.flag(value, what)


def _components(r: _Reader, app: Element | None, package: str | None) -> list[Component]:
    out: list[Component] = []
    for el in app.children if app is not None else ():
        if el.tag not in _COMPONENT_TAGS:
            continue
        a = el.attrs
        kind = el.tag
        authorities = r.text(a.get("android:authorities"), "<provider> authorities") or ""
        out.append(Component(
            kind=kind,  # type: ignore[arg-type]
            name=qualified(package, r.text(a.get("android:name"), f"<{kind}> name")),
            exported=_optional_flag(r, a.get("android:exported"), f"<{kind}> exported"),
            permission=r.text(a.get("android:permission"), f"<{kind}> permission"),
            intent_filters=tuple(_intent(r, f) for f in el.find_all("intent-filter")),
            target_activity=qualified(package, r.text(a.get("android:targetActivity"),
                                                      "<activity-alias> targetActivity")),
            authorities=tuple(x for x in authorities.split(";") if x),
            enabled=a.get("android:enabled") is None or r.flag(a.get("android:enabled"), "enabled"),
        ))
    return out


def _launcher(components: list[Component], category: str) -> str | None:
    """The first activity (or alias) whose filter has MAIN and ``category``, as aapt2 picks it."""
    for c in components:
        if c.kind in ("activity", "activity-alias") and any(
                _MAIN in f.actions and category in f.categories for f in c.intent_filters):
            return c.name
    return None


def _deep_links(components: list[Component], warnings: list[str]) -> list[DeepLink]:
    # A dict keeps the first of equal links in order; a filter multiplies its parts, so a few KB of
    # <data> elements can name millions of links: the count is checked before each one is built.
    links: dict[DeepLink, None] = {}
    for c in components:
        if c.kind not in ("activity", "activity-alias"):
            continue
        for f in c.intent_filters:
            if _VIEW not in f.actions or _BROWSABLE not in f.categories:
                continue
            # Android matches a filter's schemes, authorities and paths in every combination.
            schemes = list(dict.fromkeys(d.scheme for d in f.data if d.scheme))
            hosts: list[tuple[str | None, str | None]] = list(
                dict.fromkeys((d.host, d.port) for d in f.data if d.host)) or [(None, None)]
            paths: list[str | None] = list(dict.fromkeys(
                p for d in f.data for p in (d.path, d.path_prefix and d.path_prefix + "*",
                                            d.path_pattern) if p)) or [None]
            for scheme in schemes:
                for host, port in hosts:
                    for path in paths:
                        if len(links) >= MAX_DEEP_LINKS:
                            warnings.append(f"more than {MAX_DEEP_LINKS} deep links (intent filters "
                                            "multiply schemes, hosts and paths): the first "
                                            f"{MAX_DEEP_LINKS} are listed")
                            return list(links)
                        links[DeepLink(c.name, scheme, host, port, path, f.auto_verify)] = None
    return list(links)


def _file_or_name(r: _Reader, value: Value | None) -> str | None:
    """A file resource's default path (``res/xml/x.xml``), else its name or literal value."""
    if not isinstance(value, Ref):
        return None if value is None else str(value)
    if r.resources is None:
        return str(value)
    files = r.resources.files(value)
    default = [p for q, p in files if not q or q == "default"] or [p for _, p in files]
    return default[0] if default else (r.resources.name(value) or str(value))


def _install_location(r: _Reader, value: Value | None) -> str | None:
    value = r.resolve(value, "installLocation")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _INSTALL_LOCATIONS.get(value, str(value))
    return str(value)


def _queries(r: _Reader, root: Element) -> Queries:
    packages: list[str] = []
    intents: list[IntentFilter] = []
    providers: list[str] = []
    for q in root.find_all("queries"):
        packages += _names(r, q, "package")
        intents += [_intent(r, i) for i in q.find_all("intent")]
        for p in q.find_all("provider"):
            text = r.text(p.attrs.get("android:authorities"), "<queries> provider authorities")
            providers += [x for x in (text or "").split(";") if x]
    return Queries(tuple(packages), tuple(intents), tuple(providers))


def _supports_screens(r: _Reader, root: Element) -> dict[str, bool | int]:
    el = root.find("supports-screens")
    out: dict[str, bool | int] = {}
    if el is None:
        return out
    for name in _SCREEN_ATTRS:
        value = el.attrs.get(f"android:{name}")
        if value is not None:
            out[name] = r.flag(value, name)
    width = r.integer(el.attrs.get("android:requiresSmallestWidthDp"), "requiresSmallestWidthDp")
    if width is not None:
        out["requiresSmallestWidthDp"] = width
    return out


def manifest_facts(root: Element, resources: Resources | None) -> ManifestFacts:
    """Read the facts of an ``<manifest>`` element; problems become warnings, not errors."""
    r = _Reader(resources)
    if root.tag != "manifest":
        r.warnings.append(f"root element is <{root.tag}>, not <manifest>")
    a = root.attrs
    uses_sdk = root.find("uses-sdk")
    sdk = uses_sdk.attrs if uses_sdk is not None else {}
    app = root.find("application")
    app_attrs = app.attrs if app is not None else {}

    version_code = r.integer(a.get("android:versionCode"), "versionCode")
    major = r.integer(a.get("android:versionCodeMajor"), "versionCodeMajor")
    if major and version_code is not None:
        version_code = (major << 32) | (version_code & 0xFFFFFFFF)

    permissions: dict[str, None] = {}  # in order, once each (a list's `in` made this quadratic)
    for tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"):
        for el in root.find_all(tag):
            name = r.text(el.attrs.get("android:name"), f"<{tag}> name")
            if name:
                permissions[name] = None

    features: list[Feature] = []
    for el in root.find_all("uses-feature"):
        name = r.text(el.attrs.get("android:name"), "<uses-feature> name")
        if not name:
            continue  # glEsVersion-only entries carry no feature name
        required = el.attrs.get("android:required")
        features.append(Feature(name, True if required is None else r.flag(required, name)))

    package = r.text(a.get("package"), "package")
    components = _components(r, app, package)
    libraries = [
        UsesLibrary(name, el.attrs.get("android:required") is None
                    or r.flag(el.attrs.get("android:required"), name))
        for el in (app.find_all("uses-library") if app is not None else ())
        if (name := r.text(el.attrs.get("android:name"), "<uses-library> name"))
    ]
    fields = dict(
        package_name=package,
        version_code=version_code,
        version_name=r.text(a.get("android:versionName"), "versionName"),
        min_sdk=r.sdk(sdk.get("android:minSdkVersion"), "minSdkVersion"),
        target_sdk=r.sdk(sdk.get("android:targetSdkVersion"), "targetSdkVersion"),
        max_sdk=r.sdk(sdk.get("android:maxSdkVersion"), "maxSdkVersion"),
        compile_sdk=r.integer(a.get("android:compileSdkVersion"), "compileSdkVersion"),
        compile_sdk_codename=r.text(
            a.get("android:compileSdkVersionCodename"), "compileSdkVersionCodename"
        ),
        platform_build_version_code=r.integer(
            a.get("platformBuildVersionCode"), "platformBuildVersionCode"
        ),
        platform_build_version_name=r.text(
            a.get("platformBuildVersionName"), "platformBuildVersionName"
        ),
        label=_label(r, app_attrs.get("android:label")),
        icon=_icon(r, app_attrs.get("android:icon"), app_attrs.get("android:roundIcon")),
        debuggable=r.flag(app_attrs.get("android:debuggable"), "debuggable"),
        test_only=r.flag(app_attrs.get("android:testOnly"), "testOnly"),
        split=r.text(a.get("split"), "split"),
        permissions=tuple(permissions),
        features=tuple(features),
        components=tuple(components),
        launcher_activity=_launcher(components, "android.intent.category.LAUNCHER"),
        leanback_launcher_activity=_launcher(components,
                                             "android.intent.category.LEANBACK_LAUNCHER"),
        deep_links=tuple(_deep_links(components, r.warnings)),
        uses_cleartext_traffic=_optional_flag(r, app_attrs.get("android:usesCleartextTraffic"),
                                              "usesCleartextTraffic"),
        network_security_config=_file_or_name(r, app_attrs.get("android:networkSecurityConfig")),
        allow_backup=_optional_flag(r, app_attrs.get("android:allowBackup"), "allowBackup"),
        install_location=_install_location(r, a.get("android:installLocation")),
        uses_libraries=tuple(libraries),
        uses_permissions=_uses_permissions(r, root),
        gl_es_version=_gl_es_version(r, root),
        queries=_queries(r, root),
        supports_screens=_supports_screens(r, root),
        extract_native_libs=_optional_flag(r, app_attrs.get("android:extractNativeLibs"),
                                           "extractNativeLibs"),
    )
    return ManifestFacts(fields, tuple(r.warnings))


def _uses_permissions(r: _Reader, root: Element) -> tuple[UsesPermission, ...]:
    """Each permission once, in the order of ``permissions`` (a ``<uses-permission>`` wins over
    an ``-sdk-23`` one of the same name), with its ``maxSdkVersion`` and element."""
    out: dict[str, UsesPermission] = {}
    for el in (el for tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
               for el in root.find_all(tag)):
        name = r.text(el.attrs.get("android:name"), f"<{el.tag}> name")
        if name and name not in out:
            max_sdk = el.attrs.get("android:maxSdkVersion")
            out[name] = UsesPermission(
                name, None if max_sdk is None else r.integer(max_sdk, f"{name} maxSdkVersion"),
                el.tag != "uses-permission")
    return tuple(out.values())


def _gl_es_version(r: _Reader, root: Element) -> str | None:
    """The highest required ``glEsVersion`` (major in the high 16 bits, as PackageParser reads
    it): ``0x00030001`` is ``3.1``. An optional one (``required="false"``) is no requirement."""
    best = 0
    for el in root.find_all("uses-feature"):
        value = el.attrs.get("android:glEsVersion")
        required = el.attrs.get("android:required")
        if value is None or (required is not None and not r.flag(required, "glEsVersion required")):
            continue
        number = r.integer(value, "glEsVersion")
        best = max(best, number or 0)
    return f"{best >> 16}.{best & 0xFFFF}" if best else None


def measure_icon(archive: ZipArchive, icon: Icon, warnings: list[str], prefix: str = "") -> Icon:
    """``icon`` with each raster file's format and pixel size, read from the file's header.

    An XML drawable is left as it is; a file that is missing, unreadable or no PNG, WebP or JPEG
    image is left without a format (so ``--extract-icon`` passes it over) and gets a warning. The
    APK and the AAB share this; an AAB's resource paths are relative to the module, so its
    caller passes ``base/``. At most :data:`MAX_ICONS_MEASURED` files are read.
    """
    measured: dict[str, IconFile] = {}
    files = []
    for n, f in enumerate(icon.files):
        if f.adaptive or n >= MAX_ICONS_MEASURED:
            files.append(f)
            continue
        if f.path not in measured:
            measured[f.path] = _measure(archive, prefix + f.path, f, warnings)
        files.append(replace(measured[f.path], density=f.density))
    if len(icon.files) > MAX_ICONS_MEASURED:
        warnings.append(f"the icon has {len(icon.files)} files: only the first "
                        f"{MAX_ICONS_MEASURED} were measured")
    return replace(icon, files=tuple(files))


def _measure(archive: ZipArchive, member: str, f: IconFile, warnings: list[str]) -> IconFile:
    if member not in archive:
        warnings.append(f"icon file {member} ({f.density}), named by the resource table, is missing")
        return f
    try:
        size = archive.info(member).file_size
        if size > MAX_ICON_BYTES:
            raise ArtifactError(f"{size} bytes, too large for an icon (at most {MAX_ICON_BYTES})")
        header = read_header(archive.read_head(member, HEADER_BYTES))
    except ArtifactError as exc:
        warnings.append(f"icon file {member} ({f.density}): {exc.problem}")
        return f
    if header is None:
        warnings.append(f"icon file {member} ({f.density}) is no PNG, WebP or JPEG image")
        return f
    return replace(f, format=header.format, width=header.width, height=header.height)


def best_icon(path: str | os.PathLike[str], icon: Icon, prefix: str = "") -> tuple[str, bytes] | None:
    """The file of :attr:`Icon.best` (member ``prefix`` + its path) as stored: PNG, WebP or JPEG.

    The APK and the AAB share this, as :func:`measure_icon`.
    """
    best = icon.best
    if best is None:
        return None
    member = prefix + best.path
    with ZipArchive(path) as archive:
        if member not in archive:
            raise ArtifactError("icon file named by the resource table is missing", member=member)
        data = archive.read(member, limit=MAX_ICON_BYTES)
    if image_format(data) != best.format:
        raise ArtifactError(f"icon file is not the {best.format} image it was when inspected",
                            member=member)
    return member, data
