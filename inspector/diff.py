"""What changed between two builds of one app: a pure comparison of two records.

``diff(old, new)`` takes two records (from :func:`inspector.inspect`, or rebuilt from a saved
``inspect --json`` document by :func:`inspector.records.load.load_record`) and returns a frozen
:class:`Diff` whose sections are present only when something in them changed. Nothing here reads
a file, the clock or the environment; :func:`diff_files` is the convenience that inspects (or
loads) both sides first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inspector.format import ANDROID_FORMATS, EmbeddedProfile, Format
from inspector.summary import Summary, native_name, summarize
from inspector.versions import version_tuple

if TYPE_CHECKING:
    from inspector.records.android import UsesPermission

__all__ = [
    "SECTIONS",
    "Change",
    "Diff",
    "Listed",
    "Rotation",
    "Section",
    "Side",
    "SizeChange",
    "SizeSection",
    "build_key",
    "diff",
    "diff_files",
    "effectively_exported",
    "load_side",
    "rotation",
]

#: How many added or grown members a size section names, largest growth first.
GROWN_MEMBERS = 10


@dataclass(frozen=True, slots=True)
class Change:
    """One value that differs: ``old`` and ``new`` as text (None: absent on that side)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Listed:
    """A set-valued fact (permissions, schemes, frameworks...): what NEW added and removed."""

    field: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """One group of changes (``identity``, ``version``, ``platform``...)."""

    name: str
    changes: tuple[Change, ...] = ()
    lists: tuple[Listed, ...] = ()

    def count(self) -> int:
        return len(self.changes) + sum(len(x.added) + len(x.removed) for x in self.lists)

    def listed(self, field: str) -> Listed | None:
        return next((x for x in self.lists if x.field == field), None)


@dataclass(frozen=True, slots=True)
class Rotation:
    """Whether NEW's Android signing certificate can update an install of OLD.

    ``same``: both are signed by the same certificate. Otherwise ``proven`` when NEW's v3/v3.1
    lineage names OLD's certificate, that node keeps the installed-data capability (without it
    Android refuses the update), and the lineage verified.
    ``reason`` says which branch decided.
    """

    old_certificate: str | None
    new_certificate: str | None
    same: bool
    proven: bool
    reason: str


@dataclass(frozen=True, slots=True)
class SizeChange:
    """Bytes of one thing on each side; None where that side has no such thing (added, removed,
    or not among the largest files a record keeps)."""

    name: str
    old_compressed: int | None
    new_compressed: int | None
    old_uncompressed: int | None
    new_uncompressed: int | None

    @property
    def compressed_delta(self) -> int:
        return (self.new_compressed or 0) - (self.old_compressed or 0)

    @property
    def uncompressed_delta(self) -> int:
        return (self.new_uncompressed or 0) - (self.old_uncompressed or 0)

    def json_extras(self, now: object) -> dict[str, object]:
        return {"compressed_delta": self.compressed_delta,
                "uncompressed_delta": self.uncompressed_delta}


@dataclass(frozen=True, slots=True)
class SizeSection:
    """Sizes: the file on disk (``file``: compressed is its size, uncompressed its members'
    total), each category that changed, and the largest members NEW added or grew.
    ``members_known`` is False when OLD kept only its largest files, so a member absent from
    them may have existed, smaller (its old size is then None)."""

    file: SizeChange
    categories: tuple[SizeChange, ...] = ()
    grown: tuple[SizeChange, ...] = ()
    members_known: bool = True

    def count(self) -> int:
        return 1 + len(self.categories) + len(self.grown)

    @property
    def growth(self) -> int:
        """Bytes the file grew (negative: shrank)."""
        return self.file.compressed_delta

    @property
    def growth_ratio(self) -> float | None:
        """The growth as a fraction of OLD's file size (0.1 is 10 %)."""
        old = self.file.old_compressed
        return None if not old else self.growth / old


@dataclass(frozen=True, slots=True)
class Side:
    """Who one side is: the file and the facts a verdict line names."""

    path: str
    format: Format | EmbeddedProfile
    platform: str | None
    identifier: str | None
    version: str | None
    build: str | None

    @property
    def title(self) -> str:
        version = " ".join(x for x in (self.version, f"({self.build})" if self.build else None) if x)
        return " ".join(x for x in (self.identifier or "?", version) if x)


