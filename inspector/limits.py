"""The resource budget of one artifact: every limit a hostile file runs into, in one place.

Each limit sits far above what a real build holds (the README's "Resource budget" section gives
the real-world sizes beside them) and low enough that a crafted file ends, as a record or one
clear error, within seconds and a few hundred MB. The readers import their limits from here.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_MEMBER_LIMIT",
    "MAX_ARCHS",
    "MAX_BLOBS",
    "MAX_CGBI_PIXELS",
    "MAX_CMS_BLOB_BYTES",
    "MAX_CPIO_NAME",
    "MAX_DIGESTED_BYTES",
    "MAX_FRAMEWORKS",
    "MAX_FRAMEWORK_SIGNATURE_BYTES",
    "MAX_ICONS_MEASURED",
    "MAX_ICON_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_KEPT_STRING",
    "MAX_MEMBERS",
    "MAX_NCMDS",
    "MAX_NESTED_BUNDLES",
    "MAX_PBZX_CHUNK",
    "MAX_PKG_SIGNATURE_BYTES",
    "MAX_PKG_XML_BYTES",
    "MAX_PLIST_BYTES",
    "MAX_PLIST_DEPTH",
    "MAX_PLIST_NODES",
    "MAX_PROFILE_BYTES",
    "MAX_PROTOBUF_DEPTH",
    "MAX_RATIO",
    "MAX_READ_BYTES",
    "MAX_SIGNATURE",
    "MAX_SIGNATURE_BYTES_TOTAL",
    "MAX_SIGNING_BLOCK_BYTES",
    "MAX_SIZEOFCMDS",
    "MAX_TOC_BYTES",
]

#: Bytes inflated from one zip artifact in all (whole members read plus streamed executables),
#: counted by the sizes the central directory declares, before inflating. Inflate runs at about
#: 0.5-1 GB/s here, so this bounds the time spent inflating to a couple of seconds.
MAX_INFLATED_BYTES = 1 << 30
#: Of those, bytes read whole into memory to be parsed (plists, profiles, manifests, tables).
MAX_READ_BYTES = 256 << 20
#: Central-directory entries of one zip. Large games have tens of thousands of files.
MAX_MEMBERS = 500_000
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
#: A pbzx chunk: Apple writes 16 MiB chunks.
MAX_PBZX_CHUNK = 64 << 20
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
