"""Which digest and signature algorithm pairs Android's JAR verifier accepts in a v1 signature
block, and from which API level (the platform's own table, as AOSP apksig records it: older
releases lacked some pairs, and some worked only on API 21-23)."""

from __future__ import annotations

__all__ = ["unsupported_from"]

# Signature algorithm OID -> (digest, first API level, last API level or None: every later one).
_SUPPORTED: dict[str, tuple[tuple[str, int, int | None], ...]] = {
    "1.2.840.10040.4.1": (  # dsa
        ("sha1", 0, None), ("sha224", 22, None), ("sha256", 22, None),
    ),
    "1.2.840.10045.2.1": (  # ec_public_key
        ("sha1", 18, None), ("sha224", 21, None), ("sha256", 18, None), ("sha384", 18, None),
        ("sha512", 18, None),
    ),
    "1.2.840.113549.1.1.4": (  # md5_with_rsa
        ("md5", 0, 8), ("md5", 21, None), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.113549.1.1.1": (  # rsa
        ("md5", 0, None), ("sha1", 0, None), ("sha224", 0, 8), ("sha224", 21, None),
        ("sha256", 0, 8), ("sha256", 18, None), ("sha384", 18, None), ("sha512", 18, None),
    ),
    "1.2.840.10040.4.3": (  # sha1_with_dsa
        ("md5", 21, 23), ("sha1", 9, None), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.10045.4.1": (  # sha1_with_ecdsa
        ("md5", 21, 23), ("sha1", 18, None), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.113549.1.1.5": (  # sha1_with_rsa
        ("md5", 21, 23), ("sha1", 0, None), ("sha224", 21, 23), ("sha256", 21, 21),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "2.16.840.1.101.3.4.3.1": (  # sha224_with_dsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, None), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.10045.4.3.1": (  # sha224_with_ecdsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, None), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.113549.1.1.14": (  # sha224_with_rsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 0, 8), ("sha224", 21, None),
        ("sha256", 21, 23), ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "2.16.840.1.101.3.4.3.2": (  # sha256_with_dsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, None),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.10045.4.3.2": (  # sha256_with_ecdsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, None),
        ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.113549.1.1.11": (  # sha256_with_rsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 21), ("sha256", 0, 8),
        ("sha256", 18, None), ("sha384", 21, 23), ("sha512", 21, 23),
    ),
    "1.2.840.10045.4.3.3": (  # sha384_with_ecdsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, None), ("sha512", 21, 23),
    ),
    "1.2.840.113549.1.1.12": (  # sha384_with_rsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, None), ("sha512", 21, 21),
    ),
    "1.2.840.10045.4.3.4": (  # sha512_with_ecdsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, None),
    ),
    "1.2.840.113549.1.1.13": (  # sha512_with_rsa
        ("md5", 21, 23), ("sha1", 21, 23), ("sha224", 21, 23), ("sha256", 21, 23),
        ("sha384", 21, 23), ("sha512", 21, None),
    ),
}


def unsupported_from(digest: str | None, signature_oid: str, min_sdk: int) -> int | None:
    """The first API level from ``min_sdk`` up at which Android cannot verify a signer info with
    this digest (hashlib name) and signature algorithm; None when every level from ``min_sdk``
    on can."""
    ranges = [(lo, hi) for name, lo, hi in _SUPPORTED.get(signature_oid, ()) if name == digest]
    level = min_sdk
    while True:
        covering = [(lo, hi) for lo, hi in ranges if lo <= level and (hi is None or level <= hi)]
        if not covering:
            return level
        if any(hi is None for _, hi in covering):
            return None
        level = max(hi for _, hi in covering if hi is not None) + 1
