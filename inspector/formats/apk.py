"""APK: the binary manifest and resource table (via androguard's axml module), ABIs and signatures.

Reads the central directory, ``AndroidManifest.xml``, ``resources.arsc``, ``META-INF/*`` signature
blocks and the APK Signing Block; nothing else of the file.
"""

from __future__ import annotations

import re
import struct
from functools import cache
from typing import Any

from inspector.certs import certificate_from_der
from inspector.containers.apk_signing import MEMBER as BLOCK_MEMBER
from inspector.containers.apk_signing import parse_signing_block, read_signing_block
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.formats import Source
from inspector.formats._jar import v1_signers
from inspector.formats._manifest import (
    ANDROID_ATTRS,
    ANDROID_NS,
    DIST_NS,
    Element,
    Ref,
    Value,
    best_icon_png,
    manifest_facts,
)
from inspector.records.android import AndroidApp, Signer, Signing

__all__ = ["abis", "icon_png", "parse", "read_binary_xml"]

MANIFEST = "AndroidManifest.xml"
RESOURCES = "resources.arsc"
_MAX_EVENTS = 2_000_000
_LIB = re.compile(r"^lib/([^/]+)/[^/]+$")

# Value types of Res_value (frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h).
_T_NULL, _T_REFERENCE, _T_STRING, _T_FLOAT = 0x00, 0x01, 0x03, 0x04
_T_DYNAMIC_REFERENCE, _T_INT_DEC, _T_INT_HEX, _T_INT_BOOLEAN = 0x07, 0x10, 0x11, 0x12


@cache
def _axml() -> Any:
    """androguard's axml module, imported on first use with its logger silenced."""
    from loguru import logger

    logger.disable("androguard")
    from androguard.core import axml

    return axml


def _raw_string(parser: Any, index: int) -> str | None:
    axml = _axml()
    raw = parser.m_attributes[index * axml.ATTRIBUTE_LENGTH + axml.ATTRIBUTE_IX_VALUE_STRING]
    if raw == 0xFFFFFFFF:
        return None
    return _c_string(parser.sb[raw])


def _c_string(value: object) -> str:
    # Strings padded with NULs exist in the wild; the platform's C++ reader stops at the first.
    return str(value).split("\0", 1)[0]


def _typed(parser: Any, index: int) -> Value | None:
    vtype = parser.getAttributeValueType(index)
    data = parser.getAttributeValueData(index)
    if vtype == _T_STRING:
        return _c_string(parser.getAttributeValue(index))
    if vtype in (_T_REFERENCE, _T_DYNAMIC_REFERENCE):
        return Ref(data) if data else None
    raw = _raw_string(parser, index)
    if raw is not None:
        # What the developer wrote ("7.0"), kept beside the compiled value; aapt2 shows this too.
        return raw
    if vtype in (_T_INT_DEC, _T_INT_HEX):
        return data - (1 << 32) if data & 0x80000000 else data
    if vtype == _T_INT_BOOLEAN:
        return data != 0
    if vtype == _T_FLOAT:
        return float(struct.unpack("<f", struct.pack("<I", data & 0xFFFFFFFF))[0])
    if vtype == _T_NULL:
        return None
    return str(_axml().format_value(vtype, data))


def _attr_key(parser: Any, index: int) -> str:
    axml = _axml()
    offset = index * axml.ATTRIBUTE_LENGTH
    name_index = parser.m_attributes[offset + axml.ATTRIBUTE_IX_NAME]
    ids = parser.m_resourceIDs
    if name_index < len(ids) and ids[name_index] in ANDROID_ATTRS:
        # The platform matches manifest attributes by id; names can be stripped or forged.
        return ANDROID_ATTRS[ids[name_index]]
    name = str(parser.getAttributeName(index))
    uri = parser.getAttributeNamespace(index)
    if ":" in name:
        return name
    if uri == ANDROID_NS:
        return f"android:{name}"
    if uri == DIST_NS:
        return f"dist:{name}"
    return name


def read_binary_xml(data: bytes, *, member: str = MANIFEST) -> Element:
    """Decode Android binary XML into an :class:`Element` tree; ArtifactError if it is not one."""
    axml = _axml()
    try:
        parser = axml.AXMLParser(data)
        if not parser.is_valid():
            raise ArtifactError("not Android binary XML", member=member)
        root: Element | None = None
        stack: list[Element] = []
        for _ in range(_MAX_EVENTS):
            event = next(parser)
            if event == axml.START_TAG:
                element = Element(str(parser.name))
                for i in range(parser.getAttributeCount()):
                    value = _typed(parser, i)
                    if value is not None:
                        element.attrs.setdefault(_attr_key(parser, i), value)
                if stack:
                    stack[-1].children.append(element)
                elif root is None:
                    root = element
                stack.append(element)
            elif event == axml.END_TAG:
                if stack:
                    stack.pop()
            elif event == axml.END_DOCUMENT or not parser.is_valid():
                break
        else:
            raise ArtifactError(f"more than {_MAX_EVENTS} XML events", member=member)
    except ArtifactError:
        raise
    except (axml.ResParserError, ValueError, KeyError, IndexError, TypeError, struct.error,
            UnicodeDecodeError, AttributeError, EOFError, OverflowError) as exc:
        raise ArtifactError(f"corrupt binary XML ({type(exc).__name__}: {exc})", member=member) from exc
    if root is None:
        raise ArtifactError("binary XML holds no element", member=member)
    return root