#: Section attribute names of :class:`Diff`, in report order.
SECTIONS = ("identity", "version", "platform", "signing", "permissions", "exposure", "code",
            "size", "icon")


@dataclass(frozen=True, slots=True)
class Diff:
    """Everything that changed from ``old`` to ``new``; a section is None when nothing in it did.

    ``build_increased`` is whether NEW's build number is greater (None: a side has none that
    compares). ``rotation`` is set for two APKs whose signing changed.
    """

    old: Side
    new: Side
    identity: Section | None = None
    version: Section | None = None
    build_increased: bool | None = None
    platform: Section | None = None
    signing: Section | None = None
    rotation: Rotation | None = None
    permissions: Section | None = None
    exposure: Section | None = None
    code: Section | None = None
    size: SizeSection | None = None
    icon: Section | None = None

    def sections(self) -> list[tuple[str, Section | SizeSection]]:
        """The sections present, in report order."""
        return [(name, s) for name in SECTIONS if (s := getattr(self, name)) is not None]

    @property
    def changed(self) -> bool:
        return bool(self.sections())

    @property
    def problems(self) -> tuple[str, ...]:
        """What makes NEW unable to update installs of OLD, one line each."""
        out = []
        if self.identity is not None:
            for c in self.identity.changes:
                if c.field in ("identifier", "platform"):
                    out.append(f"{c.field} changed ({c.old} -> {c.new}): not an update of the "
                               "same app")
        if self.rotation is not None and not self.rotation.same and not self.rotation.proven:
            out.append(f"Android signer changed without a verified rotation proof: "
                       f"{self.rotation.reason}")
        if self.build_increased is False:
            out.append(f"build number not greater ({self.old.build} -> {self.new.build})")
        return tuple(out)

    @property
    def verdict(self) -> str:
        """The one line a report starts with."""
        sides = f"{self.old.title} -> {self.new.title}"
        if self.problems:
            return f"BREAKING: {sides}: {'; '.join(self.problems)}"
        present = self.sections()
        if not present:
            return f"UNCHANGED: {sides}"
        count = sum(s.count() for _, s in present)
        names = ", ".join(name for name, _ in present)
        return f"CHANGED: {sides}: {count} change{'s' if count != 1 else ''} ({names})"

    def json_extras(self, now: object) -> dict[str, object]:
        return {"verdict": self.verdict, "problems": list(self.problems)}


# ---------------------------------------------------------------------------- helpers
def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _changes(pairs: Iterable[tuple[str, object, object]]) -> list[Change]:
    return [Change(name, _text(a), _text(b)) for name, a, b in pairs if a != b]


def _listed(field: str, old: Iterable[str], new: Iterable[str]) -> list[Listed]:
    before, after = dict.fromkeys(old), dict.fromkeys(new)
    added = tuple(x for x in after if x not in before)
    removed = tuple(x for x in before if x not in after)
    return [Listed(field, added, removed)] if added or removed else []


def _section(name: str, changes: list[Change], lists: list[Listed]) -> Section | None:
    return Section(name, tuple(changes), tuple(lists)) if changes or lists else None


def build_key(summary: Summary) -> tuple[int, ...] | None:
    """The build number as something that orders: versionCode, or a dotted CFBundleVersion
    (``1.2.10`` > ``1.2.9``); None when it is neither."""
    if summary.build_number is not None:
        return (summary.build_number,)
    return version_tuple(summary.build)


def _increased(old: Summary, new: Summary) -> bool | None:
    a, b = build_key(old), build_key(new)
    return None if a is None or b is None else b > a


def _side(record: Any, summary: Summary) -> Side:
    return Side(summary.file.path, summary.format, summary.platform, summary.identifier,
                summary.version, summary.build)


def _android(record: Any) -> bool:
    return getattr(record, "format", None) in ANDROID_FORMATS


def _ipa(record: Any) -> bool:
    return getattr(record, "format", None) is Format.IPA


