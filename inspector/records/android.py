"""The record of an Android build: one shape for APKs and App Bundles, so checks treat both alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from inspector.certs import Certificate
from inspector.densities import DENSITY_DPI
from inspector.format import Format
from inspector.records.base import FileInfo
from inspector.records.contents import Contents
from inspector.records.frozen import FrozenMap
from inspector.records.verification import Verification

__all__ = [
    "LINEAGE_CAPABILITIES",
    "AndroidApp",
    "Component",
    "DeepLink",
    "EntryLayout",
    "Feature",
    "Icon",
    "IconFile",
    "IntentData",
    "IntentFilter",
    "Label",
    "LineageNode",
    "Module",
    "NativeLibrary",
    "Queries",
    "Signer",
    "Signing",
    "UsesLibrary",
    "UsesPermission",
]


@dataclass(frozen=True, slots=True)
class Label:
    """The application label: a literal, or a string resource resolved per locale.

    ``localized`` maps a locale qualifier as aapt2 prints it (``fr``, ``pt-BR``, ``zh-Hans``...) to
    the value; the default (no-locale) value is ``default``. ``resource`` is the reference as
    written in the manifest (``@string/app_name`` or ``@0x7f0b0001``) or None for a literal.
    """

    default: str | None
    localized: Mapping[str, str] = field(default_factory=FrozenMap)
    resource: str | None = None

    def __post_init__(self) -> None:
        # Read-only all the way down, so the record is immutable and hashable (records/frozen.py).
        object.__setattr__(self, "localized", FrozenMap(self.localized))


@dataclass(frozen=True, slots=True)
class IconFile:
    """One file behind the icon resource, for one density (``mdpi``, ``xxxhdpi``, ``anydpi-v26``...).

    ``format`` (``png``, ``webp``, ``jpeg``), ``width`` and ``height`` are what the file's own
    header says; all three are None for an XML drawable and for a file that could not be read.
    """

    density: str
    path: str
    adaptive: bool = False
    format: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def raster(self) -> bool:
        """A bitmap inspector read the header of: one ``--extract-icon`` can write."""
        return self.format is not None


@dataclass(frozen=True, slots=True)
class Icon:
    """The launcher icon: the resource and every file behind it. ``adaptive`` when an XML
    adaptive-icon is among them (API 26+); the raster densities are still listed as fallbacks."""

    resource: str | None
    files: tuple[IconFile, ...] = ()
    round_resource: str | None = None

    @property
    def adaptive(self) -> bool:
        return any(f.adaptive for f in self.files)

    @property
    def best(self) -> IconFile | None:
        """The raster file (PNG, WebP or JPEG) ``--extract-icon`` writes: the highest density,
        then the most pixels (two files of one density: the larger one)."""
        rasters = [f for f in self.files if f.raster]
        return max(rasters, key=lambda f: (_density_rank(f.density), (f.width or 0) * (f.height or 0)),
                   default=None)

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        best = self.best
        return {"adaptive": self.adaptive, "best": best.path if best else None}


def _density_rank(density: str) -> int:
    base = density.split("-")[0]
    if not base:
        return DENSITY_DPI["mdpi"]  # no qualifier: the baseline density
    if base in ("nodpi", "anydpi"):
        return 0
    if base.endswith("dpi") and base[:-3].isdigit():
        return int(base[:-3])
    return DENSITY_DPI.get(base, 1)


@dataclass(frozen=True, slots=True)
class Feature:
    """A named ``<uses-feature>``; ``required`` unless it says ``android:required="false"``."""

    name: str
    required: bool = True


#: The capability bits of a lineage node, as apksig's SigningCertificateLineage names them.
LINEAGE_CAPABILITIES = {
    "installed-data": 1,
    "shared-uid": 2,
    "permission": 4,
    "rollback": 8,
    "auth": 16,
}


@dataclass(frozen=True, slots=True)
class LineageNode:
    """One certificate of a v3/v3.1 proof-of-rotation lineage (oldest first, the signing
    certificate last) with the capabilities it keeps after the rotation.

    ``flags`` are the node's capability bits as stored; the ``installed_data``...``auth``
    properties read them (:data:`LINEAGE_CAPABILITIES`). A set bit grants the old certificate
    that power over the new one: ``installed-data`` (an update signed by it keeps the app's
    data), ``shared-uid``, ``permission`` (signature permissions it grants are honoured),
    ``rollback`` (the platform may go back to it), ``auth`` (it may authenticate as the app).
    ``signature_algorithm`` is the algorithm this node's key used to sign the next node
    (apksig's name, e.g. ``RSA_PKCS1_V1_5_WITH_SHA256``), None for the last node.
    """

    certificate: Certificate
    flags: int = 0
    signature_algorithm: str | None = None

    def has(self, capability: str) -> bool:
        return bool(self.flags & LINEAGE_CAPABILITIES[capability])

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capability names whose bit is set, in the order of :data:`LINEAGE_CAPABILITIES`."""
        return tuple(name for name in LINEAGE_CAPABILITIES if self.has(name))

    @property
    def installed_data(self) -> bool:
        return self.has("installed-data")

    @property
    def shared_uid(self) -> bool:
        return self.has("shared-uid")

    @property
    def permission(self) -> bool:
        return self.has("permission")

    @property
    def rollback(self) -> bool:
        return self.has("rollback")

    @property
    def auth(self) -> bool:
        return self.has("auth")

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"capabilities": list(self.capabilities)}


