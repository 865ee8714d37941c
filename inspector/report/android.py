"""Text report of an APK or AAB record: the facts a release engineer looks for first, then details."""

from __future__ import annotations

from datetime import datetime

from inspector.certs import Certificate
from inspector.containers.image import NAMES
from inspector.format import Format
from inspector.records.android import AndroidApp, IconFile, Signer
from inspector.records.verification import Verification
from inspector.report import header
from inspector.report.text import Block, when

__all__ = ["certificate_block", "render"]


def _sdk(app: AndroidApp) -> str | None:
    parts = []
    if app.min_sdk is not None:
        parts.append(f"min {app.min_sdk}")
    if app.target_sdk is not None:
        parts.append(f"target {app.target_sdk}")
    if app.max_sdk is not None:
        parts.append(f"max {app.max_sdk}")
    if app.compile_sdk is not None:
        codename = f" ({app.compile_sdk_codename})" if app.compile_sdk_codename else ""
        parts.append(f"compile {app.compile_sdk}{codename}")
    return ", ".join(parts) or None


def certificate_block(parent: Block, title: str, cert: Certificate, now: datetime | None) -> Block:
    block = parent.child(title)
    block.add("Subject", cert.subject + ("  [ANDROID DEBUG CERTIFICATE]" if cert.is_android_debug else ""))
    if cert.issuer != cert.subject:
        block.add("Issuer", cert.issuer)
    block.add("Serial", cert.serial)
    block.add("SHA-256", cert.sha256)
    block.add("SHA-1", cert.sha1)
    block.add("Valid from", when(cert.not_before, None))
    block.add("Valid until", when(cert.not_after, now))
    key = cert.key_algorithm + (f" {cert.key_size} bits" if cert.key_size else "")
    block.add("Key", key)
    return block


def _verdict_lines(v: Verification | None) -> list[str]:
    """``verified``, ``DOES NOT VERIFY: <each failure>`` (one per line), or why nothing was."""
    if v is None:
        return ["not verified"]
    if v.verified is True:
        return ["verified"]
    if v.verified is False:
        lines = [f"DOES NOT VERIFY: {f.describe()}" for f in v.failures]
        return [lines[0], *("  " + line[len("DOES NOT VERIFY: "):] for line in lines[1:])]
    if v.reason == "verification was turned off":
        return ["not verified (--no-verify)"]
    return [f"not verified ({v.reason})"]


def _signer_label(signer: Signer) -> str:
    label = signer.scheme + (f" {signer.name}" if signer.name else "")
    if signer.min_sdk is not None:
        top = "any" if signer.max_sdk in (None, 0x7FFFFFFF) else signer.max_sdk
        label += f" SDK {signer.min_sdk}-{top}"
    return label


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _settings(block: Block, app: AndroidApp) -> None:
    block.add("Cleartext traffic", _yes_no(app.uses_cleartext_traffic))
    block.add("Network config", app.network_security_config)
    block.add("Allow backup", _yes_no(app.allow_backup))
    block.add("Install location", app.install_location)
    block.add("Libraries", ", ".join(lib.name + ("" if lib.required else " (optional)")
                                     for lib in app.uses_libraries))
    q = app.queries
    queries = [f"{len(q.packages)} package{'s' if len(q.packages) != 1 else ''}" if q.packages
               else None,
               f"{len(q.intents)} intent{'s' if len(q.intents) != 1 else ''}" if q.intents else None,
               f"{len(q.providers)} provider{'s' if len(q.providers) != 1 else ''}" if q.providers
               else None]
    block.add("Queries", ", ".join(x for x in queries if x))
    block.add("Screens", ", ".join(f"{k}={str(v).lower()}" for k, v in app.supports_screens.items()))


def _size(n: int) -> str:
    # An alignment is a power of two: named in its binary unit (README, "Sizes").
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} bytes"


