"""Verify every bundle of an IPA as a device does before it installs it: each executable's code
signature (every slice), each bundle's resource seals, each framework and dylib, each embedded
profile's CMS signature, and the signed entitlements against the bundle's embedded profile.
Reads members in place from the open zip.
"""

from __future__ import annotations

import dataclasses
import stat
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, cast

from inspector.containers import macho
from inspector.containers.plist import MAX_PLIST_BYTES, load_plist_dict
from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.limits import MAX_PROFILE_BYTES
from inspector.records.apple import AppBundle, EmbeddedCode, IpaApp
from inspector.records.verification import Failure, Verification
from inspector.verify import codesign, entitlements, seals
from inspector.verify.profile import verify_profile_bytes

__all__ = ["verify_ipa"]

#: Bytes inflated per piece for page hashes: a few pages, never an executable whole.
_PIECE = 1 << 16

_RESOURCES = "_CodeSignature/CodeResources"


def verify_ipa(archive: ZipArchive, record: IpaApp,
               signed: Mapping[str, tuple[macho.SignedSlice, ...]] | None = None) -> IpaApp:
    """The record with ``verification`` filled in on every bundle, framework and the whole IPA.

    ``signed`` maps members of ``archive`` to what :func:`macho.read_signed_slices` returned for
    them when the parse read them to their end; those members are not read again for their
    signatures (the page hashes still read them)."""
    checker = _Checker(archive, signed or {})
    bundles = [checker.bundle(b) for b in record.bundles]
    failures = [f for b in bundles for f in _failures_of(b)]
    return dataclasses.replace(record, app=bundles[0], nested_bundles=tuple(bundles[1:]),
                               verification=Verification.of(failures))


def _failures_of(bundle: AppBundle) -> list[Failure]:
    found = list(bundle.verification.failures if bundle.verification else ())
    for code in bundle.frameworks:
        if code.verification is not None:
            found.extend(code.verification.failures)
    return found


