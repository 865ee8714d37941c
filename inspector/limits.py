"""The resource budget of one artifact: every limit a hostile file runs into, in one place.

Each limit sits far above what a real build holds (the README's "Resource budget" section gives
the real-world sizes beside them) and low enough that a crafted file ends, as a record or one
clear error, within seconds and a few hundred MB. The readers import their limits from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from inspector.errors import ArtifactError

__all__ = [
    "BUDGET",
    "DEFAULT_MEMBER_LIMIT",
    "MAX_ARCHS",
    "MAX_BLOBS",
    "MAX_CGBI_PIXELS",
    "MAX_CMS_BLOB_BYTES",
    "MAX_CMS_CERTIFICATES",
    "MAX_CPIO_NAME",
    "MAX_DEEP_LINKS",
    "MAX_DER_CHILDREN",
    "MAX_DIGESTED_BYTES",
    "MAX_FRAMEWORKS",
    "MAX_FRAMEWORK_SIGNATURE_BYTES",
    "MAX_ICONS_MEASURED",
    "MAX_ICON_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_INT_DIGITS",
    "MAX_KEPT_SIGNATURE_BYTES",
    "MAX_KEPT_STRING",
    "MAX_MEMBERS",
    "MAX_NAME_ATTRIBUTES",
    "MAX_NCMDS",
    "MAX_NESTED_BUNDLES",
    "MAX_OID_ARC_OCTETS",
    "MAX_OID_BYTES",
    "MAX_PBZX_CHUNK",
    "MAX_PKG_COMPONENTS",
    "MAX_PKG_SIGNATURES",
    "MAX_PKG_SIGNATURE_BYTES",
    "MAX_PKG_XML_BYTES",
    "MAX_PLIST_BYTES",
    "MAX_PLIST_DEPTH",
    "MAX_PLIST_NODES",
    "MAX_PROFILE_BYTES",
    "MAX_PROTOBUF_DEPTH",
    "MAX_RATIO",
    "MAX_READ_BYTES",
    "MAX_SHARED_LOCAL_HEADERS",
    "MAX_SIGNATURE",
    "MAX_SIGNATURE_BYTES_TOTAL",
    "MAX_SIGNING_BLOCK_BYTES",
    "MAX_SIZEOFCMDS",
    "MAX_TOC_BYTES",
    "MAX_XML_ELEMENTS",
    "MAX_XZ_MEMORY",
    "Budget",
    "BudgetExceeded",
    "artifact_budget",
    "charge",
    "parse_int",
]

#: Bytes inflated from one zip artifact in all (whole members read plus streamed executables),
#: counted by the sizes the central directory declares, before inflating. Inflate runs at about
#: 0.5-1 GB/s here, so this bounds the time spent inflating to a couple of seconds.
MAX_INFLATED_BYTES = 1 << 30
#: Of those, bytes read whole into memory to be parsed (plists, profiles, manifests, tables).
MAX_READ_BYTES = 256 << 20
#: Central-directory entries of one zip. Large games have tens of thousands of files.
MAX_MEMBERS = 500_000
#: Zip entries that point at a local header another entry already names (a zip tool writes none;
#: a zip bomb repeats one deflated member many times under many names).
MAX_SHARED_LOCAL_HEADERS = 1_000
#: Nested bundles (extensions, watch and nested apps) of one IPA; real apps have a few dozen.
MAX_NESTED_BUNDLES = 64
#: One plist, in bytes. Info.plist and profiles are kilobytes.
MAX_PLIST_BYTES = 16 << 20
#: Nodes (dictionaries, arrays and scalars) of one plist, counted per path: a binary plist that
#: shares one subtree under many parents (a DAG) counts it once per parent, as a walk or JSON sees it.
MAX_PLIST_NODES = 200_000
#: Pixels of an icon converted from Apple's CgBI PNG (the largest app icon is 1024x1024).
MAX_CGBI_PIXELS = 1024 * 1024
#: The CMS blob of one Mach-O code signature: a signing certificate chain is a few KB.
MAX_CMS_BLOB_BYTES = 1 << 20
#: Code-signature bytes read from one executable over all its fat slices.
MAX_SIGNATURE_BYTES_TOTAL = 64 << 20
#: Code-signature bytes the parse of one IPA keeps for its verification, over all executables
#: (past them, verification reads the signatures of the others again): a real app's are a few MB.
MAX_KEPT_SIGNATURE_BYTES = 16 << 20
#: One zip member read whole: no member we parse (manifest, resource table, plist, profile,
#: signature) is legitimately larger.
DEFAULT_MEMBER_LIMIT = 64 << 20
#: Compression ratio of one zip member: deflate tops out near 1032:1; more is a bomb, not a build.
MAX_RATIO = 1100
#: A xar TOC describes files, not content: real ones are kilobytes.
MAX_TOC_BYTES = 16 << 20
#: Distribution and PackageInfo XML of a PKG: kilobytes.
MAX_PKG_XML_BYTES = 4 << 20
#: A PKG's CMS installer signature with its chain: a few KB.
MAX_PKG_SIGNATURE_BYTES = 1 << 20
#: Signatures in one xar TOC (Apple writes one, or a <signature> and an <x-signature>).
MAX_PKG_SIGNATURES = 16
#: Component packages of one product archive (each parses its PackageInfo and opens its payload):
#: real installers have one to a few dozen.
MAX_PKG_COMPONENTS = 256
#: Elements of one XML document (xar TOC, Distribution, PackageInfo), counted while it is parsed.
MAX_XML_ELEMENTS = 200_000
#: A pbzx chunk: Apple writes 16 MiB chunks.
MAX_PBZX_CHUNK = 64 << 20
#: Memory the xz decoder of one pbzx chunk may use: Apple's encoder uses an 8 MiB dictionary
#: (about 9 MiB to decode); xz -9 needs 65 MiB.
MAX_XZ_MEMORY = 128 << 20
#: A cpio path: PATH_MAX is 1024 on macOS; some room left.
MAX_CPIO_NAME = 4096
#: The APK Signing Block: real ones are kilobytes (padded to 4 KiB).
MAX_SIGNING_BLOCK_BYTES = 64 << 20
#: Nesting of an aapt2 protobuf manifest (a handful of levels in real ones).
MAX_PROTOBUF_DEPTH = 200
#: Nesting of a plist.
MAX_PLIST_DEPTH = 64
#: A provisioning profile: 5-40 KB in real ones; a plist plus its CMS wrapper.
MAX_PROFILE_BYTES = MAX_PLIST_BYTES + (1 << 20)
#: An IPA icon file: app icons are at most 1024x1024 PNGs, a few hundred KB.
MAX_ICON_BYTES = 8 << 20
#: Mach-O: fat architectures, load commands and their bytes, one slice's code signature, and
#: blobs in its SuperBlob (a real app: 2-4 architectures, ~100 commands, a signature of ~1 MB).
MAX_ARCHS = 64
MAX_NCMDS = 10_000
MAX_SIZEOFCMDS = 16 << 20
MAX_SIGNATURE = 16 << 20
MAX_BLOBS = 1_000
#: Characters kept of one string a record holds from a hostile file (names, labels, ids).
MAX_KEPT_STRING = 4096
#: Frameworks and dylibs listed per bundle; large apps embed a few dozen.
MAX_FRAMEWORKS = 256
#: Uncompressed bytes of framework binaries streamed per IPA to reach their code signatures
#: (each signature sits at the end of its binary): about half a second of inflating here.
MAX_FRAMEWORK_SIGNATURE_BYTES = 256 << 20
#: Icon files of one IPA bundle whose header is read for their pixel size (apps have a dozen or two).
MAX_ICONS_MEASURED = 64
#: Bytes inflated from one zip to check the digests of its entries (a JAR signature covers every
#: entry, so verifying one reads the archive once, by declared sizes; each entry's compression
#: ratio is checked first): above the 4 GiB a zip without zip64 can hold.
MAX_DIGESTED_BYTES = 8 << 30

#: Deep links listed for one Android manifest (scheme x host x path of each browsable filter);
#: apps with many have hundreds. More are a warning, and the first ones are kept.
MAX_DEEP_LINKS = 10_000
#: Values inside one ASN.1 SEQUENCE or SET (a certificate's extensions, a CMS certificate set, a
#: name's RDNs: dozens at most), refused as they are read.
MAX_DER_CHILDREN = 10_000
#: Attributes (CN, O, OU...) of one X.509 name: real ones have under ten.
MAX_NAME_ATTRIBUTES = 256
#: Certificates in one CMS SignedData (a signer's chain: two to four).
MAX_CMS_CERTIFICATES = 1_000
#: An OBJECT IDENTIFIER: its bytes, and the octets of one arc (a UUID arc takes 19).
MAX_OID_BYTES = 256
MAX_OID_ARC_OCTETS = 20

#: Digits of an integer parsed from text a file holds (versions, version codes, OIDs, sizes): a
#: 64-bit number has at most 20. Longer runs are refused before ``int()``, whose cost grows with
#: the square of the length (and which refuses 4300 digits with a ValueError, not ours).
MAX_INT_DIGITS = 20


def parse_int(text: str, base: int = 10) -> int:
    """``int(text, base)`` for plain ASCII text of at most :data:`MAX_INT_DIGITS` digits.

    Surrounding spaces and a sign are allowed; base 0 also takes a ``0x``/``0o``/``0b`` prefix, as
    ``int`` does. Underscores, non-ASCII digits (superscripts, Arabic-Indic) and longer numbers
    raise ValueError, like any other text that is not a number, so callers keep their one
    ``except ValueError``.
    """
    body = text.strip()
    if body[:1] in ("+", "-"):
        body = body[1:]
    digits = body
    if (base in (0, 16) and body[:2].lower() == "0x") or (base == 0 and body[:2].lower() in ("0o", "0b")):
        digits = body[2:]
    if not digits or not digits.isascii() or not digits.isalnum() or len(digits) > MAX_INT_DIGITS:
        raise ValueError(f"not a number of at most {MAX_INT_DIGITS} digits: {text[:40]!r}")
    return int(text, base)


# -- the work budget of one artifact ------------------------------------------------------------
#: Work one artifact may cost, counted by the readers while they parse (not after): each kind is
#: far above what a real build needs and low enough that the slowest file allowed ends in a couple
#: of seconds. The message names the kind: "too many ASN.1 elements (limit 1000000)".
BUDGET: dict[str, int] = {
    # DER/BER tag-length-values read (certificates, CMS blobs, signing blocks): a certificate has
    # about 150, a profile's CMS a few hundred; identical certificates are parsed once.
    "ASN.1 elements": 100_000,
    # X.509 certificates read from one artifact (every signer, chain, profile, framework).
    "certificates": 10_000,
    # elements of binary XML (manifests) and of XML text (xar TOC, Distribution, PackageInfo,
    # XML plists), counted as the parser meets them.
    "XML elements": 1_000_000,
    # resource-table entries decoded and references followed while resolving manifest values.
    "resource entries": 1_000_000,
    # entries of PKG payloads (cpio) listed, empty ones included: an app has thousands; the walk
    # stops at the app's Info.plist.
    "payload entries": 100_000,
    # bytes decoded from the gzip and pbzx (xz) payload streams of a PKG while they are walked.
    "bytes inflated": 2 << 30,
}


class BudgetExceeded(ArtifactError):
    """One kind of work ran out for this artifact: the whole artifact fails, not just the member
    being read (a reader that turns a bad member into a warning lets this one through)."""


class Budget:
    """What is left of each kind of work for one artifact; :meth:`charge` raises when one runs out."""

    __slots__ = ("_left", "exceeded")

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self._left = dict(BUDGET if limits is None else limits)
        #: The first error raised, kept so that the entry point can raise it even if a reader
        #: turned it into a warning and went on.
        self.exceeded: BudgetExceeded | None = None

    def charge(self, kind: str, n: int = 1) -> None:
        left = self._left[kind] - n
        self._left[kind] = left
        if left < 0:
            error = BudgetExceeded(f"too many {kind} (limit {BUDGET.get(kind, 0)}): "
                                   "more work than a real build needs")
            if self.exceeded is None:
                self.exceeded = error
            raise error

    def left(self, kind: str) -> int:
        return self._left[kind]


# A context variable rather than a parameter: the readers that count sit deep under containers/
# and formats/, several calls below the one place (api.inspect) that knows where an artifact starts.
_CURRENT: ContextVar[Budget | None] = ContextVar("inspector_budget", default=None)


@contextlib.contextmanager
def artifact_budget(limits: dict[str, int] | None = None) -> Iterator[Budget]:
    """A fresh :class:`Budget` for the readers called inside the ``with`` (one artifact)."""
    budget = Budget(limits)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def charge(kind: str, n: int = 1) -> None:
    """Count ``n`` units of ``kind`` against the current artifact's budget.

    Outside :func:`artifact_budget` (a reader called on its own) nothing is counted: the readers'
    structural caps still hold, and every entry point that opens an artifact sets a budget.
    """
    budget = _CURRENT.get()
    if budget is not None:
        budget.charge(kind, n)