def _layout(block: Block, app: AndroidApp, verbose: bool) -> None:
    """Install readiness facts: how resources.arsc, the stored entries and the native
    libraries lie in the archive, and each library's ELF LOAD alignment."""
    table = app.resources_table
    if table is not None:
        block.add("resources.arsc", "compressed" if table.compressed else
                  "stored, 4-byte aligned" if table.offset % 4 == 0 else
                  f"stored at offset {table.offset} (not 4-byte aligned)")
    if app.unaligned_entries:
        block.add("Zip alignment", f"{len(app.unaligned_entries)} stored entries not 4-byte "
                  "aligned (zipalign -c 4 fails)")
    libs = app.native_libraries
    if not libs:
        return
    if app.format is Format.APK:
        block.add("Native libs", "loaded from the APK (extractNativeLibs=false)"
                  if app.loads_libraries_from_apk else "extracted at install")
    mapped = app.format is Format.APK and app.loads_libraries_from_apk
    wide = [lib for lib in libs if lib.sixty_four_bit]
    not_ready = [lib.path for lib in wide if lib.ready_16k(mapped) is False]
    unknown = sum(1 for lib in wide if lib.ready_16k(mapped) is None)
    if not_ready:
        block.add("16 KB pages", "NOT READY: " + ", ".join(not_ready))
    elif wide and unknown == len(wide):
        # Nothing was judged: "ready" would claim what was not seen.
        block.add("16 KB pages", f"not judged (no ELF LOAD segment in the {len(wide)} 64-bit "
                                 f"librar{'y' if len(wide) == 1 else 'ies'})")
    elif wide:
        block.add("16 KB pages", "ready" + (f" ({unknown} of {len(wide)} 64-bit libraries not "
                                            "judged: no ELF LOAD segment)" if unknown else ""))
    if verbose:
        listed = block.child(f"Native libraries ({len(libs)})")
        for lib in libs:
            elf = ("not a readable ELF" if lib.bits is None else
                   f"{lib.bits}-bit, LOAD align "
                   + ("none" if lib.load_alignment is None else _size(lib.load_alignment)))
            where = ("compressed" if lib.layout.compressed else
                     f"stored at {lib.layout.offset}"
                     + (", 16 KB aligned" if lib.layout.aligned(16384) else
                        ", page-aligned" if lib.layout.aligned(4096) else ", not page-aligned"))
            listed.add(lib.path, f"{elf}; {where}")


def _components(block: Block, app: AndroidApp) -> None:
    """Counts per kind (real apps declare hundreds; ``--json`` lists every one)."""
    counts: dict[str, int] = {}
    for c in app.components:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    exported = sum(1 for c in app.components if c.exported)
    plural = {"activity": "activities", "activity-alias": "activity-aliases"}
    block.add("Components", ", ".join(
        f"{n} {kind if n == 1 else plural.get(kind, kind + 's')}" for kind, n in counts.items())
        + f" ({exported} exported)")


