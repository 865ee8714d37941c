"""The record of a macOS installer package: product facts, components, the app inside, signature.

Field names follow what users see elsewhere: ``CFBundle*`` keys as Info.plist and PackageInfo spell
them (Applivery's ``info.pkg`` uses the same names), ``install_location``, ``number_of_files``...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from inspector.certs import Certificate
from inspector.format import Format
from inspector.records.base import FileInfo
from inspector.records.verification import Verification

__all__ = ["App", "Bundle", "Component", "Pkg", "PkgSignature"]


@dataclass(frozen=True, slots=True)
class Bundle:
    """A ``<bundle>`` entry of a PackageInfo (or of a Distribution's ``<bundle-version>``);
    ``path`` is relative to the payload root (``./Applications/X.app``)."""

    path: str | None
    id: str | None
    CFBundleShortVersionString: str | None
    CFBundleVersion: str | None


@dataclass(frozen=True, slots=True)
class Component:
    """One component package: the archive itself (``folder`` None) or a ``*.pkg/`` folder of a
    product archive. ``number_of_files`` and ``install_kbytes`` are PackageInfo's ``<payload
    numberOfFiles installKBytes>``; ``payload`` is the Payload's compression as found (gzip,
    pbzx, cpio) or None when the component has no Payload."""

    folder: str | None
    identifier: str | None
    version: str | None
    install_location: str | None
    number_of_files: int | None
    install_kbytes: int | None
    bundles: tuple[Bundle, ...]
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class App:
    """The application the package installs (see ``docs/pkg.md`` for which one, when several).

    ``source`` says where the facts come from: ``Info.plist`` (read from the Payload), or, when
    no payload holds it, ``PackageInfo`` or ``Distribution`` ``<bundle>`` attributes (identifier
    and versions only). ``path`` is the bundle's path in the payload; ``component`` the
    identifier of the component whose payload holds it.
    """

    CFBundleIdentifier: str | None
    CFBundleShortVersionString: str | None
    CFBundleVersion: str | None
    CFBundleDisplayName: str | None
    CFBundleName: str | None
    LSMinimumSystemVersion: str | None
    path: str | None
    component: str | None
    source: Literal["Info.plist", "PackageInfo", "Distribution"]


@dataclass(frozen=True, slots=True)
class PkgSignature:
    """The installer signature(s) in the xar TOC: ``styles`` lists what is present (``RSA`` for
    ``<signature>``, ``CMS`` for ``<x-signature>``); ``chain`` is the certificate chain, leaf
    first. The signatures' verdict is the record's ``verification`` (inspector.verify.xar)."""

    styles: tuple[str, ...]
    chain: tuple[Certificate, ...]

    @property
    def signed(self) -> bool:
        return bool(self.styles)

    @property
    def leaf(self) -> Certificate | None:
        return self.chain[0] if self.chain else None

    @property
    def team_id(self) -> str | None:
        """The Apple team identifier: the leaf certificate's organizational unit."""
        return self.leaf.organizational_unit if self.leaf else None

    def json_extras(self, now: datetime | None) -> dict[str, object]:
        return {"signed": self.signed, "team_id": self.team_id, "leaf": self.leaf}


@dataclass(frozen=True, slots=True)
class Pkg:
    """A flat installer package: a product archive (``kind`` product: Distribution + component
    folders) or a bare component package (``kind`` component). ``minimum_os`` is the lowest
    ``allowed-os-versions`` ``os-version min`` of the Distribution, when it states one."""

    format: Literal[Format.PKG]
    file: FileInfo
    kind: Literal["product", "component"]
    title: str | None
    product_id: str | None
    product_version: str | None
    host_architectures: tuple[str, ...]
    minimum_os: str | None
    components: tuple[Component, ...]
    app: App | None
    signature: PkgSignature
    warnings: tuple[str, ...] = ()
    #: Whether the signatures verified (None: not checked, and why). See records/verification.py.
    verification: Verification | None = None
    #: What verification covered, as the report lists it (``TOC checksum (sha1)``, ``3 archived
    #: checksums``, ``RSA signature``...); empty when it did not run.
    checked: tuple[str, ...] = ()