class _Checker:
    def __init__(self, archive: ZipArchive,
                 signed: Mapping[str, tuple[macho.SignedSlice, ...]]) -> None:
        self.archive = archive
        self._signed = signed
        self.files: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infos():
            if not info.filename.endswith("/") and not info.filename.startswith("__MACOSX/"):
                self.files.setdefault(info.filename.rsplit("/", 1)[0] + "/", []).append(info)
        self._cdhashes: dict[str, tuple[bytes, ...] | None] = {}
        # An iOS container seals its nested bundles' files too: each member is read once.
        self._digested: dict[str, dict[str, bytes]] = {}

    # -- one bundle --------------------------------------------------------------------------
    def bundle(self, bundle: AppBundle) -> AppBundle:
        failures = self.code(bundle.path, bundle.CFBundleExecutable)
        signature = bundle.code_signature
        profile = bundle.mobileprovision
        if profile is not None:
            member = bundle.path + "embedded.mobileprovision"
            try:
                checked = verify_profile_bytes(
                    self.archive.read(member, limit=MAX_PROFILE_BYTES), member)
            except ArtifactError as exc:
                checked = Verification.of([Failure("profile", f"cannot be read: {exc.problem}",
                                                   member=member)])
            failures.extend(checked.failures)
            profile = dataclasses.replace(profile, verification=checked)
            if signature is not None:
                failures.extend(entitlements.disallowed(
                    signature.entitlements, profile.Entitlements, member=signature.member))
        frameworks = tuple(self.framework(bundle.path, code) for code in bundle.frameworks)
        return dataclasses.replace(bundle, frameworks=frameworks, mobileprovision=profile,
                                   verification=Verification.of(failures))

    def framework(self, root: str, code: EmbeddedCode) -> EmbeddedCode:
        if code.kind == "dylib":
            folder, _, exe = (root + code.path).rpartition("/")
            try:
                failures = self.executable(folder + "/", exe, bundle=False)
            except ArtifactError as exc:
                failures = [Failure(codesign.SCHEME, f"cannot be verified: {exc.problem}",
                                    member=root + code.path)]
        else:
            folder = root + code.path + "/"
            failures = self.code(folder, self._executable_of(folder))
        return dataclasses.replace(code, verification=Verification.of(failures))

    def code(self, root: str, executable: str | None) -> list[Failure]:
        """A bundle's executable and seals; what cannot be read (a budget spent, a corrupt
        member) is a failure of this bundle, and the others are still verified."""
        try:
            return self._code(root, executable)
        except ArtifactError as exc:
            return [Failure(codesign.SCHEME, f"cannot be verified: {exc.problem}",
                            member=exc.member or root)]

    def _code(self, root: str, executable: str | None) -> list[Failure]:
        failures = []
        if executable is None:
            failures.append(Failure(codesign.SCHEME, "Info.plist names no CFBundleExecutable: "
                                    "nothing to verify", member=root + "Info.plist"))
        else:
            failures.extend(self.executable(root, executable, bundle=True))
        failures.extend(self.seals(root, executable))
        return failures

    def executable(self, root: str, name: str, *, bundle: bool) -> list[Failure]:
        member = root + name
        if member not in self.archive:
            return [Failure(codesign.SCHEME, "the executable is missing", member=member)]
        externals: dict[int, bytes | None] = {}
        if bundle:
            for slot, rel in ((1, "Info.plist"), (3, _RESOURCES)):
                externals[slot] = (self.archive.read(root + rel, limit=MAX_PLIST_BYTES)
                                   if root + rel in self.archive else None)
        size = self.archive.info(member).file_size
        try:
            # _Stream has the read, seek, tell and close that the Mach-O readers call.
            results = codesign.verify_macho(
                lambda: cast(BinaryIO, _Stream(self.archive.chunks(member, _PIECE))),
                size, member, externals, slices=self._signed.get(member))
        except ArtifactError as exc:
            return [Failure(codesign.SCHEME, f"code signature unreadable: {exc.problem}",
                            member=member)]
        if not results:
            return [Failure(codesign.SCHEME, "the executable is not code-signed", member=member)]
        self._cdhashes[member] = tuple(h for r in results for h in r.cdhashes)
        failures = [f for r in results for f in r.failures]
        certificates = {r.certificate for r in results if not r.adhoc}
        if len(certificates) > 1:
            failures.append(Failure(codesign.SCHEME, "the slices are signed by different "
                                    "certificates", member=member))
        return failures

    def seals(self, root: str, executable: str | None) -> list[Failure]:
        member = root + _RESOURCES
        if member not in self.archive:
            return [Failure(seals.SCHEME, "the bundle has no _CodeSignature/CodeResources: its "
                            "resources are not sealed", member=member)]
        try:
            resources = seals.parse_code_resources(self.archive.read(member,
                                                                     limit=MAX_PLIST_BYTES))
        except ArtifactError as exc:
            return [Failure(seals.SCHEME, exc.problem, member=member)]
        files = {}
        for folder, infos in self.files.items():
            if folder.startswith(root):
                for info in infos:
                    files[info.filename[len(root):]] = seals.BundleFile(
                        info.filename, self._symlink(info))
        try:
            return seals.verify_seals(resources, files, self._digests,
                                      lambda path: self._nested(root + path), executable, root)
        except ArtifactError as exc:
            return [Failure(seals.SCHEME, exc.problem, member=exc.member or member)]

    # -- helpers -----------------------------------------------------------------------------
    def _digests(self, member: str, names: frozenset[str]) -> dict[str, bytes]:
        known = self._digested.get(member, {})
        if not names <= known.keys():
            known = {**known, **seals.digest(self.archive.chunks(member), names - known.keys())}
            self._digested[member] = known
        return known

    def _symlink(self, info: zipfile.ZipInfo) -> str | None:
        if stat.S_ISLNK(info.external_attr >> 16) and info.file_size < 4096:
            return self.archive.read(info.filename, limit=4096).decode("utf-8", "replace")
        return None

    def _executable_of(self, folder: str) -> str | None:
        plist: dict[str, Any] = {}
        if folder + "Info.plist" in self.archive:
            try:
                plist = load_plist_dict(self.archive.read(folder + "Info.plist",
                                                          limit=MAX_PLIST_BYTES),
                                        member=folder + "Info.plist")
            except ArtifactError:
                plist = {}
        name = plist.get("CFBundleExecutable")
        if isinstance(name, str):
            return name
        return folder.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]

    def _nested(self, path: str) -> tuple[bytes, ...] | None:
        """CDHashes of the nested code at ``path``: a Mach-O member, or a bundle folder's main
        executable."""
        member = path
        if path not in self.archive:
            exe = self._executable_of(path + "/")
            member = path + "/" + exe if exe else path
        if member not in self._cdhashes:
            self._cdhashes[member] = self._read_cdhashes(member)
        return self._cdhashes[member]

    def _read_cdhashes(self, member: str) -> tuple[bytes, ...] | None:
        if member not in self.archive:
            return None
        hashes: list[bytes] = []
        try:
            if not macho.is_macho(self.archive.read_head(member, 8)):
                return None
            slices = self._signed.get(member)
            if slices is None:
                with self.archive.open(member) as fh:
                    slices = macho.read_signed_slices(fh, self.archive.info(member).file_size)
            for signed in slices:
                blobs = macho.superblob_entries(signed.signature, signed.arch)
                directories = [codesign.parse_code_directory(slot, blobs[slot][1])
                               for slot in (0, *range(0x1000, 0x1005)) if slot in blobs]
                hashes.extend(codesign.cdhashes_of(directories))
        except (ArtifactError, OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error):
            return None
        return tuple(hashes)


class _Stream:
    """A forward file over ``ZipArchive.chunks``: what the Mach-O reader and the page hashes
    read, counted against the archive's digest budget (verification inflates each executable
    up to twice more than parsing does, which the parse budget is not sized for). Within the
    first :data:`_PIECE` bytes it may step back (the Mach-O reader rereads a thin file's
    header); anything else goes forward only."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""  # read from the pieces, not yet returned
        self._head = b""  # the file's first bytes as returned, for a step back into them
        self._position = 0

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or (offset < self._position and self._position > len(self._head)):
            raise ArtifactError("a Mach-O read went back past the file's header")
        if offset < self._position:
            self._buffer = self._head[offset:self._position] + self._buffer
            self._head = self._head[:offset]
            self._position = offset
        while self._position < offset:
            if not self.read(min(offset - self._position, 1 << 20)):
                break
        return self._position

    def read(self, n: int = -1) -> bytes:
        out = []
        wanted = n if n >= 0 else 1 << 62
        while wanted > 0:
            if not self._buffer:
                self._buffer = next(self._pieces, b"")
                if not self._buffer:
                    break
            take = self._buffer[:wanted]
            self._buffer = self._buffer[len(take):]
            out.append(take)
            wanted -= len(take)
        data = b"".join(out)
        if self._position == len(self._head) and self._position < _PIECE:
            self._head = (self._head + data)[:_PIECE]
        self._position += len(data)
        return data