# ---------------------------------------------------------------------------- Android facts
def effectively_exported(component: Any, target_sdk: int | None) -> bool:
    """Whether Android exports a component: ``android:exported`` when written; otherwise a
    component with an intent filter is exported when the app targets API < 31 (from 31 on the
    attribute is required), and a provider when it targets API < 17."""
    if component.exported is not None:
        return bool(component.exported)
    target = target_sdk or 1
    if component.kind == "provider":
        return target < 17
    return bool(component.intent_filters) and target < 31


def _permission(p: UsesPermission) -> str:
    notes = []
    if p.max_sdk is not None:
        notes.append(f"maxSdkVersion {p.max_sdk}")
    if p.sdk_23:
        notes.append("uses-permission-sdk-23")
    return p.name + (f" ({', '.join(notes)})" if notes else "")


def _android_permissions(old: Any, new: Any) -> Section | None:
    a = {p.name: p for p in old.uses_permissions} or {n: None for n in old.permissions}
    b = {p.name: p for p in new.uses_permissions} or {n: None for n in new.permissions}
    lists = _listed("permissions", [_permission(a[n]) if a[n] else n for n in a if n not in b],
                    [_permission(b[n]) if b[n] else n for n in b if n not in a])
    changes = [Change(f"permission {n}", _permission(a[n]), _permission(b[n]))
               for n in a if n in b and a[n] and b[n] and a[n] != b[n]]
    lists += _listed("features", [f.name + ("" if f.required else " (not required)")
                                  for f in old.features],
                     [f.name + ("" if f.required else " (not required)") for f in new.features])
    changes += _changes([("OpenGL ES", old.gl_es_version, new.gl_es_version)])
    return _section("permissions", changes, lists)


def _exported(app: Any) -> list[str]:
    return [f"{c.kind} {c.name}" for c in app.components if effectively_exported(c, app.target_sdk)]


def _queried_schemes_android(app: Any) -> list[str]:
    return list(dict.fromkeys(d.scheme for i in app.queries.intents for d in i.data if d.scheme))


def _android_exposure(old: Any, new: Any) -> Section | None:
    lists = _listed("exported components", _exported(old), _exported(new))
    lists += _listed("deep links", [d.url for d in old.deep_links if not d.app_link],
                     [d.url for d in new.deep_links if not d.app_link])
    lists += _listed("app links", [d.url for d in old.deep_links if d.app_link],
                     [d.url for d in new.deep_links if d.app_link])
    lists += _listed("queried packages", old.queries.packages, new.queries.packages)
    lists += _listed("queried schemes", _queried_schemes_android(old), _queried_schemes_android(new))
    return _section("exposure", [], lists)


def _effective_signer(app: Any) -> Any:
    """The signer a current Android release verifies: v3.1, then v3 (the one for the highest
    platform), then v2, then v1."""
    for scheme in ("v3.1", "v3", "v2", "v1"):
        signers = [s for s in app.signing.signers if s.scheme == scheme and s.certificates]
        if signers:
            return max(signers, key=lambda s: s.max_sdk if s.max_sdk is not None else 1 << 31)
    return None


def rotation(old: Any, new: Any) -> Rotation:
    """Whether ``new`` (an Android record) can update installs of ``old``: see :class:`Rotation`."""
    a, b = _effective_signer(old), _effective_signer(new)
    old_cert = a.certificates[0].sha256 if a is not None else None
    new_cert = b.certificates[0].sha256 if b is not None else None
    if old_cert is None or new_cert is None:
        which = "the baseline" if old_cert is None else "the new build"
        return Rotation(old_cert, new_cert, old_cert == new_cert, False, f"{which} is unsigned")
    if old_cert == new_cert:
        return Rotation(old_cert, new_cert, True, True, "the same signing certificate")
    node = next((n for n in b.lineage if n.certificate.sha256 == old_cert), None)
    if node is None:
        why = ("the new build has no v3 lineage" if not b.lineage
               else "the new build's v3 lineage does not name the baseline's certificate")
        return Rotation(old_cert, new_cert, False, False, why)
    if not node.installed_data:
        return Rotation(old_cert, new_cert, False, False,
                        "the lineage names the baseline's certificate without the installed-data "
                        "capability")
    verified = b.lineage_verification.verified if b.lineage_verification is not None else None
    if verified is True and b.verification is not None and b.verification.verified is False:
        verified = False  # a lineage is proof only from a signer that verifies
    if verified is not True:
        state = "did not verify" if verified is False else "was not verified"
        return Rotation(old_cert, new_cert, False, False,
                        f"the lineage names the baseline's certificate, but it {state}")
    return Rotation(old_cert, new_cert, False, True,
                    f"the new build's verified {b.scheme} lineage proves the rotation")


