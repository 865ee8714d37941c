#!/usr/bin/env python3
"""Record an independent verdict on every checksum and signature of every PKG fixture (good and
tampered) and of the shared corpus pkg, with real tools; inspector's code is not used.

For each <pkg>, <name>.checksums.txt holds one tab-separated line per check:

  toc        <alg>  <openssl dgst of the compressed TOC, cut with dd>  <the heap's copy, cut with dd>
  archived   <member>  <style>  <the TOC's archived-checksum>  <openssl dgst of the stored bytes, cut with dd>
  extracted  <member>  <style>  <the TOC's extracted-checksum>  <openssl dgst of `bsdtar -xOf pkg member`>
  signature  RSA|CMS  <openssl's verdict line>

The extracted digest is `bsdtar-failed` when bsdtar refuses the member (it checks checksums too).
RSA: `openssl pkeyutl -verify -pkeyopt digest:<alg>` of the signature over the TOC digest with the
key of the first X509Certificate of the signature's KeyInfo. CMS: `openssl cms -verify -binary
-noverify` of the blob over the TOC digest as detached content (no chain check, as inspector).
Python does only what no tool does here: read the 28-byte header and inflate the TOC (zlib) to
find offsets and the TOC's values. Rerun after fixtures/pkg/make.sh and make_tampered.py.
"""

from __future__ import annotations

import base64
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[2] / "fixtures" / "pkg"
CORPUS = HERE.parents[3] / "shared" / "corpus" / "macos"
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
HEADER_ALGS = {1: "sha1", 2: "md5", 3: "sha256", 4: "sha512"}  # Apple's xar numbering


def run(cmd: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, input=stdin, capture_output=True, check=False)


def dd(path: Path, offset: int, count: int) -> bytes:
    return run(["dd", f"if={path}", "iflag=skip_bytes,count_bytes", f"skip={offset}",
                f"count={count}", "bs=1M", "status=none"]).stdout


def dgst(alg: str, data: bytes, *, binary: bool = False) -> bytes | str:
    out = run(["openssl", "dgst", f"-{alg}", "-binary" if binary else "-r"], data).stdout
    return out if binary else out.decode().split()[0]


def files(node: ET.Element, prefix: str = ""):
    for f in node.findall("file"):
        name = prefix + f.findtext("name")
        yield name, f
        yield from files(f, name + "/")


def record(pkg: Path, out: Path) -> None:
    head = dd(pkg, 0, 28)
    _, hsize, _, toc_len, _, alg_number = struct.unpack(">4sHHQQI", head)
    assert hsize == 28, "a named algorithm (mackyle's xar) is not handled here"
    alg = HEADER_ALGS[alg_number]
    toc_bytes = dd(pkg, hsize, toc_len)
    toc = ET.fromstring(zlib.decompress(toc_bytes)).find("toc")
    heap = hsize + toc_len
    lines = []
    cksum = toc.find("checksum")
    stored = dd(pkg, heap + int(cksum.findtext("offset")), int(cksum.findtext("size")))
    toc_digest = dgst(alg, toc_bytes, binary=True)
    lines.append(["toc", alg, toc_digest.hex(), stored.hex()])
    for name, f in files(toc):
        data = f.find("data")
        if data is None:
            continue
        offset, length = int(data.findtext("offset")), int(data.findtext("length"))
        archived = data.find("archived-checksum")
        style = archived.get("style")
        lines.append(["archived", name, style, archived.text.strip(),
                      dgst(style, dd(pkg, heap + offset, length))])
        extracted = data.find("extracted-checksum")
        style = extracted.get("style")
        got = run(["bsdtar", "-xOf", str(pkg), name])
        lines.append(["extracted", name, style, extracted.text.strip(),
                      dgst(style, got.stdout) if got.returncode == 0 else "bsdtar-failed"])
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "digest.bin").write_bytes(toc_digest)
        for elem in toc:
            if elem.tag not in ("signature", "x-signature"):
                continue
            blob = dd(pkg, heap + int(elem.findtext("offset")), int(elem.findtext("size")))
            (t / "sig.bin").write_bytes(blob)
            if elem.tag == "x-signature":
                res = run(["openssl", "cms", "-verify", "-binary", "-noverify", "-inform", "DER",
                           "-in", str(t / "sig.bin"), "-content", str(t / "digest.bin"),
                           "-out", "/dev/null"])
                verdict = (res.stdout + res.stderr).decode().splitlines()[0]
                lines.append(["signature", "CMS", verdict])
                continue
            cert = next(elem.iter(f"{DSIG}X509Certificate")).text
            pem = ("-----BEGIN CERTIFICATE-----\n" + "\n".join(
                base64.encodebytes(base64.b64decode("".join(cert.split()))).decode().split())
                + "\n-----END CERTIFICATE-----\n")
            (t / "leaf.pem").write_text(pem)
            pub = run(["openssl", "x509", "-in", str(t / "leaf.pem"), "-pubkey", "-noout"])
            (t / "leaf.pub").write_bytes(pub.stdout)
            res = run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(t / "leaf.pub"),
                       "-sigfile", str(t / "sig.bin"), "-in", str(t / "digest.bin"),
                       "-pkeyopt", f"digest:{alg}"])
            verdict = (res.stdout + res.stderr).decode().splitlines()[0]
            lines.append(["signature", "RSA", verdict])
    out.write_text("".join("\t".join(line) + "\n" for line in lines))


def main() -> None:
    pkgs = sorted(p for p in FIXTURES.glob("*.pkg") if p.name not in ("corrupt-toc.pkg",))
    pkgs += sorted((FIXTURES / "tampered").glob("*.pkg"))
    pkgs += sorted(CORPUS.glob("*.pkg"))
    for pkg in pkgs:
        prefix = "tampered." if pkg.parent.name == "tampered" else ""
        out = HERE / f"{prefix}{pkg.stem}.checksums.txt"
        record(pkg, out)
        print(out.name, file=sys.stderr)


if __name__ == "__main__":
    main()