def _locale(config: Any) -> str | None:
    lang_region = config.get_language_and_region()
    if not lang_region or lang_region == "\x00\x00":
        return None
    language, _, region = lang_region.partition("-r")
    script = bytes(getattr(config, "localeScript", b"") or b"").rstrip(b"\0").decode("ascii", "replace")
    return "-".join(part for part in (language, script, region) if part)


class _ArscResources:
    """:class:`inspector.formats._manifest.Resources` over androguard's ARSCParser."""

    def __init__(self, data: bytes) -> None:
        axml = _axml()
        self._default = axml.ARSCResTableConfig.default_config()
        try:
            self._arsc = axml.ARSCParser(data)
            self._arsc._analyse()
        except (axml.ResParserError, ValueError, KeyError, IndexError, TypeError, struct.error,
                UnicodeDecodeError, AttributeError, EOFError, OverflowError, AssertionError) as exc:
            raise ArtifactError(f"corrupt resource table ({type(exc).__name__}: {exc})",
                                member=RESOURCES) from exc

    def _all(self, ref: Ref) -> list[tuple[Any, Any]]:
        try:
            return list(self._arsc.get_resolved_res_configs(ref.id))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
            raise ArtifactError(f"cannot resolve {ref} ({type(exc).__name__}: {exc})",
                                member=RESOURCES) from exc

    def value(self, ref: Ref) -> Value | None:
        found = self._all(ref)
        for config, value in found:
            if config == self._default and isinstance(value, str):
                return value
        return next((v for _, v in found if isinstance(v, str)), None)

    def strings(self, ref: Ref) -> tuple[str | None, dict[str, str]]:
        default: str | None = None
        localized: dict[str, str] = {}
        for config, value in self._all(ref):
            if not isinstance(value, str):
                continue
            locale = _locale(config)
            if locale is None:
                if default is None or config == self._default:
                    default = value
            else:
                localized.setdefault(locale, value)
        return default, localized

    def files(self, ref: Ref) -> list[tuple[str, str]]:
        out = []
        for config, value in self._all(ref):
            if isinstance(value, str) and value.startswith("res/"):
                out.append((config.get_qualifier(), value))
        return out

    def name(self, ref: Ref) -> str | None:
        try:
            for package in self._arsc.get_packages_names():
                rtype, rname, rid = self._arsc.get_id(package, ref.id)
                if rid:
                    return f"@{rtype}/{rname}"
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return None
        return None


def abis(names: list[str], prefix: str = "") -> tuple[str, ...]:
    """Native ABIs: ``<prefix>lib/<abi>/<file>`` members, sorted."""
    found = set()
    for name in names:
        if name.startswith(prefix):
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
                certs = tuple(certificate_from_der(d) for d in s.certificates)
                lineage = tuple(certificate_from_der(d) for d in s.lineage)
            except ArtifactError as exc:
                raise exc.in_member(f"{BLOCK_MEMBER} ({s.scheme})") from exc.__cause__
            signers.append(Signer(scheme=s.scheme, certificates=certs, min_sdk=s.min_sdk,
                                  max_sdk=s.max_sdk, lineage=lineage))
    return Signing(schemes=tuple(schemes), signers=tuple(signers))


def parse(source: Source) -> AndroidApp:
    archive = source.archive
    assert archive is not None, "detect() opens the zip for zip formats"
    warnings: list[str] = []
    root = read_binary_xml(archive.read(MANIFEST))
    resources = _ArscResources(archive.read(RESOURCES)) if RESOURCES in archive else None
    if resources is None:
        warnings.append("no resources.arsc: resource references cannot be resolved")
    facts = manifest_facts(root, resources)
    warnings.extend(facts.warnings)
    signing = _signing(archive, warnings)
    if not signing.signed:
        warnings.append("unsigned: Android will not install it")
    return AndroidApp(
        format="apk",
        file=source.file,
        **facts.record_fields(),
        abis=abis(archive.names),
        signing=signing,
        warnings=tuple(warnings),
    )


def icon_png(path: Any, record: AndroidApp) -> tuple[str, bytes] | None:
    """The highest-density PNG behind the launcher icon, as stored in the APK."""
    return best_icon_png(path, record.icon)