@dataclass(frozen=True, slots=True)
class Signer:
    """One signer of one scheme (``v1``, ``v2``, ``v3``, ``v3.1``). ``certificates[0]`` signs;
    the rest is the chain it carries. ``lineage`` lists the proof-of-rotation nodes (v3/v3.1
    only, oldest first; :attr:`lineage_certificates` gives their certificates).
    ``min_sdk``/``max_sdk`` are the platform range a v3/v3.1 signer applies to.

    ``verification`` is this signer's verdict (its signature, its digests over the content, its
    public key against its certificate, its lineage); ``lineage_verification`` is the lineage's
    own (each node signed by the one before), None when the signer has no lineage or nothing was
    verified. Both are filled in by the format's ``verify`` and None straight out of ``parse``.
    """

    scheme: str
    certificates: tuple[Certificate, ...]
    name: str | None = None
    min_sdk: int | None = None
    max_sdk: int | None = None
    lineage: tuple[LineageNode, ...] = ()
    verification: Verification | None = None
    lineage_verification: Verification | None = None

    @property
    def lineage_certificates(self) -> tuple[Certificate, ...]:
        """The lineage's certificates, oldest first."""
        return tuple(node.certificate for node in self.lineage)


@dataclass(frozen=True, slots=True)
class Signing:
    """Which signature schemes are present and who signed; each signer's ``verification`` says
    whether its signature verified."""

    schemes: tuple[str, ...]
    signers: tuple[Signer, ...]

    @property
    def signed(self) -> bool:
        return bool(self.schemes)

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        """The distinct signing certificates over all schemes (first of each signer)."""
        seen: dict[str, Certificate] = {}
        for signer in self.signers:
            if signer.certificates:
                seen.setdefault(signer.certificates[0].sha256, signer.certificates[0])
        return tuple(seen.values())

    @property
    def debug_signed(self) -> bool:
        return any(c.is_android_debug for c in self.certificates)

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"signed": self.signed, "debug_signed": self.debug_signed}


@dataclass(frozen=True, slots=True)
class IntentData:
    """One ``<data>`` element of an intent filter, attributes as written."""

    scheme: str | None = None
    host: str | None = None
    port: str | None = None
    path: str | None = None
    path_prefix: str | None = None
    path_pattern: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class IntentFilter:
    """An ``<intent-filter>`` (or a ``<queries>`` ``<intent>``): actions, categories, data."""

    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    data: tuple[IntentData, ...] = ()
    auto_verify: bool = False