def render(app: AndroidApp, now: datetime | None, *, verbose: bool = False) -> Block:
    block = header(app)
    block.add("Package", app.package_name)
    version = app.version_name or "?"
    block.add("Version", f"{version} (versionCode {app.version_code})" if app.version_code is not None
              else version)
    block.add("SDK", _sdk(app))
    if app.platform_build_version_code is not None or app.platform_build_version_name:
        code = app.platform_build_version_code
        block.add("Platform build",
                  f"{app.platform_build_version_name or '?'} ({code if code is not None else '?'})")
    label = app.label.default
    if label is None and app.label.resource:
        label = f"(unresolved {app.label.resource})"
    block.add("Label", label)
    if app.label.localized:
        block.add("Localized", [f"{k}: {v}" for k, v in app.label.localized.items()])
    icon = app.icon
    if icon.resource:
        best = icon.best
        lines = [icon.resource + ("  (adaptive)" if icon.adaptive else "")]
        if best:
            lines.append(f"best: {best.path}  ({_icon_size(best)}, {best.density})")
            rasters = [f for f in icon.files if f.raster]
            mixed = len({f.format for f in rasters}) > 1
            lines.append("sizes: " + ", ".join(
                f"{f.density} {_icon_size(f) if mixed else f'{f.width}x{f.height}'}" for f in rasters))
        block.add("Icon", lines)
    block.add("Debuggable", "YES" if app.debuggable else "no")
    if app.test_only:
        block.add("Test only", "YES")
    block.add("Split", app.split)
    block.add("ABIs", ", ".join(app.abis) or "none (no native code)")
    block.add("Launcher", app.launcher_activity)
    block.add("TV launcher", app.leanback_launcher_activity)
    if app.components:
        _components(block, app)
    _settings(block, app)
    _layout(block, app, verbose)
    signing = app.signing
    if signing.signed:
        verdict = _verdict_lines(app.verification)
        block.add("Signed", [f"{', '.join(signing.schemes)}  {verdict[0]}", *verdict[1:]])
    else:
        block.add("Signed", "NO (unsigned)")
    if app.format is Format.AAB:
        block.add("Bundletool", app.bundletool_version)
    if app.modules:
        modules = block.child("Modules")
        for m in app.modules:
            parts = [m.kind, m.delivery, "instant" if m.instant else None,
                     f"title {m.title!r}" if m.title else None,
                     "ABIs " + ", ".join(m.abis) if m.abis else None]
            modules.add(m.name, ", ".join(p for p in parts if p))
    if app.deep_links:
        links = block.child(f"Deep links ({len(app.deep_links)})")
        for link in app.deep_links:
            links.rows.append(("-", link.url + ("  (verified app link)" if link.app_link else "")))
    if verbose and app.components:
        listed = block.child(f"Components ({len(app.components)})")
        for c in app.components:
            flag = {True: "exported", False: "not exported", None: "exported unset"}[c.exported]
            alias = f" -> {c.target_activity}" if c.target_activity else ""
            listed.add(c.kind, f"{c.name}{alias}  ({flag})")
    if app.permissions:
        perms = block.child(f"Permissions ({len(app.permissions)})")
        for p in app.permissions:
            perms.rows.append(("-", p))
    if app.features:
        feats = block.child(f"Features ({len(app.features)})")
        for f in app.features:
            feats.rows.append(("-", f.name + ("" if f.required else "  (not required)")))
    # One block per signing certificate, naming every scheme and signer it signs for: a
    # v1+v2+v3 APK signed by one key shows that key once.
    groups: dict[str, list[Signer]] = {}
    for signer in signing.signers:
        key = signer.certificates[0].sha256 if signer.certificates else f"none-{id(signer)}"
        groups.setdefault(key, []).append(signer)
    for i, signers in enumerate(groups.values(), 1):
        title = f"Signer {i} ({', '.join(_signer_label(s) for s in signers)})"
        first = signers[0]
        if not first.certificates:
            block.child(f"{title}: no certificate")
            continue
        signer_block = certificate_block(block, title, first.certificates[0], now)
        for signer in signers:
            signer_block.add(_signer_label(signer).split(" SDK ")[0],
                             _verdict_lines(signer.verification))
        with_lineage = next((s for s in signers if s.lineage), None)
        lineage = with_lineage.lineage if with_lineage is not None else ()
        if with_lineage is not None and with_lineage.lineage_verification is not None:
            signer_block.add("Lineage", _verdict_lines(with_lineage.lineage_verification))
        for j, node in enumerate(lineage, 1):
            node_block = certificate_block(signer_block, f"Lineage {j} of {len(lineage)}",
                                           node.certificate, now)
            node_block.add("Capabilities", ", ".join(node.capabilities) or "none")
    return block


def _icon_size(f: IconFile) -> str:
    """``192x192 WebP``: an icon file's pixel size and format as its header gives them."""
    return f"{f.width}x{f.height} {NAMES.get(f.format or '', f.format)}"