def _android_signing(old: Any, new: Any) -> list[Change]:
    changes = _changes([("schemes", ", ".join(old.signing.schemes) or None,
                         ", ".join(new.signing.schemes) or None)])
    for scheme in dict.fromkeys([*(s.scheme for s in old.signing.signers),
                                 *(s.scheme for s in new.signing.signers)]):
        certs = [", ".join(sorted({s.certificates[0].sha256 for s in app.signing.signers
                                   if s.scheme == scheme and s.certificates})) or None
                 for app in (old, new)]
        changes += _changes([(f"{scheme} certificate SHA-256", certs[0], certs[1])])
    lineages = [", ".join(n.certificate.sha256 for s in app.signing.signers for n in s.lineage)
                or None for app in (old, new)]
    changes += _changes([("v3 lineage", lineages[0], lineages[1])])
    return changes


def _android_code(old: Any, new: Any) -> Section | None:
    lists = _listed("ABIs", old.abis, new.abis)
    lists += _listed("modules", [m.name for m in old.modules], [m.name for m in new.modules])
    lists += _listed("uses-library", [u.name for u in old.uses_libraries],
                     [u.name for u in new.uses_libraries])
    return _section("code", [], lists)


# ---------------------------------------------------------------------------- Apple facts
def _bundle_name(record: Any, bundle: Any) -> str:
    return "" if bundle is record.app else bundle.path.removeprefix(record.app.path).rstrip("/")


def _plain(value: object) -> object:
    # A record holds a plist's dictionaries read-only (records/frozen.py); json writes them as
    # the dicts they were read from. Anything else (dates, data) as its text.
    return dict(value) if isinstance(value, Mapping) else str(value)


