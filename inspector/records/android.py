"""The record of an Android build: one shape for APKs and App Bundles, so checks treat both alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from inspector.certs import Certificate
from inspector.records.base import FileInfo

__all__ = [
    "AndroidApp",
    "Feature",
    "Icon",
    "IconFile",
    "Label",
    "Module",
    "Signer",
    "Signing",
]


@dataclass(frozen=True, slots=True)
class Label:
    """The application label: a literal, or a string resource resolved per locale.

    ``localized`` maps a locale qualifier as aapt2 prints it (``fr``, ``pt-BR``, ``zh-Hans``...) to
    the value; the default (no-locale) value is ``default``. ``resource`` is the reference as
    written in the manifest (``@string/app_name`` or ``@0x7f0b0001``) or None for a literal.
    """

    default: str | None
    localized: Mapping[str, str] = field(default_factory=dict)
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class IconFile:
    """One file behind the icon resource, for one density (``mdpi``, ``xxxhdpi``, ``anydpi-v26``...)."""

    density: str
    path: str
    adaptive: bool = False


@dataclass(frozen=True, slots=True)
class Icon:
    """The launcher icon: the resource and every file behind it. ``adaptive`` when an XML
    adaptive-icon is among them (API 26+); the PNG densities are still listed as fallbacks."""

    resource: str | None
    files: tuple[IconFile, ...] = ()
    round_resource: str | None = None

    @property
    def adaptive(self) -> bool:
        return any(f.adaptive for f in self.files)

    @property
    def best_png(self) -> IconFile | None:
        """The PNG file of highest density, which ``--extract-icon`` writes."""
        pngs = [f for f in self.files if f.path.lower().endswith(".png")]
        return max(pngs, key=lambda f: _density_rank(f.density), default=None)

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        best = self.best_png
        return {"adaptive": self.adaptive, "best": best.path if best else None}


_DENSITIES = {"ldpi": 120, "mdpi": 160, "tvdpi": 213, "hdpi": 240, "xhdpi": 320,
              "xxhdpi": 480, "xxxhdpi": 640, "nodpi": 0, "anydpi": 0, "": 160}


def _density_rank(density: str) -> int:
    base = density.split("-")[0]
    if base.endswith("dpi") and base[:-3].isdigit():
        return int(base[:-3])
    return _DENSITIES.get(base, 1)


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class Signer:
    """One signer of one scheme (``v1``, ``v2``, ``v3``, ``v3.1``). ``certificates[0]`` signs;
    the rest is the chain it carries. ``lineage`` lists rotated-from certificates (v3 only).
    ``min_sdk``/``max_sdk`` are the platform range a v3/v3.1 signer applies to."""

    scheme: str
    certificates: tuple[Certificate, ...]
    name: str | None = None
    min_sdk: int | None = None
    max_sdk: int | None = None
    lineage: tuple[Certificate, ...] = ()


@dataclass(frozen=True, slots=True)
class Signing:
    """Which signature schemes are present and who signed. Presence, not cryptographic
    verification: inspector reports what the signatures claim; apksigner verifies them."""

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
class Module:
    """A module of an App Bundle (``base`` or a feature module)."""

    name: str
    delivery: str | None = None  # install-time, on-demand, fast-follow, conditional...
    abis: tuple[str, ...] = ()
    title: str | None = None
    kind: str = "feature"  # base, feature or asset-pack (dist:type)
    instant: bool = False  # dist:instant: may be served as an instant app


@dataclass(frozen=True, slots=True)
class AndroidApp:
    """An APK or an AAB, with the names users know from the manifest."""

    format: Literal["apk", "aab"]
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
    warnings: tuple[str, ...] = ()
