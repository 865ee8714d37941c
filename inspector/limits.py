"""The resource budget of one artifact: every limit a hostile file runs into, in one place.

Each limit sits far above what a real build holds (the README's "Resource budget" section gives
the real-world sizes beside them) and low enough that a crafted file ends, as a record or one
clear error, within seconds and a few hundred MB. The readers import their limits from here.
"""

from __future__ import annotations

__all__ = [
    "MAX_CGBI_PIXELS",
    "MAX_CMS_BLOB_BYTES",
    "MAX_FRAMEWORKS",
    "MAX_FRAMEWORK_SIGNATURE_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_KEPT_STRING",
    "MAX_MEMBERS",
    "MAX_NESTED_BUNDLES",
    "MAX_PLIST_BYTES",
    "MAX_PLIST_NODES",
    "MAX_READ_BYTES",
    "MAX_SIGNATURE_BYTES_TOTAL",
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
#: Characters kept of one string a record holds from a hostile file (names, labels, ids).
MAX_KEPT_STRING = 4096
#: Frameworks and dylibs listed per bundle; large apps embed a few dozen.
MAX_FRAMEWORKS = 256
#: Uncompressed bytes of framework binaries streamed per IPA to reach their code signatures
#: (each signature sits at the end of its binary): about half a second of inflating here.
MAX_FRAMEWORK_SIGNATURE_BYTES = 256 << 20
