"""iOS app archives: Info.plist, embedded profile and code signature of the app and every nested
bundle, read member by member from the zip (nothing is extracted, the archive is never read whole).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspector import certs as x509
from inspector.certs import Certificate
from inspector.containers import macho
from inspector.containers.image import HEADER_BYTES, read_header
from inspector.containers.plist import MAX_PLIST_BYTES, load_plist_dict
from inspector.containers.zip import MAX_RATIO, ZipArchive
from inspector.errors import ArtifactError
from inspector.format import Format
from inspector.formats import Scratch, Source
from inspector.formats._bundle_depth import bundle_depth
from inspector.formats.profile import (
    MAX_PROFILE_BYTES,
    PlistFields,
    bundle_id_matches,
    covers,
    embedded_profile,
)
from inspector.limits import (
    MAX_FRAMEWORK_SIGNATURE_BYTES,
    MAX_FRAMEWORKS,
    MAX_ICON_BYTES,
    MAX_ICONS_MEASURED,
    MAX_INT_DIGITS,
    MAX_NESTED_BUNDLES,
)
from inspector.records.apple import (
    AppBundle,
    BundleKind,
    CodeSignature,
    EmbeddedCode,
    IconImage,
    IpaApp,
    ProvisioningProfile,
)

__all__ = ["DEVICE_FAMILIES", "icon_image", "parse", "verify"]

#: UIDeviceFamily numbers as Apple documents them (5 was never used).
DEVICE_FAMILIES = {1: "iPhone", 2: "iPad", 3: "TV", 4: "Watch", 6: "CarPlay", 7: "Vision"}

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Payload/ may sit under one top-level folder (zipped from Finder); __MACOSX/ holds resource forks.
_APP_ROOT = re.compile(r"^((?:[^/]+/)?Payload/[^/]+\.app/)")
_NESTED = re.compile(r"(?:^|/)([^/]+)/[^/]+\.(app|appex)/$")
_ICON_IDIOM = re.compile(r"~(?:ipad|iphone)$")
_ICON_SCALE = re.compile(r"@(\d)x$")
#: Characters of one icon name a warning quotes (the name itself stays whole in the record).
_SHOWN_NAME = 100


class _Index:
    """Every member name, indexed once by folder: each bundle then looks at its own files only
    (a bundle of 40k members with 20k icon names is no longer 800 million comparisons)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.children: dict[str, dict[str, str]] = {}
        for name in names:
            folder, _, base = name.rpartition("/")
            self.children.setdefault(folder + "/", {})[base] = name
        #: Uncompressed bytes of framework executables streamed so far for their signatures.
        self.framework_bytes = 0

    def files_in(self, folder: str) -> dict[str, str]:
        """``{base name: member}`` of the files directly inside ``folder`` (ending in ``/``)."""
        return self.children.get(folder, {})

    def subfolders(self, folder: str) -> list[str]:
        """The folders directly inside ``folder`` that hold files, sorted."""
        return sorted(f for f in self.children
                      if f.startswith(folder) and f != folder and "/" not in f[len(folder):-1])


def parse(source: Source) -> IpaApp:
    archive = source.archive
    if archive is None:
        raise ArtifactError("not a zip archive, so not an IPA")
    names = [n for n in archive.names if not n.startswith("__MACOSX/")]
    root = _app_root(archive, names)
    index = _Index(names)
    warnings: list[str] = []
    encrypted = any(n.startswith(root) and "SC_Info/" in n[len(root):] for n in names)
    scratch = source.scratch if source.scratch is not None else Scratch()
    app = _bundle(archive, index, root, "app", warnings, encrypted, scratch)
    nested = []
    nested_roots = _nested_roots(names, root)
    if len(nested_roots) > MAX_NESTED_BUNDLES:
        warnings.append(f"{len(nested_roots)} nested bundles: only the first {MAX_NESTED_BUNDLES} "
                        "are read")
        del nested_roots[MAX_NESTED_BUNDLES:]
    for nested_root, kind in nested_roots:
        try:
            nested.append(_bundle(archive, index, nested_root, kind, warnings, encrypted,
                                  scratch))
        except ArtifactError as exc:
            # One broken extension should not hide the facts of the app and its other bundles.
            warnings.append(f"{nested_root}: skipped: {exc.problem}")
    return IpaApp(
        format=Format.IPA,
        file=source.file,
        app=app,
        nested_bundles=tuple(nested),
        encrypted=encrypted,
        warnings=tuple(warnings),
        itunes_metadata=root.split("Payload/")[0] + "iTunesMetadata.plist" in archive,
    )


