"""APK: the binary manifest and resource table (our own readers), ABIs and signatures.

Reads the central directory, ``AndroidManifest.xml``, ``resources.arsc``, ``META-INF/*`` signature
blocks and the APK Signing Block; nothing else of the file.
"""

from __future__ import annotations

import re
import struct
from dataclasses import replace
from typing import Any

from inspector import certs as x509
from inspector.containers import axml
from inspector.containers.apk_signing import MEMBER as BLOCK_MEMBER
from inspector.containers.apk_signing import (
    algorithm_name,
    parse_signing_block,
    read_signing_block,
)
from inspector.containers.arsc import Config, ResourceTable
from inspector.containers.axml import XmlAttribute, XmlElement
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.format import Format
from inspector.formats import Source
from inspector.formats._jar import v1_signers
from inspector.formats._layout import APK_LIBS, entry_layouts, native_libraries
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
from inspector.records.android import AndroidApp, LineageNode, Signer, Signing
from inspector.records.verification import not_checked

__all__ = ["MANIFEST_LIMIT", "RESOURCES_LIMIT", "abis", "icon_image", "parse", "read_binary_xml", "verify"]

MANIFEST = "AndroidManifest.xml"
RESOURCES = "resources.arsc"
#: Manifests are kilobytes; the largest real ones are a few hundred KB.
MANIFEST_LIMIT = 4 << 20
#: Resource tables of the largest apps (many locales) reach 10-20 MB; they are read lazily.
RESOURCES_LIMIT = 32 << 20
_LIB = re.compile(r"^lib/([^/]+)/[^/]+$")


def _c_string(value: str) -> str:
    # Strings padded with NULs exist in the wild; the platform's C++ reader stops at the first.
    return value.split("\0", 1)[0]


def _typed(attr: XmlAttribute) -> Value | None:
    vtype, data = attr.type, attr.data
    if vtype == axml.T_STRING:
        text = attr.raw if attr.raw is not None else attr.string
        return _c_string(text or "")
    if vtype in (axml.T_REFERENCE, axml.T_DYNAMIC_REFERENCE):
        return Ref(data) if data else None
    if attr.raw is not None:
        # What the developer wrote ("7.0"), kept beside the compiled value; aapt2 shows this too.
        return _c_string(attr.raw)
    if vtype in (axml.T_INT_DEC, axml.T_INT_HEX):
        return data - (1 << 32) if data & 0x80000000 else data
    if vtype == axml.T_INT_BOOLEAN:
        return data != 0
    if vtype == axml.T_FLOAT:
        return float(struct.unpack("<f", struct.pack("<I", data))[0])
    if vtype == axml.T_NULL:
        return None
    return axml.format_value(vtype, data)


def _attr_key(attr: XmlAttribute) -> str:
    if attr.resource_id in ANDROID_ATTRS:
        # The platform matches manifest attributes by id; names can be stripped or forged.
        return ANDROID_ATTRS[attr.resource_id]
    name = attr.name or ""
    if ":" in name:
        return name
    if attr.namespace == ANDROID_NS:
        return f"android:{name}"
    if attr.namespace == DIST_NS:
        return f"dist:{name}"
    return name


def _element(node: XmlElement) -> Element:
    element = Element(node.name or "")
    for attr in node.attributes:
        value = _typed(attr)
        if value is not None:
            element.attrs.setdefault(_attr_key(attr), value)
    element.children = [_element(child) for child in node.children]
    return element


def read_binary_xml(data: bytes, *, member: str = MANIFEST) -> Element:
    """Decode Android binary XML into an :class:`Element` tree; ArtifactError if it is not one."""
    return _element(axml.read_xml(data, member=member))


class _ArscResources:
    """:class:`inspector.formats._manifest.Resources` over our lazy resource table reader."""

    def __init__(self, data: bytes) -> None:
        self._table = ResourceTable(data, member=RESOURCES)

    def _all(self, ref: Ref) -> list[tuple[Config, str | None]]:
        return self._table.resolve(ref.id)

    def value(self, ref: Ref) -> Value | None:
        found = self._all(ref)
        for config, value in found:
            if config.is_default and isinstance(value, str):
                return value
        return next((v for _, v in found if isinstance(v, str)), None)

    def strings(self, ref: Ref) -> tuple[str | None, dict[str, str]]:
        default: str | None = None
        localized: dict[str, str] = {}
        for config, value in self._all(ref):
            if not isinstance(value, str):
                continue
            locale = config.locale
            if locale is None:
                if default is None or config.is_default:
                    default = value
            else:
                localized.setdefault(locale, value)
        return default, localized

    def files(self, ref: Ref) -> list[tuple[str, str]]:
        return [(config.qualifier(), value) for config, value in self._all(ref)
                if isinstance(value, str) and value.startswith("res/")]

    def name(self, ref: Ref) -> str | None:
        return self._table.name(ref.id)


