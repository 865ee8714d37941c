"""macOS installer packages (flat ``.pkg``, a xar archive) -> :class:`inspector.records.pkg.Pkg`.

Reads the Distribution (product archives) and each component's PackageInfo from the xar TOC, the
certificate chain of the installer signature, and the app's Info.plist by streaming one Payload
only as far as that plist.

Which bundle is "the app" (also in docs/pkg.md):

1. Among the ``<bundle>`` entries of every component's PackageInfo whose path ends in ``.app``,
   the shallowest (fewest path parts); on a tie, the first in component then document order.
   Its ``<path>/Contents/Info.plist`` is looked up in that component's Payload, and streaming
   stops as soon as it is found.
2. If no PackageInfo names an ``.app``, the first ``<Name>.app/Contents/Info.plist`` met while
   streaming the payloads (in component order) whose path holds no other ``.app`` (so an app's
   embedded helper apps are skipped); streaming stops there.
3. If no payload holds the plist, the identifier and versions of the bundle chosen in 1, or else
   of the shallowest ``.app`` in the Distribution's ``<bundle-version>``, with a warning.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import Element

from inspector import certs as x509
from inspector.certs import Certificate
from inspector.containers.cpio import CpioReader, payload_stream
from inspector.containers.plist import MAX_PLIST_BYTES, load_plist_dict
from inspector.containers.xar import XarArchive, XarMember, parse_xml
from inspector.errors import ArtifactError
from inspector.format import Format
from inspector.formats import Source
from inspector.limits import (
    MAX_ICON_BYTES,
    MAX_KEPT_STRING,
    MAX_PKG_COMPONENTS,
    MAX_PKG_SIGNATURE_BYTES,
    MAX_PKG_XML_BYTES,
    parse_int,
)
from inspector.records.pkg import App, Bundle, Component, Pkg, PkgSignature
from inspector.records.verification import Verification
from inspector.verify.xar import archived_checksum_matches, verify_xar

__all__ = ["icon_image", "icon_search", "parse", "verify"]

#: Distribution and PackageInfo are kilobytes; larger ones are refused.
_MAX_XML = MAX_PKG_XML_BYTES
#: A CMS installer signature with its chain is a few KB.
_MAX_SIGNATURE = MAX_PKG_SIGNATURE_BYTES
_INFO_PLIST = "/Contents/Info.plist"


@dataclass(frozen=True, slots=True)
class _Distribution:
    title: str | None
    product_id: str | None
    product_version: str | None
    host_architectures: tuple[str, ...]
    minimum_os: str | None
    bundles: tuple[Bundle, ...]


def parse(source: Source) -> Pkg:
    with XarArchive(source.path) as xar:
        try:
            return _parse(xar, source)
        except ArtifactError as exc:
            # A compressed member altered after packing usually no longer decodes: say so when
            # its archived checksum confirms it (the file stays unreadable, but the cause shows).
            name = (exc.member or "").split(":", 1)[0]
            if name in xar and archived_checksum_matches(xar, xar.info(name)) is False:
                exc.problem += ("; its archived-checksum does not match the TOC's either: the "
                                "member was altered after the package was made")
            raise


def verify(source: Source, record: Pkg) -> Pkg:
    """The record with its ``verification``: the TOC checksum, every member's archived and
    extracted checksums and each signature over the TOC checksum (inspector.verify.xar). What
    does not match is a failure of the record, not an error."""
    with XarArchive(source.path) as xar:
        result = verify_xar(xar)
    return dataclasses.replace(record, verification=Verification.of(result.failures),
                               checked=result.checked,
                               warnings=(*record.warnings, *result.warnings))


def _parse(xar: XarArchive, source: Source) -> Pkg:
    warnings: list[str] = []
    distribution = None
    kind: Literal["product", "component"]
    if "Distribution" in xar:
        kind = "product"
        distribution = _distribution(_xml_member(xar, "Distribution"))
        folders = [m.name for m in _top_level(xar) if m.is_dir and m.name.endswith(".pkg")]
        if len(folders) > MAX_PKG_COMPONENTS:
            # Each component parses its PackageInfo, and xar members may all share one.
            raise ArtifactError(f"{len(folders)} component packages, over the limit of "
                                f"{MAX_PKG_COMPONENTS}", member="TOC")
    elif "PackageInfo" in xar:
        kind = "component"
        folders = [""]
    else:
        raise ArtifactError("not an installer package: the xar archive has neither a "
                            "Distribution nor a PackageInfo", member="TOC")
    components = [_component(xar, folder, warnings) for folder in folders]
    app = _find_app(xar, components, folders, distribution, warnings)
    signature = _signature(xar, warnings)
    warnings[:0] = xar.warnings
    d = distribution
    return Pkg(
        format=Format.PKG,
        file=source.file,
        kind=kind,
        title=d.title if d else None,
        product_id=d.product_id if d else None,
        product_version=d.product_version if d else None,
        host_architectures=d.host_architectures if d else (),
        minimum_os=d.minimum_os if d else None,
        components=tuple(components),
        app=app,
        signature=signature,
        warnings=tuple(warnings),
    )


def _top_level(xar: XarArchive) -> Iterable[XarMember]:
    return (xar.info(name) for name in xar.names if "/" not in name)


def _xml_member(xar: XarArchive, name: str) -> Element:
    # Its checksum is verify()'s to compare: an altered PackageInfo is a failed verification of
    # a package that still reads, not an unreadable file.
    return parse_xml(xar.read(name, limit=_MAX_XML, verify=False), member=name)


# -- Distribution --------------------------------------------------------------------------------
def _version_key(text: str) -> tuple[tuple[int, str], ...]:
    # Numbers compared by (digit count, digits) without leading zeros: numeric order for any
    # length, where int() refuses strings of more than 4300 digits.
    parts = (p.lstrip("0") for p in re.findall(r"\d+", text))
    return tuple((len(p), p) for p in parts) or ((1 << 30, ""),)


def _attr(elem: Element | None, name: str) -> str | None:
    if elem is None:
        return None
    value = elem.get(name)
    return value.strip() if value and value.strip() else None


def _bundle(elem: Element) -> Bundle:
    return Bundle(path=_attr(elem, "path"), id=_attr(elem, "id"),
                  CFBundleShortVersionString=_attr(elem, "CFBundleShortVersionString"),
                  CFBundleVersion=_attr(elem, "CFBundleVersion"))


def _distribution(root: Element) -> _Distribution:
    title_elem = root.find("title")
    title = title_elem.text.strip() if title_elem is not None and title_elem.text else None
    product = root.find("product")
    archs: tuple[str, ...] = ()
    for options in root.iter("options"):
        value = options.get("hostArchitectures")
        if value:
            archs = tuple(a.strip() for a in value.split(",") if a.strip())
            break
    minimums = [v.get("min", "").strip() for allowed in root.iter("allowed-os-versions")
                for v in allowed.iter("os-version")]
    minimums = [m for m in minimums if m]
    bundles = tuple(_bundle(b) for bv in root.iter("bundle-version") for b in bv.iter("bundle"))
    return _Distribution(
        title=title or None,
        product_id=_attr(product, "id"),
        product_version=_attr(product, "version"),
        host_architectures=archs,
        minimum_os=min(minimums, key=_version_key) if minimums else None,
        bundles=bundles,
    )


# -- components ------------------------------------------------------------------------------
def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _int_attr(elem: Element | None, name: str, warnings: list[str], where: str) -> int | None:
    value = _attr(elem, name)
    if value is None:
        return None
    try:
        return parse_int(value)
    except ValueError:
        warnings.append(f"{where}: {name}={value[:40]!r} is not a number")
        return None


def _component(xar: XarArchive, folder: str, warnings: list[str]) -> Component:
    info_name = _join(folder, "PackageInfo")
    payload_name = _join(folder, "Payload")
    payload = None
    if payload_name in xar:
        with xar.open(payload_name) as raw:
            payload, _ = payload_stream(raw, member=payload_name)
    if info_name not in xar:
        warnings.append(f"{folder or 'the package'} has no PackageInfo")
        return Component(folder or None, None, None, None, None, None, (), payload)
    root = _xml_member(xar, info_name)
    if root.tag != "pkg-info":
        raise ArtifactError(f"root element is <{root.tag[:40]}>, not <pkg-info>",
                            member=info_name)
    payload_elem = root.find("payload")
    seen: set[str | None] = set()
    bundles = []
    for elem in root.iter("bundle"):
        if elem.get("path") is not None and elem.get("path") not in seen:
            seen.add(elem.get("path"))
            bundles.append(_bundle(elem))
    return Component(
        folder=folder or None,
        identifier=_attr(root, "identifier"),
        version=_attr(root, "version"),
        install_location=_attr(root, "install-location"),
        number_of_files=_int_attr(payload_elem, "numberOfFiles", warnings, info_name),
        install_kbytes=_int_attr(payload_elem, "installKBytes", warnings, info_name),
        bundles=tuple(bundles),
        payload=payload,
    )


# -- the app -----------------------------------------------------------------------------------
def _norm(path: str) -> str:
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    return path.rstrip("/")


def _depth(path: str) -> int:
    return len([p for p in _norm(path).split("/") if p not in ("", ".")])


def _is_app(path: str | None) -> bool:
    return bool(path) and _norm(path or "").lower().endswith(".app")


def _top_app_plist(name: str) -> bool:
    """``<dirs>/<Name>.app/Contents/Info.plist`` with no other ``.app`` above it."""
    if not name.endswith(_INFO_PLIST):
        return False
    parts = name[: -len(_INFO_PLIST)].split("/")
    return parts[-1].lower().endswith(".app") and not any(
        p.lower().endswith(".app") for p in parts[:-1])


def _scan_payload(xar: XarArchive, name: str, target: str | None) -> tuple[
        tuple[str, dict[str, Any]] | None, tuple[str, dict[str, Any]] | None]:
    """Stream one Payload: ``(target plist, first top-level app plist)``, stopping at the target
    (or, without a target, at the first top-level app plist)."""
    fallback = None
    with xar.open(name) as raw:
        _, stream = payload_stream(raw, member=name)
        reader = CpioReader(stream, member=name)
        for entry in reader:
            path = _norm(entry.name)
            if not path.endswith(_INFO_PLIST) or not entry.is_file:
                continue
            is_target = target is not None and path == target
            if not is_target and (fallback is not None or not _top_app_plist(path)):
                continue
            member = f"{name}:{entry.name}"
            plist = load_plist_dict(reader.read(MAX_PLIST_BYTES), member=member)
            if is_target:
                return (path, plist), fallback
            fallback = (path, plist)
            if target is None:
                return None, fallback
    return None, fallback


def _str(plist: dict[str, Any], key: str) -> str | None:
    value = plist.get(key)
    text = value if isinstance(value, str) else (None if value is None else str(value))
    return text[:MAX_KEPT_STRING] if text is not None else None


def _app_from_plist(path: str, plist: dict[str, Any], component: Component) -> App:
    return App(
        CFBundleIdentifier=_str(plist, "CFBundleIdentifier"),
        CFBundleShortVersionString=_str(plist, "CFBundleShortVersionString"),
        CFBundleVersion=_str(plist, "CFBundleVersion"),
        CFBundleDisplayName=_str(plist, "CFBundleDisplayName"),
        CFBundleName=_str(plist, "CFBundleName"),
        LSMinimumSystemVersion=_str(plist, "LSMinimumSystemVersion"),
        path="./" + path[: -len(_INFO_PLIST)],
        component=component.identifier,
        source="Info.plist",
    )


def _app_from_bundle(bundle: Bundle, component: str | None,
                     source: str) -> App:
    return App(
        CFBundleIdentifier=bundle.id,
        CFBundleShortVersionString=bundle.CFBundleShortVersionString,
        CFBundleVersion=bundle.CFBundleVersion,
        CFBundleDisplayName=None,
        CFBundleName=None,
        LSMinimumSystemVersion=None,
        path=bundle.path,
        component=component,
        source=source,  # type: ignore[arg-type]
    )


def _find_app(xar: XarArchive, components: list[Component], folders: list[str],
              distribution: _Distribution | None, warnings: list[str]) -> App | None:
    declared = [(_depth(b.path or ""), i, b) for i, c in enumerate(components)
                for b in c.bundles if _is_app(b.path)]
    if declared:
        _, index, bundle = min(declared, key=lambda t: (t[0], t[1]))
        component = components[index]
        payload = _join(folders[index], "Payload")
        target = _norm(bundle.path or "") + _INFO_PLIST
        if payload in xar:
            found, fallback = _scan_payload(xar, payload, target)
            if found:
                return _app_from_plist(*found, component)
            if fallback:
                warnings.append(f"{payload} has no {target} (named by PackageInfo); using "
                                f"{fallback[0]}")
                return _app_from_plist(*fallback, component)
        warnings.append(f"no Info.plist for {bundle.path} in {payload}: app facts are "
                        "PackageInfo's <bundle> attributes")
        return _app_from_bundle(bundle, component.identifier, "PackageInfo")
    for folder, component in zip(folders, components, strict=True):
        payload = _join(folder, "Payload")
        if payload in xar:
            _, fallback = _scan_payload(xar, payload, None)
            if fallback:
                return _app_from_plist(*fallback, component)
    apps = [b for b in (distribution.bundles if distribution else ()) if _is_app(b.path)]
    if apps:
        bundle = min(apps, key=lambda b: _depth(b.path or ""))
        warnings.append("no app Info.plist in any payload: app facts are the Distribution's "
                        "<bundle-version> attributes")
        return _app_from_bundle(bundle, None, "Distribution")
    return None


# -- signature ---------------------------------------------------------------------------------
def _signature(xar: XarArchive, warnings: list[str]) -> PkgSignature:
    styles: list[str] = []
    chain: tuple[Certificate, ...] = ()
    for sig in xar.signatures:
        styles.append(sig.style)
        where = f"<{sig.element} style={sig.style!r}>"
        try:
            if sig.certificates:
                certs = tuple(x509.certificate_from_der(der) for der in sig.certificates)
            elif sig.style.upper() == "CMS" and 0 < sig.size <= _MAX_SIGNATURE:
                certs = x509.certificates_from_pkcs7(xar.read_raw(sig.offset, sig.size))
            else:
                certs = ()
        except ArtifactError as exc:
            raise exc.in_member(f"TOC {where}") from exc.__cause__
        if not certs:
            warnings.append(f"{where} carries no certificate")
        elif not chain:
            chain = certs
        elif certs[0].sha256 != chain[0].sha256:
            warnings.append(f"{where} names a different leaf certificate "
                            f"({certs[0].subject}) than the first signature")
    return PkgSignature(styles=tuple(styles), chain=chain)


# -- icon --------------------------------------------------------------------------------------
def icon_image(path: Path, record: Pkg) -> tuple[str, bytes] | None:
    """The app's icon: the widest PNG in the ``.icns`` its Info.plist names (``CFBundleIconFile``,
    in ``Contents/Resources``), streamed out of the payload again. None when there is no app
    Info.plist, it names no icon file (an asset-catalog icon only), or the file holds no PNG."""
    found = icon_search(path, record)
    return found if isinstance(found, tuple) else None


def icon_search(path: Path, record: Pkg) -> tuple[str, bytes] | str:
    """:func:`icon_image`'s icon, or, when there is none, why (one phrase): no app, no
    ``CFBundleIconFile``, the named file missing from the payload, or no PNG inside it."""
    app = record.app
    if app is None:
        return "the package installs no app bundle"
    if app.source != "Info.plist" or not app.path:
        return f"no payload holds the app's Info.plist (its facts come from {app.source})"
    folder = next((c.folder for c in record.components if c.identifier == app.component), None)
    payload = _join(folder or "", "Payload")
    root = _norm(app.path)
    resources = root + "/Contents/Resources/"
    wanted: str | None = None
    early: dict[str, bytes] = {}  # .icns met before the Info.plist that names one (a few, bounded)
    with XarArchive(path) as xar:
        if payload not in xar:
            return f"the app's payload {payload} is missing"
        with xar.open(payload) as raw:
            _, stream = payload_stream(raw, member=payload)
            reader = CpioReader(stream, member=payload)
            for entry in reader:
                name = _norm(entry.name)
                if not entry.is_file:
                    continue
                if name == root + _INFO_PLIST:
                    plist = load_plist_dict(reader.read(MAX_PLIST_BYTES), member=f"{payload}:{entry.name}")
                    icon = plist.get("CFBundleIconFile")
                    if not isinstance(icon, str) or not icon.strip() or "/" in icon:
                        return ("the app's Info.plist names no icon file (CFBundleIconFile); "
                                "an icon kept only in Assets.car is not read")
                    wanted = resources + (icon if icon.lower().endswith(".icns") else icon + ".icns")
                    if wanted in early:
                        return _icns_png(payload, wanted, early[wanted])
                elif name.startswith(resources) and name.lower().endswith(".icns"):
                    if wanted is not None and name == wanted:
                        return _icns_png(payload, name, reader.read(MAX_ICON_BYTES))
                    if wanted is None and len(early) < 2:
                        early[name] = reader.read(MAX_ICON_BYTES)
    if wanted is None:
        return f"the app's Info.plist ({root}) is not in {payload}"
    return f"the icon file the app names, {wanted.removeprefix('./')}, is not in {payload}"


def _icns_png(payload: str, name: str, data: bytes) -> tuple[str, bytes] | str:
    from inspector.containers.icns import best_png  # only icon extraction pays for it

    member = f"{payload}:./{name}"
    try:
        png = best_png(data)
    except ArtifactError as exc:
        raise exc.in_member(member) from exc.__cause__
    return (member, png) if png is not None else f"{name.removeprefix('./')} holds no PNG image"
