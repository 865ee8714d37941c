"""AAB: an Android App Bundle read as the same record as an APK.

Reads the central directory, each module's proto manifest (``<module>/manifest/AndroidManifest.xml``),
``base/resources.pb``, ``BundleConfig.pb`` and the ``META-INF/*`` JAR signature; nothing else of the
file. The protocol buffers are decoded by :mod:`inspector.containers.aapt2_pb`; what the manifest
*means* is decided by :mod:`inspector.formats._manifest`, shared with the APK parser.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from inspector.containers import aapt2_pb as pb
from inspector.containers.zip import ZipArchive
from inspector.densities import density_qualifier
from inspector.errors import ArtifactError
from inspector.format import Format
from inspector.formats import Source
from inspector.formats._jar import v1_signers
from inspector.formats._layout import BUNDLE_LIBS, native_libraries
from inspector.formats._manifest import (
    ANDROID_ATTRS,
    ANDROID_NS,
    DIST_NS,
    Element,
    Ref,
    Value,
    best_icon,
    manifest_facts,
    measure_icon,
)
from inspector.records.android import AndroidApp, Module, Signing
from inspector.records.verification import not_checked

__all__ = ["BASE", "delivery", "icon_image", "parse", "to_element", "verify"]

BASE = "base"
BUNDLE_CONFIG = "BundleConfig.pb"
MANIFEST = "manifest/AndroidManifest.xml"
RESOURCES = "resources.pb"
_MODULE_MANIFEST = re.compile(r"^([^/]+)/manifest/AndroidManifest\.xml$")
_LIB = re.compile(r"^([^/]+)/lib/([^/]+)/[^/]+$")
#: Follow at most this many references from one value to the next (a cycle is a broken table).
_MAX_HOPS = 8

# Configuration.density -> the qualifier aapt2 prints (ResTable_config density constants)


# -- proto XML -> Element --------------------------------------------------------------------------
def _prefix(uri: str, declared: dict[str, str]) -> str:
    if uri == ANDROID_NS:
        return "android:"
    if uri == DIST_NS:
        return "dist:"
    if uri and declared.get(uri):
        return declared[uri] + ":"
    return ""


def _value(attr: pb.XmlAttribute) -> Value:
    item = attr.item
    if isinstance(item, pb.Reference):
        if item.id or item.name:
            sigil = "?" if item.attribute else "@"
            return Ref(item.id, f"{sigil}{item.name}" if item.name else None)
    elif isinstance(item, pb.Primitive) and isinstance(item.value, bool | int | float) and (
        item.kind in ("boolean", "int_decimal", "int_hexadecimal", "float")
    ):
        return item.value
    elif isinstance(item, str):
        return item
    # Colours, dimensions, files, or nothing compiled: what the developer wrote.
    return attr.value


def to_element(node: pb.XmlElement, declared: dict[str, str] | None = None) -> Element:
    """The shared :class:`Element` tree of a proto XML element: tags and attribute keys are
    ``android:x``, ``dist:x`` or the bare name; values are the compiled ones when aapt2 kept one."""
    declared = dict(declared or {})
    for prefix, uri in node.namespaces:
        declared.setdefault(uri, prefix)
    element = Element(_prefix(node.namespace_uri, declared) + node.name)
    for attr in node.attributes:
        if attr.resource_id in ANDROID_ATTRS:
            # The platform matches manifest attributes by id; names can be stripped or forged.
            key = ANDROID_ATTRS[attr.resource_id]
        elif attr.name:
            key = _prefix(attr.namespace_uri, declared) + attr.name
        else:
            continue  # no name and no id we know: nothing can look it up
        element.attrs.setdefault(key, _value(attr))
    element.children.extend(to_element(child, declared) for child in node.children)
    return element


def _read_manifest(archive: ZipArchive, module: str) -> Element:
    member = f"{module}/{MANIFEST}"
    try:
        return to_element(pb.parse_xml(archive.read(member)))
    except ArtifactError as exc:
        raise exc.in_member(member) from exc.__cause__


# -- resources.pb behind the Resources protocol --------------------------------------------------
def _qualifier(config: pb.Config) -> str:
    density = density_qualifier(config.density) if config.density else ""
    sdk = f"v{config.sdk_version}" if config.sdk_version else ""
    return "-".join(part for part in (density, sdk) if part)


class _Resources:
    """:class:`inspector.formats._manifest.Resources` over a module's ``resources.pb``.

    Every lookup may decode part of the table for the first time, so a malformed table surfaces
    here: the error is given the member's name.
    """

    def __init__(self, data: bytes, member: str) -> None:
        self.member = member
        try:
            self._table = pb.ResourceTable(data)
        except ArtifactError as exc:
            raise exc.in_member(member) from exc.__cause__

    def _entry(self, ref: Ref | pb.Reference) -> pb.Entry | None:
        try:
            if ref.id:
                # The id is what the platform resolves; a miss (a framework @android: resource,
                # or a dangling id) must not fall back to a same-named resource of the app.
                return self._table.entry(ref.id)
            if not ref.name:
                return None
            kind, _, name = ref.name.lstrip("@?*").rpartition("/")
            package, _, kind = kind.rpartition(":")
            if package and package not in self._table.packages.values():
                return None
            return self._table.find(kind, name)
        except ArtifactError as exc:
            raise exc.in_member(self.member) from exc.__cause__

    def _follow(self, item: pb.Item, pick: Any,
                hops: int = 0) -> pb.Primitive | pb.FileRef | str | None:
        """``item``, or what the reference it is resolves to through ``pick(entry)``."""
        while isinstance(item, pb.Reference) and hops < _MAX_HOPS:
            entry = self._entry(item)
            item = pick(entry) if entry is not None else None
            hops += 1
        return None if isinstance(item, pb.Reference) else item

    @staticmethod
    def _default(entry: pb.Entry) -> pb.Item:
        """The value of the default configuration; failing that, the only unqualified-by-device
        one with the lowest SDK version (``values-v21``), which every newer device sees."""
        plain = [v for v in entry.values if not (v.config.locale or v.config.density
                                                 or v.config.other)]
        plain.sort(key=lambda v: v.config.sdk_version)
        return plain[0].item if plain else None

    def value(self, ref: Ref) -> Value | None:
        entry = self._entry(ref)
        if entry is None:
            return None
        item = self._follow(self._default(entry), self._default)
        if isinstance(item, pb.Primitive):
            return item.value if isinstance(item.value, bool | int | float) else None
        if isinstance(item, pb.FileRef):
            return item.path
        return item

    def strings(self, ref: Ref) -> tuple[str | None, dict[str, str]]:
        entry = self._entry(ref)
        if entry is None:
            return None, {}
        default = self._follow(self._default(entry), self._default)
        localized: dict[str, str] = {}
        for cv in entry.values:
            config = cv.config
            if config.locale and not (config.density or config.other):
                text = self._follow(cv.item, self._default)
                if isinstance(text, str):
                    localized.setdefault(config.locale, text)
        return (default if isinstance(default, str) else None), localized

    def files(self, ref: Ref) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        seen: set[int] = set()
        pending: list[Ref | pb.Reference] = [ref]
        # A mipmap may alias another resource (<item type="mipmap">@drawable/x</item>).
        while pending and len(seen) < _MAX_HOPS:
            entry = self._entry(pending.pop(0))
            if entry is None or entry.id in seen:
                continue
            seen.add(entry.id)
            for cv in entry.values:
                if cv.config.locale or cv.config.other:
                    continue
                if isinstance(cv.item, pb.FileRef):
                    out.append((_qualifier(cv.config), cv.item.path))
                elif isinstance(cv.item, pb.Reference):
                    pending.append(cv.item)
        return out

    def name(self, ref: Ref) -> str | None:
        entry = self._entry(ref)
        if entry is None:
            return ref.name
        return f"@{entry.type}/{entry.name}"


# -- modules ---------------------------------------------------------------------------------------
def delivery(module: str, manifest: Element) -> str | None:
    """How the module reaches devices, from its ``<dist:module>``; see docs/aab.md.

    ``base`` is always installed with the app. Otherwise the first child of
    ``<dist:delivery>`` decides: ``install-time`` (``conditional`` when it has
    ``<dist:conditions>``), ``on-demand`` or ``fast-follow``; failing that the legacy
    ``dist:onDemand`` attribute; failing that the manifest does not say (None).
    """
    if module == BASE:
        return "install-time"
    dist = manifest.find("dist:module")
    if dist is None:
        return None
    element = dist.find("dist:delivery")
    for child in element.children if element is not None else ():
        if child.tag == "dist:install-time":
            return "conditional" if child.find("dist:conditions") is not None else "install-time"
        if child.tag in ("dist:on-demand", "dist:fast-follow"):
            return child.tag.removeprefix("dist:")
    on_demand = dist.attrs.get("dist:onDemand")
    if on_demand is not None:
        if isinstance(on_demand, str):
            on_demand = on_demand.strip().lower() == "true"
        return "on-demand" if on_demand else "install-time"
    return None


def _title(manifest: Element, resources: _Resources | None) -> str | None:
    dist = manifest.find("dist:module")
    title = dist.attrs.get("dist:title") if dist is not None else None
    if isinstance(title, Ref):
        # Titles are strings of the base module (the feature's own table rarely has them).
        return resources.strings(title)[0] if resources is not None else None
    return None if title is None else str(title)


def _kind(module: str, manifest: Element) -> str:
    if module == BASE:
        return "base"
    dist = manifest.find("dist:module")
    kind = dist.attrs.get("dist:type") if dist is not None else None
    return "asset-pack" if kind == "asset-pack" else "feature"


def _flag(manifest: Element, attr: str) -> bool:
    dist = manifest.find("dist:module")
    value = dist.attrs.get(attr) if dist is not None else None
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) if isinstance(value, bool | int) else False


def _modules(archive: ZipArchive, base: Element,
             resources: _Resources | None) -> tuple[tuple[Module, ...], tuple[str, ...]]:
    names = archive.names
    modules = sorted({m.group(1) for n in names if (m := _MODULE_MANIFEST.match(n))},
                     key=lambda name: (name != BASE, name))
    abis: dict[str, set[str]] = {}
    for name in names:
        match = _LIB.match(name)
        if match:
            abis.setdefault(match.group(1), set()).add(match.group(2))
    out = []
    for module in modules:
        manifest = base if module == BASE else _read_manifest(archive, module)
        out.append(Module(name=module, delivery=delivery(module, manifest),
                          abis=tuple(sorted(abis.get(module, ()))),
                          title=_title(manifest, resources), kind=_kind(module, manifest),
                          instant=_flag(manifest, "dist:instant")))
    every_abi = sorted(set().union(*(abis.get(m, set()) for m in modules)))
    return tuple(out), tuple(every_abi)


def _bundletool_version(archive: ZipArchive) -> str | None:
    try:
        return pb.bundletool_version(archive.read(BUNDLE_CONFIG))
    except ArtifactError as exc:
        raise exc.in_member(BUNDLE_CONFIG) from exc.__cause__


# -- the record ------------------------------------------------------------------------------------
def parse(source: Source) -> AndroidApp:
    archive = source.archive
    assert archive is not None, "detect() opens the zip for zip formats"
    warnings: list[str] = []
    root = _read_manifest(archive, BASE)
    table_member = f"{BASE}/{RESOURCES}"
    resources = None
    if table_member in archive:
        resources = _Resources(archive.read(table_member), table_member)
    else:
        warnings.append(f"no {table_member}: resource references cannot be resolved")
    facts = manifest_facts(root, resources)
    warnings.extend(facts.warnings)
    modules, abis = _modules(archive, root, resources)
    signers = v1_signers(archive)
    signing = Signing(schemes=("v1",) if signers else (), signers=signers)
    if not signers:
        warnings.append("unsigned: no JAR signature (Google Play requires an upload-key signature)")
    # After the signatures: the icon headers must not spend the archive's read budget first.
    facts.fields["icon"] = measure_icon(archive, facts.fields["icon"], warnings, prefix=f"{BASE}/")
    libraries = native_libraries(archive, BUNDLE_LIBS, warnings)
    return AndroidApp(
        format=Format.AAB,
        file=source.file,
        **facts.fields,
        abis=abis,
        signing=signing,
        native_libraries=libraries,
        modules=modules,
        bundletool_version=_bundletool_version(archive),
        warnings=tuple(warnings),
    )


def verify(source: Source, record: AndroidApp) -> AndroidApp:
    """The record with its JAR signature verified (the only signature a bundle has; Play checks
    the upload key's): each v1 signer's ``verification`` and the bundle's. Unsigned: not checked."""
    if not record.signing.signed:
        unsigned = not_checked("not signed")
        return dataclasses.replace(record, verification=unsigned)
    # Imported here: the public-key library costs tens of ms of start-up, which --no-verify and
    # unsigned bundles need not pay.
    from inspector.verify.jar import verify_jar

    archive = source.archive
    assert archive is not None, "detect() opens the zip for zip formats"
    result = verify_jar(archive)
    signers = tuple(
        dataclasses.replace(s, verification=result.signers.get(s.name or "")) for s in record.signing.signers)
    signing = dataclasses.replace(record.signing, signers=signers)
    return dataclasses.replace(record, signing=signing, verification=result.verification)


def icon_image(path: Any, record: AndroidApp) -> tuple[str, bytes] | None:
    """The best raster file behind the launcher icon (PNG, WebP or JPEG), from the base module.

    resources.pb names files relative to the module (``res/mipmap-xxhdpi-v4/ic_launcher.webp``);
    the archive member is ``base/`` + that.
    """
    return best_icon(path, record.icon, prefix=f"{BASE}/")

