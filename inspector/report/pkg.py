"""The human report of a macOS installer package: product, app, minimum OS, signature, components."""

from __future__ import annotations

from datetime import datetime

from inspector.records.pkg import Pkg
from inspector.report import header
from inspector.report.text import Block, when

__all__ = ["render"]


def render(record: Pkg, now: datetime | None, *, verbose: bool = False) -> Block:
    block = header(record)
    block.add("Kind", "product archive (Distribution + components)" if record.kind == "product"
              else "component package")
    block.add("Title", record.title)
    block.add("Product id", record.product_id)
    block.add("Product version", record.product_version)
    app = record.app
    if app is not None:
        block.add("Bundle id", app.CFBundleIdentifier)
        version = app.CFBundleShortVersionString or "?"
        block.add("Version", f"{version} (build {app.CFBundleVersion})" if app.CFBundleVersion
                  else version)
        names = [n for n in (app.CFBundleDisplayName, app.CFBundleName) if n]
        block.add("Name", " / ".join(dict.fromkeys(names)))
        block.add("App minimum OS", app.LSMinimumSystemVersion)
        where = app.path or "?"
        if app.component:
            where += f" (component {app.component})"
        block.add("App", f"{where}, from {app.source}")
    else:
        block.add("App", "none found (no .app bundle in any payload or PackageInfo)")
    block.add("Minimum macOS", record.minimum_os)
    block.add("Architectures", ", ".join(record.host_architectures))
    sig = record.signature
    if sig.signed and sig.leaf is not None:
        leaf = sig.leaf
        block.add("Signature", " + ".join(sig.styles))
        block.add("Signed by", leaf.subject)
        block.add("Team id", sig.team_id)
        block.add("SHA-256", leaf.sha256)
        block.add("Valid until", when(leaf.not_after, now))
        if len(sig.chain) > 1:
            block.add("Chain", [c.subject for c in sig.chain[1:]])
    elif sig.signed:
        block.add("Signature", f"{' + '.join(sig.styles)}, no certificate")
    else:
        block.add("Signature", "unsigned")
    _verification(block, record)
    for component in record.components:
        child = block.child(f"Component {component.identifier or component.folder or '?'}")
        child.add("Folder", component.folder)
        child.add("Version", component.version)
        child.add("Install location", component.install_location)
        child.add("Payload", component.payload or "none")
        child.add("Files", component.number_of_files)
        if component.install_kbytes is not None:
            child.add("Installed size", f"{component.install_kbytes} KB")
        for bundle in component.bundles:
            versions = " / ".join(v for v in (bundle.CFBundleShortVersionString,
                                              bundle.CFBundleVersion) if v)
            child.add("Bundle", f"{bundle.path}  {bundle.id or '?'}  {versions}".rstrip())
    return block


def _verification(block: Block, record: Pkg) -> None:
    verification = record.verification
    if verification is None:
        return
    if verification.verified is None:
        block.add("Verified", f"not checked ({verification.reason})")
        return
    checked = ", ".join(record.checked)
    if verification.verified:
        block.add("Verified", f"yes: {checked}" + ("" if record.signature.signed
                                                     else " (no signature to verify)"))
        return
    count = len(verification.failures)
    block.add("Verified", [f"NO: {count} failure{'s' if count > 1 else ''}",
                           *(f"- {f.describe()}" for f in verification.failures),
                           f"checked: {checked}"])
