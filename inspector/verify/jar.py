"""Verify a JAR (v1) signature the way Android does: the APK v1 scheme, and an App Bundle's
signature. Facts from the JAR File Specification and AOSP apksig's V1SchemeVerifier.

What is checked:

- each signer (``META-INF/<NAME>.SF`` with its ``.RSA``/``.DSA``/``.EC`` block): the PKCS#7
  signature over the ``.SF`` (:mod:`inspector.verify.cms`);
- each ``.SF`` against ``META-INF/MANIFEST.MF``: ``Signature-Version``; the
  ``X-Android-APK-Signed`` stripping protection (a ``.SF`` that names APK signature scheme 2 or 3
  while the APK has no such signature: someone stripped it to downgrade the APK to v1); the digest
  of the whole manifest, or else of its main attributes and of each section the ``.SF`` lists;
- each entry of the archive outside ``META-INF/`` (directories aside): a section in the manifest,
  listed by the same signers' ``.SF`` as every other entry, and its digest equal to the
  manifest's; each manifest section names an entry that exists.

Which digest is checked where a section holds several is Android's rule: from API 18 the
strongest of SHA-512, SHA-384, SHA-256 and SHA-1 present; below API 18 also the first of
``Digest-Algorithms`` (default ``SHA SHA1``) present. Entries are streamed, never read whole.
A signer Android ignores (no ``Signature-Version``, a ``.SF`` section naming no manifest
section, a ``.SF`` that signs no entry) does not verify, and does not make the archive fail when
another signer covers it; everything else that fails makes the whole signature fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from inspector.containers.zip import ZipArchive
from inspector.errors import ArtifactError
from inspector.records.verification import Failure, Verification
from inspector.verify.cms import verify_signed_data

__all__ = ["MANIFEST", "JarVerification", "verify_jar"]

MANIFEST = "META-INF/MANIFEST.MF"
_BLOCK = re.compile(r"^META-INF/([^/]+)\.(RSA|DSA|EC)$", re.IGNORECASE)
#: A signature file or block is kilobytes; a manifest lists every entry (a few MB at most).
_SIGNATURE_LIMIT = 1 << 20
_MANIFEST_LIMIT = 64 << 20
#: APK signature scheme ids the stripping protection names, and their names.
_APK_SCHEMES = {2: "v2", 3: "v3"}
# API levels (AndroidSdkVersion) where Android's JAR verifier changed.
_JELLY_BEAN_MR2, _KITKAT, _N = 18, 19, 24
# Attribute-name spelling of each digest (JAR spec): SHA-1 is "SHA1", the others as named.
_MODERN = (("SHA-512", "sha512"), ("SHA-384", "sha384"), ("SHA-256", "sha256"), ("SHA1", "sha1"))
_LEGACY = {"MD5": "md5", "SHA": "sha1", "SHA1": "sha1", "SHA-1": "sha1", "SHA-256": "sha256",
           "SHA-384": "sha384", "SHA-512": "sha512"}


@dataclass(frozen=True, slots=True)
class JarVerification:
    """The verdict on a JAR signature: per signer (keyed by the name ``v1_signers`` gives it,
    ``CERT`` for ``META-INF/CERT.RSA``) and for the signature as a whole."""

    signers: Mapping[str, Verification] = field(default_factory=lambda: MappingProxyType({}))
    verification: Verification = field(
        default_factory=lambda: Verification(None, reason="not signed"))


def verify_jar(archive: ZipArchive, *, apk_signature_schemes: frozenset[int] = frozenset(),
               min_sdk: int | None = None, scheme: str = "v1") -> JarVerification:
    """Verify the JAR signature of ``archive``.

    ``apk_signature_schemes`` holds the APK signature scheme ids (2, 3) the APK carries, for the
    stripping protection. ``min_sdk`` is the lowest API level to verify for (an APK's minSdk):
    None verifies as API 24+ devices do. Failures name ``scheme``. An archive without a signature
    block is not checked (``verified`` None, reason "not signed"). Raises ArtifactError for a
    member that cannot be read (a corrupt entry, a signature block that is not PKCS#7).
    """
    return _Jar(archive, apk_signature_schemes, _N if min_sdk is None else min_sdk, scheme).run()


class _Section:
    """One section of a manifest or signature file: where its bytes are and its attributes."""

    __slots__ = ("attributes", "size", "start")

    def __init__(self, start: int, size: int, attributes: list[tuple[str, str]]) -> None:
        self.start, self.size, self.attributes = start, size, attributes

    @property
    def name(self) -> str | None:
        if self.attributes and self.attributes[0][0].lower() == "name":
            return self.attributes[0][1]
        return None

    def get(self, key: str) -> str | None:
        """The first attribute of that name (names compare without case, as Android's do)."""
        key = key.lower()
        return next((value for name, value in self.attributes if name.lower() == key), None)


def parse_sections(data: bytes) -> list[_Section]:
    """The sections of a manifest or signature file, main section first.

    Lines end in CR LF, LF or CR; a line starting with a space continues the one before; a
    section ends at an empty line, which belongs to it (its digest covers it). ``Name: value``
    splits at the first ``": "``.
    """
    sections: list[_Section] = []
    lines: list[bytes] = []
    start = pos = 0
    end = len(data)
    while pos < end:
        line_start = pos
        stop = pos
        while stop < end and data[stop] not in (10, 13):
            stop += 1
        line = data[pos:stop]
        if stop < end and data[stop] == 13 and stop + 1 < end and data[stop + 1] == 10:
            pos = stop + 2
        else:
            pos = stop + 1 if stop < end else end
        if line:
            if not lines:
                start = line_start
            if line[:1] == b" " and lines:
                lines[-1] += line[1:]
            else:
                lines.append(line)
        elif lines:
            sections.append(_section(start, pos, lines))
            lines = []
    if lines:
        sections.append(_section(start, end, lines))
    return sections


def _section(start: int, end: int, lines: list[bytes]) -> _Section:
    attributes = []
    for raw in lines:
        text = raw.decode("utf-8", "replace")
        name, sep, value = text.partition(": ")
        attributes.append((name, value) if sep else (text, ""))
    return _Section(start, end - start, attributes)


def _digests(section: _Section, suffix: str, min_sdk: int) -> list[tuple[str, bytes]] | None:
    """The (hashlib name, expected digest) pairs Android checks for ``section``; None when a
    digest is not valid base64."""
    out: list[tuple[str, bytes]] = []
    try:
        if min_sdk < _JELLY_BEAN_MR2:
            for alg in (section.get("Digest-Algorithms") or "SHA SHA1").split():
                value = section.get(alg + suffix)
                name = _LEGACY.get(alg.upper())
                if value is None or name is None:
                    continue
                out.append((name, base64.b64decode(value, validate=True)))
                break
            if not out:
                return out
        for spelled, name in _MODERN:
            value = section.get(spelled + suffix)
            if value is None:
                continue
            digest = base64.b64decode(value, validate=True)
            if (name, digest) not in out:
                out.append((name, digest))
            break
    except (binascii.Error, ValueError):
        return None
    return out


class _Signer:
    __slots__ = ("block", "entries", "failures", "ignored", "name", "sf", "sf_bytes")

    def __init__(self, name: str, block: str, sf: str) -> None:
        self.name, self.block, self.sf = name, block, sf
        self.failures: list[Failure] = []
        self.ignored = False
        self.entries: set[str] = set()
        self.sf_bytes = b""


class _Jar:
    def __init__(self, archive: ZipArchive, schemes: frozenset[int], min_sdk: int,
                 scheme: str) -> None:
        self.archive, self.schemes, self.min_sdk, self.scheme = archive, schemes, min_sdk, scheme
        # Names as the central directory spells them: zipfile cuts a name at a NUL byte, the
        # manifest (and Android's verifier) keep it whole.
        self.stored_names = {info.orig_filename for info in archive.infos()}
        self.failures: list[Failure] = []  # of the archive as a whole

    def fail(self, message: str, *, member: str | None = None, slot: str | None = None) -> None:
        self.failures.append(Failure(self.scheme, message, member=member, slot=slot))

    def run(self) -> JarVerification:
        signers = self._signers()
        if not signers:
            return JarVerification()
        manifest_bytes = b""
        manifest: dict[str, _Section] = {}
        main: _Section | None = None
        if MANIFEST not in self.archive:
            self.fail("the archive has no META-INF/MANIFEST.MF", member=MANIFEST)
        else:
            manifest_bytes = self.archive.read(MANIFEST, limit=_MANIFEST_LIMIT)
            main, manifest = self._manifest(manifest_bytes)
        for signer in signers:
            self._block(signer)
            if main is not None and not signer.failures:
                self._signature_file(signer, manifest_bytes, main, manifest)
        if main is not None:
            self._entries(signers, manifest)
        return self._verdict(signers)

    def _signers(self) -> list[_Signer]:
        # The same signers as formats/_jar.py v1_signers: a block with its .SF beside it.
        upper = {n.upper(): n for n in self.archive.names}
        out = []
        for name in self.archive.names:
            match = _BLOCK.match(name)
            if not match:
                continue
            sf = upper.get(f"META-INF/{match.group(1)}.SF".upper())
            if sf is not None:
                out.append(_Signer(match.group(1), name, sf))
        return out

    def _manifest(self, data: bytes) -> tuple[_Section, dict[str, _Section]]:
        sections = parse_sections(data)
        main = sections[0] if sections else _Section(0, 0, [])
        by_name: dict[str, _Section] = {}
        for number, section in enumerate(sections[1:], 1):
            name = section.name
            if name is None:
                self.fail(f"section {number} of the manifest has no Name", member=MANIFEST)
            elif name in by_name:
                self.fail(f"the manifest has two sections for {name}", member=MANIFEST)
            else:
                by_name[name] = section
                if name not in self.stored_names:
                    self.fail("named in META-INF/MANIFEST.MF but missing from the archive",
                              member=name)
        return main, by_name

    def _block(self, signer: _Signer) -> None:
        """The PKCS#7 block's signature over the .SF."""
        try:
            block = self.archive.read(signer.block, limit=_SIGNATURE_LIMIT)
            signer.sf_bytes = self.archive.read(signer.sf, limit=_SIGNATURE_LIMIT)
            results = verify_signed_data(block, signer.sf_bytes, scheme=self.scheme)
        except ArtifactError as exc:
            if exc.member is not None:
                raise
            raise ArtifactError(exc.problem, member=signer.block) from exc.__cause__
        if not results:
            signer.failures.append(Failure(self.scheme, "the signature block has no signer",
                                           signer=signer.name, member=signer.block))
            return
        # Before Android 7.0 only the first signer info counts; from 7.0 any one that verifies.
        tried = results[:1] if self.min_sdk < _N else results
        if any(r.verification.verified for r in tried):
            if self.min_sdk < _KITKAT and any(
                    r.attributes for r in tried if r.verification.verified):
                signer.failures.append(Failure(
                    self.scheme, "signed attributes break verification below API 19",
                    signer=signer.name, member=signer.block))
            return
        for result in tried:
            for failure in result.verification.failures:
                signer.failures.append(Failure(self.scheme, failure.message, signer=signer.name,
                                               member=signer.block))

    def _signature_file(self, signer: _Signer, manifest_bytes: bytes, main: _Section,
                        manifest: dict[str, _Section]) -> None:
        sections = parse_sections(signer.sf_bytes)
        sf_main = sections[0] if sections else _Section(0, 0, [])

        def fail(message: str, *, member: str | None = signer.sf, slot: str | None = None,
                 ignore: bool = False) -> None:
            signer.failures.append(Failure(self.scheme, message, signer=signer.name,
                                           member=member, slot=slot))
            signer.ignored = signer.ignored or ignore

        if sf_main.get("Signature-Version") is None:
            fail("the .SF has no Signature-Version (Android ignores this signer)", ignore=True)
            return
        self._stripping(sf_main, fail)
        signtool = "signtool" in (sf_main.get("Created-By") or "")
        whole = _digests(sf_main, "-Digest" if signtool else "-Digest-Manifest", self.min_sdk)
        if whole is None:
            fail("a digest of the manifest is not base64")
            return
        whole_ok = bool(whole) and all(
            _equal(hashlib.new(alg, manifest_bytes).digest(), expected) for alg, expected in whole)
        if not signtool:
            main_digests = _digests(sf_main, "-Digest-Manifest-Main-Attributes", self.min_sdk)
            for alg, expected in main_digests or ():
                actual = hashlib.new(alg, manifest_bytes[main.start:main.start + main.size]).digest()
                if not _equal(actual, expected):
                    fail("the digest of the manifest's main attributes does not match",
                         slot=alg.upper())
            if main_digests is None:
                fail("a digest of the manifest's main attributes is not base64")
        for number, section in enumerate(sections[1:], 1):
            name = section.name
            if name is None:
                fail(f"section {number} of the .SF has no Name (Android ignores this signer)",
                     ignore=True)
                return
            if name in signer.entries:
                fail(f"the .SF has two sections for {name} (Android ignores this signer)",
                     ignore=True)
                return
            signer.entries.add(name)
            if whole_ok:
                continue
            entry = manifest.get(name)
            if entry is None:
                fail("named in the .SF but not in the manifest (Android ignores this signer)",
                     member=name, ignore=True)
                continue
            expected_digests = _digests(section, "-Digest", self.min_sdk)
            if not expected_digests:
                fail("the .SF section has no digest of the manifest section Android reads",
                     member=name)
                continue
            size = entry.size
            if signtool and manifest_bytes[entry.start + size - 2:entry.start + size] == b"\n\n":
                size -= 1  # signtool digested sections without their final newline
            for alg, expected in expected_digests:
                actual = hashlib.new(alg, manifest_bytes[entry.start:entry.start + size]).digest()
                if not _equal(actual, expected):
                    fail("the .SF's digest of this manifest section does not match (the manifest "
                         "was changed after signing)", member=name, slot=alg.upper())

    def _stripping(self, sf_main: _Section, fail: Callable[..., None]) -> None:
        named = sf_main.get("X-Android-APK-Signed")
        if named is None:
            return
        for token in named.split(","):
            try:
                scheme_id = int(token.strip())
            except ValueError:
                continue
            if scheme_id in _APK_SCHEMES and scheme_id not in self.schemes:
                fail(f"the .SF says the APK was also signed with APK Signature Scheme "
                     f"{_APK_SCHEMES[scheme_id]} (X-Android-APK-Signed), and that signature is "
                     "missing: it was stripped", slot="X-Android-APK-Signed")

    def _entries(self, signers: list[_Signer], manifest: dict[str, _Section]) -> None:
        usable = [s for s in signers if not s.failures and not s.ignored]
        infos = sorted(self.archive.infos(), key=lambda i: i.header_offset)
        first: tuple[str, frozenset[str]] | None = None
        for info in infos:
            name = info.orig_filename
            if name.startswith("META-INF/") or name.endswith("/"):
                continue
            section = manifest.get(name)
            if section is None:
                self.fail("not listed in META-INF/MANIFEST.MF (added after signing?)", member=name)
                continue
            covering = frozenset(s.name for s in usable if name in s.entries)
            if usable and not covering:
                self.fail("not signed: no .SF lists this entry", member=name)
                continue
            if first is None:
                first = (name, covering)
            elif covering != first[1]:
                self.fail(f"signed by {', '.join(sorted(covering))}, while {first[0]} is signed "
                          f"by {', '.join(sorted(first[1]))}", member=name)
                continue
            expected = _digests(section, "-Digest", self.min_sdk)
            if not expected:
                self.fail("the manifest has no digest Android reads for this entry"
                          if expected is not None else "the manifest's digest is not base64",
                          member=name)
                continue
            hashers = [hashlib.new(alg) for alg, _ in expected]
            for piece in self.archive.chunks(info.filename):
                for hasher in hashers:
                    hasher.update(piece)
            for hasher, (alg, digest) in zip(hashers, expected, strict=True):
                if not _equal(hasher.digest(), digest):
                    self.fail("digest mismatch: the entry was changed after signing", member=name,
                              slot=alg.upper())
        for signer in usable:
            if first is not None and signer.name not in first[1]:
                signer.ignored = True
                signer.failures.append(Failure(
                    self.scheme, "the .SF signs none of the archive's entries (Android ignores "
                    "this signer)", signer=signer.name, member=signer.sf))
        if first is None and usable:
            self.fail("no entry of the archive is signed")

    def _verdict(self, signers: list[_Signer]) -> JarVerification:
        failures = list(self.failures)
        counted = [s for s in signers if not s.ignored]
        for signer in counted:
            failures.extend(signer.failures)
        if not counted:
            failures.append(Failure(self.scheme, "no signer Android would use: every one is "
                                    "ignored"))
            failures.extend(f for s in signers for f in s.failures)
        per_signer = {
            s.name: Verification.of([*s.failures, *self.failures]) for s in signers}
        return JarVerification(MappingProxyType(per_signer), Verification.of(failures))


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
