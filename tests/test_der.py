"""The DER/BER reader (inspector.containers.der) and the CMS reader on hand-made encodings: what
X.690 allows that real blobs use, and the damage a hostile blob carries. The facts of real
certificates and signatures are checked against asn1crypto in test_der_oracle.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inspector.certs import certificate_from_der, certificates_from_pkcs7
from inspector.containers import cms, der
from inspector.errors import ArtifactError
from tests import hostile
from tests.conftest import FIXTURES
from tests.hostile import tlv


def test_definite_lengths_short_and_long() -> None:
    node = der.read(tlv(0x04, b"x" * 300))
    assert (node.tag, node.constructed, node.content) == (der.OCTET_STRING, False, b"x" * 300)
    assert node.encoded[:4] == b"\x04\x82\x01\x2c"


def test_indefinite_length_and_a_constructed_string_join_their_segments() -> None:
    # BER: an OCTET STRING in two segments, inside a SEQUENCE of indefinite length.
    segments = b"\x24\x80" + tlv(0x04, b"<plist") + tlv(0x04, b"/>") + b"\x00\x00"
    node = der.read(b"\x30\x80" + segments + b"\x00\x00")
    (string,) = node.children()
    assert string.constructed and string.content == b"<plist/>"
    assert node.end == 4 + len(segments)


def test_high_tag_numbers() -> None:
    node = der.read(b"\x9f\x81\x00\x01\x07")
    assert (node.cls, node.tag, node.content) == (der.CONTEXT, 128, b"\x07")


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "truncated header"),
    (b"\x30", "truncated header"),
    (b"\x04\x05abc", "runs 2 bytes past its container"),
    (b"\x04\x89" + b"\xff" * 9, "bad length"),
    (b"\x04\x80abc\x00\x00", "indefinite length on a primitive value"),
    (b"\x30\x80\x04\x01a", "no end-of-contents"),
    (b"\x9f\xff\xff\xff\xff\x01", "tag number too long"),
    (b"\x04\x01ab", "1 bytes after the end of the value"),
])
def test_damage_is_one_artifact_error(data: bytes, problem: str) -> None:
    with pytest.raises(ArtifactError, match=problem):
        der.read(data)


def test_nesting_is_capped() -> None:
    deep = b"\x30\x80" * (der.MAX_DEPTH + 5) + b"\x00\x00" * (der.MAX_DEPTH + 5)
    with pytest.raises(ArtifactError, match="nested deeper than 64"):
        der.read(deep)
    nested = b""
    for _ in range(der.MAX_DEPTH + 5):
        nested = tlv(0x30, nested)
    with pytest.raises(ArtifactError, match="nested deeper"):
        def walk(node: der.Node) -> None:
            for child in node.children():
                walk(child)
        walk(der.read(nested))


@pytest.mark.parametrize(("content", "value"), [
    (b"\x00", 0), (b"\x7f", 127), (b"\x00\x80", 128), (b"\xff", -1), (b"\x80", -128),
    (b"\x01\x00\x00\x00\x00\x00\x00\x00\x00", 1 << 64),
])
def test_integers_are_twos_complement(content: bytes, value: int) -> None:
    assert der.decode_integer(der.read(tlv(0x02, content))) == value


@pytest.mark.parametrize(("content", "dotted"), [
    (bytes.fromhex("2a864886f70d010702"), "1.2.840.113549.1.7.2"),
    (bytes.fromhex("2b6570"), "1.3.101.112"),
    (bytes.fromhex("550403"), "2.5.4.3"),
    (bytes.fromhex("8837"), "2.999"),
    (bytes.fromhex("0992268993f22c640119"), "0.9.2342.19200300.100.1.25"),
])
def test_object_identifiers(content: bytes, dotted: str) -> None:
    assert der.decode_oid(der.read(tlv(0x06, content))) == dotted


@pytest.mark.parametrize("content", [b"", b"\x2a\x86"])
def test_malformed_object_identifiers(content: bytes) -> None:
    with pytest.raises(ArtifactError, match="malformed OBJECT IDENTIFIER"):
        der.decode_oid(der.read(tlv(0x06, content)))


@pytest.mark.parametrize(("tag", "text", "when"), [
    (0x17, b"250102030405Z", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0x17, b"490102030405Z", datetime(2049, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0x17, b"500102030405Z", datetime(1950, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0x17, b"2501020304Z", datetime(2025, 1, 2, 3, 4, tzinfo=UTC)),
    (0x17, b"250102030405+0130", datetime(2025, 1, 2, 1, 34, 5, tzinfo=UTC)),
    (0x18, b"20510102030405Z", datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0x18, b"20510102030405.25Z", datetime(2051, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)),
    (0x18, b"20510102030405", datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0x18, b"99991231235959Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_times(tag: int, text: bytes, when: datetime) -> None:
    assert der.decode_time(der.read(tlv(tag, text))) == when


@pytest.mark.parametrize(("tag", "text"), [
    (0x17, b"2501020304"), (0x17, b"251302030405Z"), (0x18, b"2051010203Z0"), (0x18, b"x"),
    (0x18, b"99991231235959-0100"), (0x17, b"250102030405+2500"), (0x0C, b"250102030405Z"),
])
def test_bad_times(tag: int, text: bytes) -> None:
    with pytest.raises(ArtifactError):
        der.decode_time(der.read(tlv(tag, text)))


@pytest.mark.parametrize(("tag", "raw", "text"), [
    (0x0C, "Zoë".encode(), "Zoë"), (0x13, b"Acme", "Acme"), (0x14, b"Zo\xeb", "Zoë"),
    (0x16, b"a@b.c", "a@b.c"), (0x1E, "Zoë".encode("utf-16-be"), "Zoë"),
    (0x1C, "Zoë".encode("utf-32-be"), "Zoë"),
])
def test_strings(tag: int, raw: bytes, text: str) -> None:
    assert der.decode_string(der.read(tlv(tag, raw))) == text


def test_a_string_that_does_not_decode() -> None:
    with pytest.raises(ArtifactError, match="not valid utf-8"):
        der.decode_string(der.read(tlv(0x0C, b"\xff")))


def test_edwards_certificate_and_escaped_names() -> None:
    cert = certificate_from_der(hostile.certificate_der("ed25519"))
    assert (cert.subject, cert.key_algorithm, cert.key_size, cert.serial) == (
        "CN=Hostile ed25519", "ED25519", 256, "c")
    assert cert.self_signed and cert.signature_algorithm == "ed25519"
    assert cert.not_after - cert.not_before > timedelta(days=5000)


def test_a_p521_key_is_521_bits() -> None:
    # The curve names the size, as openssl prints it; asn1crypto, which counts the point's
    # bytes, says 528.
    cert = certificate_from_der(hostile.certificate_der("p521"))
    assert (cert.key_algorithm, cert.key_size, cert.signature_algorithm) == ("EC", 521, "sha512_ecdsa")


@pytest.mark.parametrize("cut", [0, 1, 10, 200, -1])
def test_a_cut_certificate_is_one_clear_error(cut: int) -> None:
    data = hostile.certificate_der("ed25519")
    with pytest.raises(ArtifactError, match=r"not a readable X\.509 certificate"):
        certificate_from_der(data[:cut])


def test_a_certificate_with_bytes_after_it_is_refused() -> None:
    with pytest.raises(ArtifactError, match="after the end"):
        certificate_from_der(hostile.certificate_der("ed25519") + b"\x00")


def test_v1_signature_block_puts_the_signer_first() -> None:
    import zipfile

    with zipfile.ZipFile(FIXTURES / "apk" / "signed-v1v2v3.apk") as z:
        block = z.read("META-INF/RELEASE.RSA")
    signed = cms.signed_data(block)
    assert signed.content is None and signed.content_type_name == "data"
    (cert,) = certificates_from_pkcs7(block)
    assert int(cert.serial, 16) in signed.signer_serials


def test_the_signer_is_matched_by_issuer_and_serial() -> None:
    # Two certificates with one serial number from two issuers, the signer's second in the blob:
    # cryptography's PKCS7 builder signs with Leaf B, so Leaf B is the signer whatever the order.
    # Fixed keys and Ed25519 issuers (deterministic signatures) fix the certificates' bytes, so
    # their order in the blob's SET OF too.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def issue(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, seed: int) -> x509.Certificate:
        start = datetime(2024, 1, 1)
        issuer_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                .public_key(key.public_key()).serial_number(7).not_valid_before(start)
                .not_valid_after(start + timedelta(days=3650)).sign(issuer_key, None))

    key_a, key_b = (ec.derive_private_key(n, ec.SECP256R1()) for n in (1001, 1002))
    leaf_a, leaf_b = issue("Leaf A", "Issuer A", key_a, 1), issue("Leaf B", "Issuer B", key_b, 2)
    blob = (pkcs7.PKCS7SignatureBuilder().set_data(b"content").add_signer(leaf_b, key_b, hashes.SHA256())
            .add_certificate(leaf_a).sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.NoCapabilities]))
    in_blob = [x509.load_der_x509_certificate(c).subject for c in cms.signed_data(blob).certificates]
    assert in_blob == [name("Leaf A"), name("Leaf B")]  # else the test could not tell
    assert [c.subject for c in certificates_from_pkcs7(blob)] == ["CN=Leaf B", "CN=Leaf A"]
    (signer,) = cms.signer_ids(blob)
    assert signer.serial == 7 and signer.issuer == name("Issuer B").public_bytes()


def test_profile_content_through_ber() -> None:
    signed = cms.signed_data((FIXTURES / "ios" / "adhoc-ber.mobileprovision").read_bytes())
    assert signed.content is not None and signed.content.lstrip().startswith(b"<?xml")
    assert signed.certificates


@pytest.mark.parametrize(("data", "problem"), [
    (tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010701")) + tlv(0xA0, tlv(0x04, b"x"))),
     "CMS content is data, not signed data"),
    (tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010702"))), "has no content"),
    (b"\x30\x05\x06\x03", "not a readable CMS/PKCS#7 structure"),
    (tlv(0x31, b""), "expected a CMS ContentInfo"),
])
def test_cms_damage(data: bytes, problem: str) -> None:
    with pytest.raises(ArtifactError, match=problem):
        cms.signed_data(data)