def _entitlements(record: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for bundle in record.bundles:
        prefix = _bundle_name(record, bundle)
        sig = bundle.code_signature
        profile = bundle.mobileprovision
        ents = (sig.entitlements if sig is not None and sig.entitlements
                else profile.Entitlements if profile is not None else {})
        for key, value in ents.items():
            name = f"{prefix}: {key}" if prefix else key
            out[name] = json.dumps(value, sort_keys=True, default=_plain, ensure_ascii=False)
    return out


def _per_bundle(record: Any, attr: str) -> list[str]:
    out: list[str] = []
    for bundle in record.bundles:
        prefix = _bundle_name(record, bundle)
        out += [f"{prefix}: {v}" if prefix else str(v) for v in getattr(bundle, attr)]
    return out


def _usage(record: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for bundle in record.bundles:
        prefix = _bundle_name(record, bundle)
        for key, value in bundle.usage_descriptions.items():
            out[f"{prefix}: {key}" if prefix else key] = str(value)
    return out


def _ipa_permissions(old: Any, new: Any) -> Section | None:
    ea, eb = _entitlements(old), _entitlements(new)
    lists = _listed("entitlements", [k for k in ea if k not in eb], [k for k in eb if k not in ea])
    changes = [Change(f"entitlement {k}", ea[k], eb[k]) for k in ea if k in eb and ea[k] != eb[k]]
    lists += _listed("capabilities", _per_bundle(old, "capabilities"),
                     _per_bundle(new, "capabilities"))
    ua, ub = _usage(old), _usage(new)
    lists += _listed("usage descriptions", [k for k in ua if k not in ub],
                     [k for k in ub if k not in ua])
    changes += [Change(f"usage description {k}", ua[k], ub[k])
                for k in ua if k in ub and ua[k] != ub[k]]
    return _section("permissions", changes, lists)


def _ipa_exposure(old: Any, new: Any) -> Section | None:
    lists = _listed("URL schemes", _per_bundle(old, "url_schemes"), _per_bundle(new, "url_schemes"))
    lists += _listed("queried schemes", _per_bundle(old, "LSApplicationQueriesSchemes"),
                     _per_bundle(new, "LSApplicationQueriesSchemes"))
    lists += _listed("background modes", _per_bundle(old, "UIBackgroundModes"),
                     _per_bundle(new, "UIBackgroundModes"))
    return _section("exposure", [], lists)


def _embedded(record: Any, kind: str) -> list[str]:
    out = []
    for bundle in record.bundles:
        prefix = _bundle_name(record, bundle)
        out += [f"{prefix}/{f.path}" if prefix else f.path for f in bundle.frameworks
                if f.kind == kind]
    return out


def _ipa_code(old: Any, new: Any) -> Section | None:
    def archs(r: Any) -> tuple[str, ...]:
        sig = r.app.code_signature
        return sig.archs if sig is not None else ()

    def nested(r: Any) -> list[str]:
        return [f"{_bundle_name(r, b)} ({b.kind}, {b.CFBundleIdentifier})" for b in r.nested_bundles]

    lists = _listed("architectures", archs(old), archs(new))
    lists += _listed("extensions", nested(old), nested(new))
    lists += _listed("frameworks", _embedded(old, "framework"), _embedded(new, "framework"))
    lists += _listed("dylibs", _embedded(old, "dylib"), _embedded(new, "dylib"))
    return _section("code", [], lists)


def _ipa_signing(old: Any, new: Any) -> list[Change]:
    def profile(r: Any) -> Any:
        return r.app.mobileprovision

    pa, pb = profile(old), profile(new)
    return _changes([
        ("profile", pa.Name if pa else None, pb.Name if pb else None),
        ("profile expiry", pa.ExpirationDate.date().isoformat() if pa and pa.ExpirationDate else None,
         pb.ExpirationDate.date().isoformat() if pb and pb.ExpirationDate else None),
    ])


# ---------------------------------------------------------------------------- common facts
def _size(old: Any, new: Any) -> SizeSection | None:
    ca, cb = getattr(old, "contents", None), getattr(new, "contents", None)
    file = SizeChange("file", old.file.size, new.file.size,
                      ca.uncompressed if ca else None, cb.uncompressed if cb else None)
    categories: list[SizeChange] = []
    grown: list[SizeChange] = []
    known = True
    if ca is not None and cb is not None:
        a = {c.name: c for c in ca.categories}
        b = {c.name: c for c in cb.categories}
        for name in dict.fromkeys([*a, *b]):
            x, y = a.get(name), b.get(name)
            change = SizeChange(name, x.compressed if x else None, y.compressed if y else None,
                                x.uncompressed if x else None, y.uncompressed if y else None)
            if (change.old_compressed, change.old_uncompressed) != (change.new_compressed,
                                                                     change.new_uncompressed):
                categories.append(change)
        before = {m.name: m for m in ca.largest}
        known = not ca.truncated
        for m in cb.largest:
            was = before.get(m.name)
            change = SizeChange(m.name, was.compressed if was else None, m.compressed,
                                was.uncompressed if was else None, m.uncompressed)
            if was is None or change.uncompressed_delta > 0 or change.compressed_delta > 0:
                grown.append(change)
        grown.sort(key=lambda c: (-c.uncompressed_delta, c.name))
    if file.old_compressed == file.new_compressed and not categories and not grown:
        return None
    return SizeSection(file, tuple(categories), tuple(grown[:GROWN_MEMBERS]), known)


def _icon(old: Any, new: Any) -> Section | None:
    ca, cb = getattr(old, "contents", None), getattr(new, "contents", None)
    if ca is None or cb is None or ca.icon_sha256 == cb.icon_sha256:
        return None
    return _section("icon", [Change("icon SHA-256", ca.icon_sha256, cb.icon_sha256),
                             *_changes([("icon member", ca.icon_member, cb.icon_member)])], [])


def diff(old: Any, new: Any) -> Diff:
    """Compare two records (see the module's docstring); OLD is the baseline."""
    sa, sb = summarize(old), summarize(new)
    identity = _section("identity", _changes([
        ("identifier", sa.identifier, sb.identifier),
        ("platform", sa.platform, sb.platform),
        ("display name", sa.display_name, sb.display_name),
        ("format", sa.format, sb.format),
    ]), [])
    version = _section("version", _changes([
        ("version", sa.version, sb.version),
        ("build", sa.build, sb.build),
    ]), [])
    native = native_name(sb, "min_os")
    platform_changes = _changes([(native, sa.min_os, sb.min_os),
                                 ("targetSdkVersion", sa.target_sdk, sb.target_sdk)])
    if _android(old) and _android(new):
        platform_changes += _changes([("maxSdkVersion", old.max_sdk, new.max_sdk)])
    platform = _section("platform", platform_changes,
                        _listed("device families", sa.device_families, sb.device_families)
                        + _listed("form factors", sa.form_factors, sb.form_factors))

    signing_changes = _changes([
        ("team", sa.team_id, sb.team_id),
        ("signing type", sa.signing_type, sb.signing_type),
    ])
    rot = None
    permissions = exposure = code = None
    if _android(old) and _android(new):
        signing_changes += _android_signing(old, new)
        if old.format is new.format is Format.APK:
            # An App Bundle carries its upload key's JAR signature; the store re-signs the APKs
            # devices install, so only two APKs say whether an update installs.
            rot = rotation(old, new)
        permissions = _android_permissions(old, new)
        exposure = _android_exposure(old, new)
        code = _android_code(old, new)
    else:
        signing_changes += _changes([
            ("certificate SHA-256", ", ".join(c.sha256 for c in sa.certificates) or None,
             ", ".join(c.sha256 for c in sb.certificates) or None)])
        if _ipa(old) and _ipa(new):
            signing_changes += _ipa_signing(old, new)
            permissions = _ipa_permissions(old, new)
            exposure = _ipa_exposure(old, new)
            code = _ipa_code(old, new)
    signing = _section("signing", signing_changes, [])
    return Diff(
        old=_side(old, sa), new=_side(new, sb),
        identity=identity, version=version, build_increased=_increased(sa, sb),
        platform=platform, signing=signing, rotation=rot if signing is not None else None,
        permissions=permissions, exposure=exposure, code=code,
        size=_size(old, new) if hasattr(old, "file") and old.file else None,
        icon=_icon(old, new),
    )


def load_side(path: str | os.PathLike[str], *, verify: bool = False) -> Any:
    """The record of one side: a saved ``inspect --json`` document is rebuilt; a build is
    inspected without its SHA-256 and without digesting its content. With ``verify``, an APK's
    signing block is verified (each signer's signature, key and v3 lineage: the evidence of a
    rotation, read from the block alone); whether the whole APK verifies is ``check``'s SIG001."""
    from inspector.api import inspect
    from inspector.records.load import is_inspect_json, load_record

    try:
        saved = is_inspect_json(path)
    except OSError:
        saved = False  # inspect names the problem (missing, unreadable) as for any build
    if saved:
        return load_record(path)
    record = inspect(path, digest=False, verify=False)
    if verify and getattr(record, "format", None) is Format.APK:
        from inspector.containers.zip import ZipArchive
        from inspector.errors import ArtifactError
        from inspector.verify.lineage import with_lineage_verdicts

        try:
            with ZipArchive(path) as archive:
                record = with_lineage_verdicts(record, archive)
        except ArtifactError as exc:
            raise exc.at(path) from exc.__cause__
    return record


def diff_files(old: str | os.PathLike[str], new: str | os.PathLike[str], *,
               verify: bool = True) -> Diff:
    """:func:`diff` of two files, each a build or a saved ``inspect --json`` document.

    With ``verify``, NEW's signing block is verified (:func:`load_side`): whether its lineage
    proves a rotation is the one verdict that needs it. OLD, already shipped, is compared by its
    facts alone.
    """
    return diff(load_side(old), load_side(new, verify=verify))