def _app_root(archive: ZipArchive, names: list[str]) -> str:
    roots = list(dict.fromkeys(m.group(1) for m in map(_APP_ROOT.match, names) if m))
    if not roots:
        raise ArtifactError("no app bundle: the archive has no Payload/<name>.app/ folder")
    with_plist = [r for r in roots if r + "Info.plist" in archive]
    if not with_plist:
        raise ArtifactError("app bundle has no Info.plist", member=roots[0] + "Info.plist")
    if len(with_plist) > 1:
        archive.warnings.append(
            f"{len(with_plist)} app bundles in Payload/; reporting {with_plist[0]} "
            f"(also: {', '.join(with_plist[1:4])})"
        )
    return with_plist[0]


def _nested_roots(names: list[str], root: str) -> list[tuple[str, BundleKind]]:
    found: list[tuple[str, BundleKind]] = []
    for name in names:
        if not name.startswith(root) or not name.endswith("/Info.plist"):
            continue
        folder = name[: -len("Info.plist")]
        if folder == root:
            continue
        match = _NESTED.search(folder[len(root) - 1:])
        if match is None:
            continue  # storyboards, settings bundles, frameworks: not separately signed apps
        container, suffix = match.groups()
        kind: BundleKind
        if suffix == "appex":
            kind = "extension"
        elif container == "Watch":
            kind = "watch-app"
        else:
            kind = "nested-app"
        found.append((folder, kind))
    return sorted(found)


def _bundle(archive: ZipArchive, index: _Index, root: str, kind: BundleKind,
            warnings: list[str], encrypted: bool,
            scratch: Scratch) -> AppBundle:
    info_name = root + "Info.plist"
    plist = load_plist_dict(archive.read(info_name, limit=MAX_PLIST_BYTES), member=info_name)
    notes: list[str] = []
    f = PlistFields(plist, notes)
    bundle_id = f.text("CFBundleIdentifier")
    executable = f.text("CFBundleExecutable")
    families = _device_families(plist.get("UIDeviceFamily"), notes)
    icon_name, icon_files = _icon_names(plist)
    icon, in_car, icon_images = _largest_icon(archive, index.files_in(root), root, icon_files, notes)
    if kind == "app" and icon is None:
        if in_car:
            notes.append(
                f"the app icon{f' ({icon_name})' if icon_name else ''} exists only in Assets.car, "
                "the compiled asset catalog inspector cannot read: no icon to extract"
            )
        elif icon_files:
            more = f" and {len(icon_files) - 10} more" if len(icon_files) > 10 else ""
            # A name is the file's text: a warning quotes at most a line's worth of each.
            shown = [n if len(n) <= _SHOWN_NAME else n[:_SHOWN_NAME] + "..." for n in icon_files[:10]]
            notes.append(f"no icon file in the bundle for {', '.join(shown)}{more}")
    profile = _profile(archive, root, notes, encrypted)
    signature = _code_signature(archive, root, executable, notes, scratch) if executable else None
    if executable is None:
        notes.append("Info.plist has no CFBundleExecutable: no code signature to read")

    in_profile = None
    if profile is not None and signature is not None and signature.certificate is not None:
        in_profile = signature.certificate.sha1 in {c.sha1 for c in profile.DeveloperCertificates}
        if not in_profile:
            notes.append(
                f"the signing certificate ({signature.certificate.common_name}, SHA-1 "
                f"{signature.certificate.sha1}) is not one of the profile's DeveloperCertificates: "
                "devices will refuse to install the app"
            )
    matches = None
    if profile is not None and profile.application_identifier and bundle_id:
        matches = bundle_id_matches(profile.application_identifier, bundle_id)
        if not matches:
            notes.append(
                f"CFBundleIdentifier {bundle_id} is not covered by the profile's "
                f"application-identifier {profile.application_identifier}"
            )
    if profile is not None and signature is not None:
        _compare_entitlements(profile, signature, notes)
    entitlements = (signature.entitlements if signature is not None and signature.entitlements
                    else profile.Entitlements if profile is not None else {})
    top = index.files_in(root)
    bundle = AppBundle(
        kind=kind,
        path=root,
        CFBundleIdentifier=bundle_id,
        CFBundleShortVersionString=f.text("CFBundleShortVersionString"),
        CFBundleVersion=f.text("CFBundleVersion"),
        CFBundleDisplayName=f.text("CFBundleDisplayName"),
        CFBundleName=f.text("CFBundleName"),
        CFBundleExecutable=executable,
        MinimumOSVersion=f.text("MinimumOSVersion"),
        CFBundleSupportedPlatforms=f.texts("CFBundleSupportedPlatforms"),
        UIDeviceFamily=families,
        DTPlatformName=f.text("DTPlatformName"),
        DTSDKName=f.text("DTSDKName"),
        DTXcode=f.text("DTXcode"),
        CFBundleIconName=icon_name,
        CFBundleIconFiles=icon_files,
        icon=icon,
        icon_only_in_assets_car=in_car,
        mobileprovision=profile,
        code_signature=signature,
        certificate_in_profile=in_profile,
        bundle_id_matches_profile=matches,
        privacy_manifest=top.get("PrivacyInfo.xcprivacy"),
        frameworks=_frameworks(archive, index, root, notes, scratch),
        info_plist=plist,
        **bundle_depth(plist, entitlements, notes),
        icon_images=icon_images,
    )
    # Last: the typed reads above may have added notes of their own.
    warnings.extend(f"{root}: {note}" for note in notes)
    return bundle