def abis(names: list[str], prefix: str = "") -> tuple[str, ...]:
    """Native ABIs: ``<prefix>lib/<abi>/<file>`` members, sorted."""
    found = set()
    folder = prefix + "lib/"
    for name in names:
        if name.startswith(folder):
            match = _LIB.match(name[len(prefix):])
            if match:
                found.add(match.group(1))
    return tuple(sorted(found))


def _signing(archive: ZipArchive, warnings: list[str]) -> Signing:
    signers: list[Signer] = list(v1_signers(archive))
    schemes = ["v1"] if signers else []
    raw = read_signing_block(archive.read_raw, archive.central_directory_offset)
    if raw is not None:
        block = parse_signing_block(raw)
        schemes.extend(block.schemes)
        if block.source_stamp:
            warnings.append("has a source stamp (signed by the store that built it)")
        for s in block.signers:
            try:
                certs = tuple(x509.certificate_from_der(d) for d in s.certificates)
                lineage = tuple(
                    LineageNode(x509.certificate_from_der(n.certificate), n.flags,
                                algorithm_name(n.algorithm) if n.algorithm else None)
                    for n in s.lineage)
            except ArtifactError as exc:
                raise exc.in_member(f"{BLOCK_MEMBER} ({s.scheme})") from exc.__cause__
            signers.append(Signer(scheme=s.scheme, certificates=certs, min_sdk=s.min_sdk,
                                  max_sdk=s.max_sdk, lineage=lineage))
    return Signing(schemes=tuple(schemes), signers=tuple(signers))


def parse(source: Source) -> AndroidApp:
    archive = source.archive
    assert archive is not None, "detect() opens the zip for zip formats"
    warnings: list[str] = []
    root = read_binary_xml(archive.read(MANIFEST, limit=MANIFEST_LIMIT))
    resources = (_ArscResources(archive.read(RESOURCES, limit=RESOURCES_LIMIT))
                 if RESOURCES in archive else None)
    if resources is None:
        warnings.append("no resources.arsc: resource references cannot be resolved")
    facts = manifest_facts(root, resources)
    warnings.extend(facts.warnings)
    signing = _signing(archive, warnings)
    if not signing.signed:
        warnings.append("unsigned: Android will not install it")
    # After the signatures: the icon headers must not spend the archive's read budget first.
    facts.fields["icon"] = measure_icon(archive, facts.fields["icon"], warnings)
    resources_table, unaligned = entry_layouts(archive)
    return AndroidApp(
        format=Format.APK,
        file=source.file,
        **facts.fields,
        abis=abis(archive.names),
        signing=signing,
        resources_table=resources_table,
        unaligned_entries=unaligned,
        native_libraries=native_libraries(archive, APK_LIBS, warnings),
        warnings=tuple(warnings),
    )


def verify(source: Source, record: AndroidApp) -> AndroidApp:
    """Verify every signature (v1 through verify_jar where a device of the app's range checks
    it, v2, v3, v3.1) and whether each API level of the app's range has a verified one; fill
    each signer's ``verification`` and the record's (a v1 signer no device of the range checks
    is not checked, with the reason). With ``source.digest`` the file's SHA-256 comes from the
    same read."""
    from inspector.verify.apk import verify_apk

    archive = source.archive
    assert archive is not None, "detect() opens the zip for zip formats"
    has_v1 = any(s.scheme == "v1" for s in record.signing.signers)
    result = verify_apk(archive, min_sdk=_level(record.min_sdk), max_sdk=_level(record.max_sdk),
                        target_sdk=_level(record.target_sdk),
                        whole_sha256=source.digest, has_v1=has_v1,
                        v1_certificates=[s.certificates[0].sha256 for s in record.signing.signers
                                         if s.scheme == "v1" and s.certificates],
                        verify_v1=_v1(archive, _level(record.min_sdk)))
    block = iter(zip(result.block_signers, result.lineages, strict=True))
    signers = []
    for signer in record.signing.signers:
        if signer.scheme == "v1":
            v = result.v1_signers.get(signer.name or "")
            if v is None:
                v = not_checked(result.v1_unread or
                                "the JAR verification did not report this signer")
            signers.append(replace(signer, verification=v))
        else:
            verification, lineage = next(block)
            signers.append(replace(signer, verification=verification,
                                   lineage_verification=lineage))
    file = record.file
    if result.sha256 is not None:
        file = replace(file, sha256=result.sha256)
    return replace(record, file=file, verification=result.artifact,
                   signing=replace(record.signing, signers=tuple(signers)))


def _level(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _v1(archive: ZipArchive, min_sdk: int | None) -> Any:
    from inspector.verify.jar import verify_jar

    def run(schemes: frozenset[int]) -> tuple[Any, Any]:
        result = verify_jar(archive, apk_signature_schemes=schemes, min_sdk=min_sdk or 1)
        return result.signers, result.verification

    return run


def icon_image(path: Any, record: AndroidApp) -> tuple[str, bytes] | None:
    """The best raster file behind the launcher icon (PNG, WebP or JPEG), as stored in the APK."""
    return best_icon(path, record.icon)
