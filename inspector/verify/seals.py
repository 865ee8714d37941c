"""Verify a bundle's resource seals (``_CodeSignature/CodeResources``) against the files the
bundle holds: every sealed file present with its digest, nothing unsealed that the rules say must
be sealed, nested code by its CDHash.

Which rule governs a path: every rule whose pattern (a POSIX extended regular expression, searched
as Apple's ``regexec`` does) matches it, the one of highest ``weight`` (1 when absent) winning.
A rule may ``omit`` (not sealed), make a file ``optional`` (may be absent), or mark ``nested``
code (sealed by its CDHash, not its bytes). ``files2`` (resource envelope version 2, with
``rules2``) is what Apple's verifier reads when it is present; ``files`` with ``rules`` (SHA-1)
is read only when it is the only envelope, as Apple's verifier does.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import plistlib
import re
import xml.parsers.expat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.errors import ArtifactError
from inspector.records.verification import Failure

__all__ = ["SCHEME", "BundleFile", "CodeResources", "Seal", "digest", "parse_code_resources",
           "verify_seals"]

SCHEME = "resource-seal"

#: Paths no seal covers: the signature's own folder, a notarization ticket, the Mac App Store
#: receipt, and the FairPlay data the App Store adds to a download after signing.
_NEVER_SEALED = re.compile(r"^(_CodeSignature/|CodeResources$|_MASReceipt/)|(^|/)SC_Info/")


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    weight: float
    omit: bool
    optional: bool
    nested: bool

    @property
    def rank(self) -> tuple[float, bool, bool]:
        return (self.weight, self.omit, self.optional)


@dataclass(frozen=True, slots=True)
class Seal:
    """One sealed path: its digests by hashlib name, or its symlink target, or the CDHash of
    nested code; ``optional`` when it may be absent."""

    digests: Mapping[str, bytes]
    optional: bool = False
    symlink: str | None = None
    cdhash: bytes | None = None


@dataclass(frozen=True, slots=True)
class CodeResources:
    """A parsed CodeResources: the seals and rules of the envelope Apple's verifier reads."""

    version: int  # 2: files2/rules2; 1: files/rules only
    seals: Mapping[str, Seal]
    rules: tuple[_Rule, ...]

    def rule_for(self, path: str) -> _Rule | None:
        """The matching rule of highest weight; of equal weights, one that omits, then one
        that makes optional (Apple takes the first in its own dictionary order, which a plist
        does not keep: the ``^`` and ``^Info\\.plist$`` rules of Xcode 7 tie at 20, and its
        seals show the omission won)."""
        best = None
        for rule in self.rules:
            if rule.pattern.search(path) and (best is None or rule.rank > best.rank):
                best = rule
        return best


def parse_code_resources(data: bytes) -> CodeResources:
    """Read a CodeResources plist; ArtifactError when it is not one."""
    try:
        plist = plistlib.loads(data)
    except (ValueError, plistlib.InvalidFileException, xml.parsers.expat.ExpatError) as exc:
        raise ArtifactError(f"CodeResources is not a readable plist ({exc})") from exc
    if not isinstance(plist, dict):
        raise ArtifactError("CodeResources is not a plist dictionary")
    if isinstance(plist.get("files2"), dict):
        files, rules, version = plist["files2"], plist.get("rules2"), 2
    elif isinstance(plist.get("files"), dict):
        files, rules, version = plist["files"], plist.get("rules"), 1
    else:
        raise ArtifactError("CodeResources has neither files2 nor files")
    return CodeResources(version, {str(k): _seal(k, v, version) for k, v in files.items()},
                         tuple(_rules(rules if isinstance(rules, dict) else {})))


def _seal(path: str, value: Any, version: int) -> Seal:
    if isinstance(value, bytes):
        return Seal({"sha1": value})
    if not isinstance(value, dict):
        raise ArtifactError(f"CodeResources: the seal of {path} is neither data nor a dict")
    digests = {}
    for key, name in (("hash", "sha1"), ("hash2", "sha256")):
        if isinstance(value.get(key), bytes):
            digests[name] = value[key]
    cdhash = value.get("cdhash") if isinstance(value.get("cdhash"), bytes) else None
    symlink = value.get("symlink") if isinstance(value.get("symlink"), str) else None
    if not digests and cdhash is None and symlink is None:
        raise ArtifactError(f"CodeResources: the seal of {path} has no hash")
    if version == 1:
        digests = {"sha1": digests["sha1"]} if "sha1" in digests else digests
    return Seal(digests, value.get("optional") is True, symlink, cdhash)


#: A seal's rules are regular expressions from the artifact, matched against its paths: Apple's
#: have at most one unbounded repeat and no repeat inside a repeat. More than these (a crafted
#: CodeResources) could make matching take hours, so the bundle's seal is refused instead.
MAX_RULES = 64
MAX_RULE_LENGTH = 512
MAX_UNBOUNDED_REPEATS = 2


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    """The rule's pattern compiled, or ArtifactError when it is unreadable or could backtrack
    without bound (a repeat inside a repeat, or more than two unbounded repeats)."""
    # The tree re.compile builds; only read here. Private, so typeshed does not declare it.
    from re import _parser  # type: ignore[attr-defined]

    if len(pattern) > MAX_RULE_LENGTH:
        raise ArtifactError(f"CodeResources: a rule of {len(pattern)} characters (at most "
                            f"{MAX_RULE_LENGTH})")
    try:
        tree = _parser.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ArtifactError(f"CodeResources: rule {pattern[:80]!r} is not a regular expression "
                            f"inspector can read ({exc})") from exc
    if _repeats(tree, nested=False) > MAX_UNBOUNDED_REPEATS:
        raise ArtifactError(f"CodeResources: rule {pattern[:80]!r} repeats too much to be "
                            "matched in bounded time")
    return compiled