@dataclass(frozen=True, slots=True)
class Component:
    """An activity, activity-alias, service, receiver or provider of the manifest.

    ``name`` is fully qualified as aapt2 prints it (``.Main`` and ``Main`` become
    ``<package>.Main``); ``exported`` is the ``android:exported`` value as declared, None when
    absent (Android 12+ refuses to install an app that targets it and leaves ``exported`` unset
    on a component with an intent filter). ``target_activity`` is an alias's target,
    ``authorities`` a provider's.
    """

    kind: Literal["activity", "activity-alias", "service", "receiver", "provider"]
    name: str | None
    exported: bool | None
    permission: str | None = None
    intent_filters: tuple[IntentFilter, ...] = ()
    target_activity: str | None = None
    authorities: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class DeepLink:
    """A URL an activity opens from a browser: an intent filter with VIEW and BROWSABLE.

    One per scheme x host x path combination of the filter, as Android matches them; ``path`` is
    ``/x`` for ``path``, ``/x*`` for ``pathPrefix`` and the pattern for ``pathPattern``.
    ``auto_verify`` marks a verified app link (``android:autoVerify``, http/https only).
    """

    component: str | None
    scheme: str
    host: str | None = None
    port: str | None = None
    path: str | None = None
    auto_verify: bool = False

    @property
    def url(self) -> str:
        authority = (self.host or "") + (f":{self.port}" if self.port else "")
        if not authority and not self.path:
            return f"{self.scheme}:"
        return f"{self.scheme}://{authority}{self.path or ''}"

    @property
    def app_link(self) -> bool:
        return self.auto_verify and self.scheme in ("http", "https")

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"url": self.url, "app_link": self.app_link}


@dataclass(frozen=True, slots=True)
class UsesLibrary:
    """A ``<uses-library>``: a shared library the device must (or may) provide."""

    name: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class UsesPermission:
    """A requested permission with the facts ``permissions`` (names only) leaves out.

    ``max_sdk`` is ``android:maxSdkVersion``: the permission is requested only up to that API
    level. ``sdk_23`` marks a ``<uses-permission-sdk-23>`` (or ``-sdk-m``): requested only from
    API 23 on, where it is granted at run time.
    """

    name: str
    max_sdk: int | None = None
    sdk_23: bool = False


@dataclass(frozen=True, slots=True)
class Queries:
    """``<queries>`` (API 30 package visibility): the packages, intents and providers the app
    declares it will look for."""

    packages: tuple[str, ...] = ()
    intents: tuple[IntentFilter, ...] = ()
    providers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Module:
    """A module of an App Bundle (``base`` or a feature module)."""

    name: str
    delivery: str | None = None  # install-time, on-demand, fast-follow, conditional...
    abis: tuple[str, ...] = ()
    title: str | None = None
    kind: str = "feature"  # base, feature or asset-pack (dist:type)
    instant: bool = False  # dist:instant: may be served as an instant app


#: ABIs whose devices may use 16 KB pages (Android 15+ on arm64 and x86_64).
ABIS_64 = ("arm64-v8a", "x86_64")


@dataclass(frozen=True, slots=True)
class EntryLayout:
    """Where an archive member's data lies: ``offset`` is the file offset of its first byte (after
    the local header), ``compressed`` whether it is deflated (else stored)."""

    path: str
    compressed: bool
    offset: int

    def aligned(self, boundary: int) -> bool:
        """Stored and its data starts on a multiple of ``boundary`` (as ``zipalign -c`` checks)."""
        return not self.compressed and self.offset % boundary == 0