def _frameworks(archive: ZipArchive, index: _Index, root: str, notes: list[str],
                scratch: Scratch) -> tuple[EmbeddedCode, ...]:
    """Every ``Frameworks/*.framework`` and ``Frameworks/*.dylib`` of a bundle, with the team
    that signed it. Signatures sit at the end of each binary, so a deflated one is inflated up to
    there: past :data:`MAX_FRAMEWORK_SIGNATURE_BYTES` in all, the rest are listed unread."""
    folder = root + "Frameworks/"
    found: list[tuple[str, str, str | None]] = [  # (kind, path in bundle, Info.plist member)
        ("dylib", member[len(root):], None)
        for base, member in sorted(index.files_in(folder).items()) if base.endswith(".dylib")
    ]
    found += [("framework", sub[len(root):].rstrip("/"), sub + "Info.plist")
              for sub in index.subfolders(folder) if sub.endswith(".framework/")]
    if len(found) > MAX_FRAMEWORKS:
        notes.append(f"{len(found)} frameworks and dylibs: only the first {MAX_FRAMEWORKS} are read")
        del found[MAX_FRAMEWORKS:]
    out = []
    for kind, path, info_member in found:
        plist: Mapping[str, Any] = {}
        if info_member is not None and info_member in archive:
            try:
                plist = load_plist_dict(archive.read(info_member, limit=MAX_PLIST_BYTES),
                                        member=info_member)
            except ArtifactError as exc:
                notes.append(f"{path}: Info.plist unreadable: {exc.problem}")
        f = PlistFields(plist, notes)
        if kind == "dylib":
            folder_of, _, exe = (root + path).rpartition("/")
            folder_of += "/"
        else:
            folder_of, exe = root + path + "/", f.text("CFBundleExecutable") or path.rsplit(
                "/", 1)[-1].removesuffix(".framework")
        signature = None
        member = folder_of + exe
        if member in archive:
            size = archive.info(member).file_size
            if index.framework_bytes + size > MAX_FRAMEWORK_SIGNATURE_BYTES:
                notes.append(f"{path}: signature not read (the frameworks' budget of "
                             f"{MAX_FRAMEWORK_SIGNATURE_BYTES >> 20} MiB is spent)")
            else:
                index.framework_bytes += size
                signature = _code_signature(archive, folder_of, exe, notes, scratch)
        else:
            notes.append(f"{path}: its binary {exe} is missing")
        cert = signature.certificate if signature is not None else None
        out.append(EmbeddedCode(
            path=path,
            kind=kind,  # type: ignore[arg-type]
            CFBundleIdentifier=f.text("CFBundleIdentifier"),
            CFBundleShortVersionString=f.text("CFBundleShortVersionString"),
            CFBundleVersion=f.text("CFBundleVersion"),
            team_id=(signature.team_id or (cert.organizational_unit if cert else None))
            if signature is not None else None,
            signed_by=cert.common_name if cert is not None else None,
            adhoc=signature.adhoc if signature is not None else None,
        ))
    return tuple(out)