def _repeats(tree: Any, *, nested: bool) -> int:
    """Unbounded repeats in a parsed pattern; a large number when one sits inside another."""
    count = 0
    for op, arg in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _low, high, sub = arg
            unbounded = high > 1
            if unbounded and nested:
                return 1 << 20
            count += unbounded + _repeats(sub, nested=nested or unbounded)
        elif name == "SUBPATTERN":
            count += _repeats(arg[-1], nested=nested)
        elif name == "BRANCH":
            count += sum(_repeats(branch, nested=nested) for branch in arg[1])
        elif name in ("ASSERT", "ASSERT_NOT"):
            count += _repeats(arg[1], nested=nested)
    return count


def _rules(rules: Mapping[str, Any]) -> Iterator[_Rule]:
    if len(rules) > MAX_RULES:
        raise ArtifactError(f"CodeResources has {len(rules)} rules (at most {MAX_RULES})")
    for pattern, value in rules.items():
        spec = value if isinstance(value, dict) else {}
        if value is not True and not isinstance(value, dict):
            continue
        weight = spec.get("weight", 1)
        compiled = _compile(pattern)
        yield _Rule(compiled, float(weight) if isinstance(weight, int | float) else 1.0,
                    spec.get("omit") is True, spec.get("optional") is True,
                    spec.get("nested") is True)


@dataclass(frozen=True, slots=True)
class BundleFile:
    """A file of the bundle as the archive holds it: its member, and its symlink target when the
    zip entry is a symlink."""

    member: str
    symlink: str | None = None


def verify_seals(resources: CodeResources, files: Mapping[str, BundleFile],
                 digests: Callable[[str, frozenset[str]], Mapping[str, bytes]],
                 nested_cdhashes: Callable[[str], tuple[bytes, ...] | None],
                 executable: str | None, member_prefix: str) -> list[Failure]:
    """Check the seals of one bundle.

    ``files`` maps each file's path inside the bundle (``Base.lproj/Main.nib``) to where it is;
    ``digests(member, names)`` gives the member's digests by hashlib name (see :func:`digest`)
    and may raise ArtifactError; ``nested_cdhashes(path)`` gives the CDHashes (20 bytes each)
    of the nested code at ``path`` in the bundle (a Mach-O file, or a bundle
    folder's main executable), None when it has none. ``executable`` (the bundle's main
    executable, covered by its own signature) is not sealed. Failures name the member
    (``member_prefix`` + path).
    """
    failures: list[Failure] = []
    nested_roots = {path for path, seal in resources.seals.items() if seal.cdhash is not None}

    def fail(path: str, message: str) -> None:
        failures.append(Failure(SCHEME, message, member=member_prefix + path))

    for path in sorted(files):
        if _NEVER_SEALED.search(path) or path == executable:
            continue
        if any(path.startswith(root + "/") for root in nested_roots):
            continue  # inside nested code sealed whole by its CDHash
        seal = resources.seals.get(path)
        if seal is None:
            rule = resources.rule_for(path)
            if rule is not None and not rule.omit:
                fail(path, "file is not sealed: added or renamed after signing")
            continue
        entry = files[path]
        if seal.cdhash is not None:
            found = nested_cdhashes(path)
            if found is None or seal.cdhash not in found:
                fail(path, "nested code does not match the CDHash sealed for it")
        elif seal.symlink is not None or entry.symlink is not None:
            if seal.symlink != entry.symlink:
                fail(path, "symlink does not match its seal")
        else:
            try:
                sums = digests(entry.member, frozenset(seal.digests))
                matches = all(hmac.compare_digest(sums[name], value)
                              for name, value in seal.digests.items())
            except ArtifactError as exc:
                fail(path, f"cannot be read to check its seal: {exc.problem}")
                continue
            if not matches:
                fail(path, "file does not match its sealed digest: modified after signing")
    for path, seal in sorted(resources.seals.items()):
        if path in files or seal.optional:
            continue
        if seal.cdhash is not None and any(f.startswith(path + "/") for f in files):
            found = nested_cdhashes(path)
            if found is None or seal.cdhash not in found:
                fail(path, "nested code does not match the CDHash sealed for it")
            continue
        fail(path, "sealed file is missing")
    return failures


def digest(pieces: Iterable[bytes], names: Iterable[str]) -> dict[str, bytes]:
    """The digests named (hashlib names) of the bytes ``pieces`` stream, in one pass."""
    hashers = {name: hashlib.new(name) for name in names}
    for piece in pieces:
        for hasher in hashers.values():
            hasher.update(piece)
    return {name: hasher.digest() for name, hasher in hashers.items()}