@dataclass(frozen=True, slots=True)
class NativeLibrary:
    """A native library (``lib/<abi>/*.so``; in a bundle ``<module>/lib/<abi>/*.so``).

    ``bits`` is its ELF class (32, 64) and ``load_alignment`` the smallest ``p_align`` of its ELF
    LOAD segments, both None when the file is not a readable ELF or has no LOAD segment (a
    warning then names it). ``layout`` says where it lies in the archive.
    """

    path: str
    abi: str
    layout: EntryLayout
    bits: int | None = None
    load_alignment: int | None = None

    @property
    def sixty_four_bit(self) -> bool:
        return self.abi in ABIS_64

    @property
    def elf_16k_ready(self) -> bool | None:
        """Its LOAD segments are aligned for 16 KB pages (None when not known)."""
        return None if self.load_alignment is None else self.load_alignment >= 16384

    def offset_16k_ready(self, mapped_from_apk: bool) -> bool:
        """Where the platform maps it straight from the APK, its data must start on a 16 KB
        boundary; a library that is extracted at install (or compressed) has no such need."""
        return not mapped_from_apk or self.layout.compressed or self.layout.offset % 16384 == 0

    def ready_16k(self, mapped_from_apk: bool) -> bool | None:
        """Ready for 16 KB page devices: False when its LOAD alignment or its offset says not,
        None when its alignment is not known and its offset does not matter."""
        if self.elf_16k_ready is False or not self.offset_16k_ready(mapped_from_apk):
            return False
        return self.elf_16k_ready

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"elf_16k_ready": self.elf_16k_ready,
                "page_aligned": self.layout.aligned(4096),
                "aligned_16k": self.layout.aligned(16384)}


@dataclass(frozen=True, slots=True)
class AndroidApp:
    """An APK or an AAB, with the names users know from the manifest.

    ``uses_cleartext_traffic``, ``allow_backup`` and ``install_location`` are the ``<application>``
    / ``<manifest>`` values as declared (None when absent: the platform default applies);
    ``network_security_config`` is the file the reference points to (or the reference);
    ``supports_screens`` holds the declared ``<supports-screens>`` attributes by their names
    (``smallScreens``, ``anyDensity``, ``requiresSmallestWidthDp``...).
    """

    format: Literal[Format.APK, Format.AAB]
    file: FileInfo
    package_name: str | None
    version_code: int | None
    version_name: str | None
    min_sdk: int | None
    target_sdk: int | None
    max_sdk: int | None
    compile_sdk: int | None
    compile_sdk_codename: str | None
    platform_build_version_code: int | None
    platform_build_version_name: str | None
    label: Label
    icon: Icon
    debuggable: bool
    test_only: bool
    split: str | None
    permissions: tuple[str, ...]
    features: tuple[Feature, ...]
    abis: tuple[str, ...]
    signing: Signing
    modules: tuple[Module, ...] = ()
    bundletool_version: str | None = None
    components: tuple[Component, ...] = ()
    launcher_activity: str | None = None
    leanback_launcher_activity: str | None = None
    deep_links: tuple[DeepLink, ...] = ()
    uses_cleartext_traffic: bool | None = None
    network_security_config: str | None = None
    allow_backup: bool | None = None
    install_location: str | None = None
    uses_libraries: tuple[UsesLibrary, ...] = ()
    #: Every requested permission with its maxSdkVersion and element (``permissions`` has the names).
    uses_permissions: tuple[UsesPermission, ...] = ()
    #: The OpenGL ES version the app requires (``<uses-feature android:glEsVersion>``), ``3.1``.
    gl_es_version: str | None = None
    #: Members by size category and the icon's digest (None: not measured). records/contents.py.
    contents: Contents | None = None
    queries: Queries = field(default_factory=Queries)
    supports_screens: Mapping[str, bool | int] = field(default_factory=FrozenMap)
    warnings: tuple[str, ...] = ()
    #: Whether the signatures verified (None: not checked, and why). See records/verification.py.
    verification: Verification | None = None
    #: ``android:extractNativeLibs`` as declared (None: absent, and the platform extracts them).
    extract_native_libs: bool | None = None
    #: Where ``resources.arsc`` lies (APK only; None when it has none).
    resources_table: EntryLayout | None = None
    #: Stored entries whose data does not start on a 4-byte boundary (APK only; ``zipalign 4``).
    unaligned_entries: tuple[EntryLayout, ...] = ()
    native_libraries: tuple[NativeLibrary, ...] = ()

    def __post_init__(self) -> None:
        # Read-only all the way down, so the record is immutable and hashable (records/frozen.py).
        object.__setattr__(self, "supports_screens", FrozenMap(self.supports_screens))

    @property
    def loads_libraries_from_apk(self) -> bool:
        """The platform maps native libraries straight from the APK instead of extracting them
        (``extractNativeLibs="false"``): each must then be stored and page-aligned."""
        return self.extract_native_libs is False