def _device_families(value: Any, notes: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        # Some build tools write the numbers as strings.
        # isdigit() alone takes "²" (which int() refuses) and any length (int() is quadratic).
        plain = isinstance(item, str) and item.isascii() and item.isdigit()
        number = int(item) if plain and len(item) <= MAX_INT_DIGITS else item
        if isinstance(number, int) and not isinstance(number, bool):
            out.append(DEVICE_FAMILIES.get(number, f"unknown ({number})"))
        else:
            notes.append(f"UIDeviceFamily holds {item!r}, not a number: ignored")
    return tuple(out)


def _icon_names(plist: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """``CFBundleIconName`` and every icon file name, in the order the plist lists them."""
    names: list[str] = []
    icon_name = None
    for key in ("CFBundleIcons", "CFBundleIcons~ipad"):
        icons = plist.get(key)
        primary = icons.get("CFBundlePrimaryIcon") if isinstance(icons, dict) else None
        if isinstance(primary, str):
            names.append(primary)
        elif isinstance(primary, dict):
            files = primary.get("CFBundleIconFiles")
            if isinstance(files, list):
                names.extend(n for n in files if isinstance(n, str))
            if icon_name is None and isinstance(primary.get("CFBundleIconName"), str):
                icon_name = primary["CFBundleIconName"]
    legacy = plist.get("CFBundleIconFiles")
    if isinstance(legacy, list):
        names.extend(n for n in legacy if isinstance(n, str))
    if isinstance(plist.get("CFBundleIconFile"), str):
        names.append(plist["CFBundleIconFile"])
    if icon_name is None and isinstance(plist.get("CFBundleIconName"), str):
        icon_name = plist["CFBundleIconName"]
    return icon_name, tuple(dict.fromkeys(names))


_DIGITS = frozenset("0123456789")


def _icon_points(stem: str) -> float:
    """The points an icon name states: the number before the first ``x`` that has a digit after
    it (``AppIcon60x60`` 60, ``AppIcon83.5x83.5`` 83.5), else 0.

    A scan, not a regular expression: searching ``\\d+x\\d`` in a long run of digits retries at
    every digit (a 20,000-character name took seconds).
    """
    for i, char in enumerate(stem):
        if char != "x" or i + 1 >= len(stem) or stem[i + 1] not in _DIGITS:
            continue
        start = i
        while start > 0 and stem[start - 1] in _DIGITS:
            start -= 1
        if start == i:
            continue
        if start >= 2 and stem[start - 1] == "." and stem[start - 2] in _DIGITS:
            start -= 1
            while start > 0 and stem[start - 1] in _DIGITS:
                start -= 1
        number = stem[start:i]
        return float(number) if len(number) <= MAX_INT_DIGITS else 0.0
    return 0.0


def _largest_icon(archive: ZipArchive, top: Mapping[str, str], root: str, icon_files: tuple[str, ...],
                  notes: list[str]) -> tuple[str | None, bool, tuple[IconImage, ...]]:
    """The member of the largest icon, whether the icon lives only in Assets.car, and every icon
    file with its pixel size.

    ``AppIcon60x60`` names a family of files: ``AppIcon60x60@2x.png``, ``AppIcon60x60@3x.png``,
    ``AppIcon76x76@2x~ipad.png``... The largest is the PNG of most pixels by its header; then
    points x scale, both read from the file name, and the member's size break ties (and rank
    files whose header cannot be read or is no PNG's, which lose to any PNG).
    ``top`` maps the base names of the files directly in the bundle to their members.
    """
    stems: dict[str, float] = {}
    for icon_name in icon_files:
        stem = icon_name[:-4] if icon_name.lower().endswith(".png") else icon_name
        stems[stem] = _icon_points(stem)
    named: dict[str, float] = {}
    for base, member in top.items():
        # A file matches an icon name when it is <stem>[@<n>x][~ipad|~iphone].png: undo the
        # optional suffixes from the end, every way they can be read, and look the stem up.
        if not base.endswith(".png"):
            continue
        for stem, scale in _icon_stems(base[:-4]):
            if stem in stems:
                named[member] = max(named.get(member, 0.0), stems[stem] * scale)
    images = tuple(_icon_image(archive, member, notes) if n < MAX_ICONS_MEASURED else IconImage(member)
                   for n, member in enumerate(sorted(named)))
    if len(named) > MAX_ICONS_MEASURED:
        notes.append(f"{len(named)} icon files: only the first {MAX_ICONS_MEASURED} were measured")
    # A readable PNG first: that is what icon_image converts and writes.
    best = max(images, default=None, key=lambda i: (
        i.format == "png", (i.width or 0) * (i.height or 0), named[i.path],
        archive.info(i.path).file_size, i.path))
    if best is not None:
        return best.path, False, images
    return None, root + "Assets.car" in archive, images


def _icon_image(archive: ZipArchive, member: str, notes: list[str]) -> IconImage:
    """``member`` with the format and size its header gives (a CgBI PNG's IHDR follows its CgBI
    chunk), or without them and a note when the header cannot be read."""
    try:
        header = read_header(archive.read_head(member, HEADER_BYTES))
    except ArtifactError as exc:
        notes.append(f"icon file {member}: {exc.problem}")
        return IconImage(member)
    if header is None:
        notes.append(f"icon file {member} is not a PNG image")
        return IconImage(member)
    return IconImage(member, header.format, header.width, header.height)


def _icon_stems(name: str) -> list[tuple[str, int]]:
    """Every ``(stem, scale)`` that ``name`` (a file name without ``.png``) can be read as."""
    bare = [name]
    idiom = _ICON_IDIOM.search(name)
    if idiom:
        bare.append(name[: idiom.start()])
    out = [(n, 1) for n in bare]
    for n in bare:
        scale = _ICON_SCALE.search(n)
        if scale:
            out.append((n[: scale.start()], int(scale.group(1))))
    return out


def _profile(archive: ZipArchive, root: str, notes: list[str],
             encrypted: bool) -> ProvisioningProfile | None:
    member = root + "embedded.mobileprovision"
    if member not in archive:
        if not encrypted:
            notes.append("no embedded.mobileprovision: only an App Store download lacks one; "
                         "a build for testers cannot install without it")
        return None
    try:
        profile = embedded_profile(archive.read(member, limit=MAX_PROFILE_BYTES), member)
    except ArtifactError as exc:
        notes.append(f"embedded.mobileprovision unreadable: {exc.problem}")
        return None
    notes.extend(f"embedded.mobileprovision: {w}" for w in profile.warnings)
    return profile


def _code_signature(archive: ZipArchive, root: str, executable: str, notes: list[str],
                    scratch: Scratch) -> CodeSignature | None:
    """The executable's code signature as the record shows it (None, with a note, when there is
    none to show). The raw slices read are left in ``scratch`` for the verifier."""
    member = root + executable
    if member not in archive:
        notes.append(f"the executable {executable} named by CFBundleExecutable is missing")
        return None
    info = archive.info(member)
    if info.compress_size and info.file_size > (1 << 20) and (
        info.file_size / info.compress_size > MAX_RATIO
    ):
        notes.append(f"executable {executable}: compression ratio looks like a zip bomb: signature not read")
        return None
    try:
        # Streamed: macho reads the headers and the signature region only, seeking forward.
        with archive.open(info.filename) as fh:
            raw = macho.read_signed_slices(fh, info.file_size)
            if fh.tell() == info.file_size:
                # Read to the end, where zipfile checks the CRC: a second read could only
                # find these same slices.
                scratch.keep_signed_slices(member, raw)
        slices = macho.code_signatures(raw)
    except ArtifactError as exc:
        notes.append(f"executable {executable}: code signature unreadable: {exc.problem}")
        return None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError, ValueError) as exc:
        notes.append(f"executable {executable}: corrupt zip member ({exc})")
        return None
    if not slices:
        notes.append(f"executable {executable} is not code-signed")
        return None
    first = slices[0]
    certificate, der = _signer(first, executable, notes)
    for other in slices[1:]:
        # Each slice has its own CMS blob (it signs that slice's hashes). Whether the same
        # certificate signed it: its DER inside the other blob is enough, and far cheaper than
        # parsing every blob (fat apps carry two to four).
        same_signer = (der in other.cms) if der and other.cms else not other.cms or other.adhoc
        if (other.identifier, other.team_id, other.adhoc) != (
            first.identifier, first.team_id, first.adhoc
        ) or not same_signer:
            notes.append(f"executable {executable}: the {other.arch} slice is signed differently "
                         f"from the {first.arch} slice, which is the one shown")
    entitlements: dict[str, Any] = {}
    if first.entitlements:
        try:
            entitlements = load_plist_dict(first.entitlements, member=member)
        except ArtifactError as exc:
            notes.append(f"executable {executable}: signed entitlements unreadable: {exc.problem}")
    return CodeSignature(
        member=member,
        archs=tuple(s.arch for s in slices),
        identifier=first.identifier,
        team_id=first.team_id,
        cd_hash_type=first.cd_hash_type,
        adhoc=first.adhoc,
        certificate=certificate,
        entitlements=entitlements,
    )


def _signer(signature: macho.CodeSignature, executable: str,
            notes: list[str]) -> tuple[Certificate | None, bytes | None]:
    """The certificate that signed the slice's CMS blob, and its DER."""
    if not signature.cms or signature.adhoc:
        return None, None
    try:
        found = x509.signer_certificate(signature.cms)
    except ArtifactError as exc:
        notes.append(f"executable {executable} ({signature.arch}): CMS blob unreadable "
                     f"({exc.problem})")
        return None, None
    if found is None:
        notes.append(f"executable {executable} ({signature.arch}): CMS blob has no certificate")
        return None, None
    return found


def _compare_entitlements(profile: ProvisioningProfile, signature: CodeSignature,
                          notes: list[str]) -> None:
    """The signed entitlements must be allowed by the profile: check the two that break installs."""
    signed_id = signature.entitlements.get("application-identifier")
    pattern = profile.application_identifier
    if isinstance(signed_id, str) and pattern and not covers(pattern, signed_id):
        notes.append(f"signed application-identifier {signed_id} is not covered by the "
                     f"profile's {profile.application_identifier}")
    signed_debug = signature.entitlements.get("get-task-allow")
    if signed_debug is True and profile.Entitlements.get("get-task-allow") is not True:
        notes.append("the executable is signed with get-task-allow but the profile does not "
                     "allow it (a development signature with a distribution profile)")


def verify(source: Source, record: IpaApp) -> IpaApp:
    """The record with every bundle's code signature, seals and entitlements verified
    (inspector/verify/bundles.py)."""
    from inspector.verify.bundles import verify_ipa

    if source.archive is None:
        raise ArtifactError("not a zip archive, so not an IPA")
    signed = source.scratch.signed_slices if source.scratch is not None else {}
    return verify_ipa(source.archive, record, signed)


def icon_image(path: Path, record: IpaApp) -> tuple[str, bytes] | None:
    """The app's largest icon as a standard PNG (CgBI icons are converted), or None."""
    member = record.app.icon
    if member is None:
        return None
    with ZipArchive(path) as archive:
        data = archive.read(member, limit=MAX_ICON_BYTES)
    from inspector.containers import cgbi  # only --extract-icon pays for it

    try:
        if cgbi.is_cgbi(data):
            data = cgbi.to_standard_png(data)
    except ArtifactError as exc:
        raise exc.in_member(member) from exc.__cause__
    if not data.startswith(_PNG_MAGIC):
        raise ArtifactError("icon is not a PNG", member=member)
    return member, data
