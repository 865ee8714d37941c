#!/usr/bin/env bash
# Record independent views of the PKG fixtures and of the shared corpus pkg, with real tools only
# (bsdtar, gunzip, xz, cpio, plistutil, openssl); inspector's code is not used. tests/test_pkg.py
# and friends take their expected values from these files. Rerun after fixtures/pkg/make.sh.
#   <pkg>.tvf.txt                   bsdtar -tvf <pkg>
#   <pkg>[.<folder>].<Member>.xml   bsdtar -xOf <pkg> <member>   (Distribution, PackageInfo)
#   <pkg>[.<folder>].payload.txt    cpio -itv of the decompressed Payload
#   <pkg>.Info.plist.xml            the app's Info.plist from the payload, as XML (plistutil)
#   <pkg>.certs.txt                 openssl x509 of each X509Certificate in the TOC's signatures
#   tampered.<name>.tvf.txt         bsdtar -tvf of fixtures/pkg/tampered/<name>.pkg (and its exit)
# (<pkg>.checksums.txt are record_checksums.py's.)
# pbzx has no packaged decoder: its chunks are cut by a few lines of Python (struct only) and
# each xz chunk is decoded by `xz -dc`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../../../fixtures/pkg" && pwd)
corpus=$(cd "$here/../../.." && pwd)/../shared/corpus/macos
cd "$here"
rm -f ./*.tvf.txt ./*.payload.txt ./*.certs.txt ./newc.cpio.txt ./*.xml

# decompress: gzip, pbzx or plain cpio on stdin -> cpio on stdout
decompress() {
    python3 -c '
import struct, subprocess, sys
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
if data[:2] == b"\x1f\x8b":
    out.write(subprocess.run(["gunzip", "-c"], input=data, capture_output=True, check=True).stdout)
elif data[:4] == b"pbzx":
    pos = 12
    while pos < len(data):
        usize, csize = struct.unpack(">QQ", data[pos:pos + 16])
        chunk = data[pos + 16:pos + 16 + csize]
        pos += 16 + csize
        if csize == usize:
            out.write(chunk)
        else:
            out.write(subprocess.run(["xz", "-dc"], input=chunk, capture_output=True,
                                     check=True).stdout)
else:
    out.write(data)
'
}

record() {
    local pkg=$1 base
    base=$(basename "$pkg" .pkg)
    bsdtar -tvf "$pkg" > "$base.tvf.txt"
    local member
    for member in $(bsdtar -tf "$pkg"); do
        case "$member" in
        Distribution | PackageInfo | */PackageInfo)
            bsdtar -xOf "$pkg" "$member" > "$base.${member//\//.}.xml" ;;
        Payload | */Payload)
            local prefix=${member%Payload}
            prefix=${prefix//\//.}
            bsdtar -xOf "$pkg" "$member" | decompress | (cd /tmp && cpio -itv --quiet) \
                > "$base.${prefix}payload.txt"
            local plist=./Applications/Fixture.app/Contents/Info.plist
            if bsdtar -xOf "$pkg" "$member" | decompress | cpio -it --quiet | grep -qx "$plist"
            then
                bsdtar -xOf "$pkg" "$member" | decompress \
                    | cpio -i --quiet --to-stdout "$plist" > "/tmp/$base.plist"
                plistutil -i "/tmp/$base.plist" -f xml -o "$base.Info.plist.xml"
                rm -f "/tmp/$base.plist"
            fi ;;
        esac
    done
}

for pkg in "$fixtures"/component.pkg "$fixtures"/product.pkg "$fixtures"/multi.pkg \
    "$fixtures"/pbzx.pkg "$fixtures"/bzip2.pkg "$fixtures"/noapp.pkg "$fixtures"/signed.pkg \
    "$corpus"/MacAppOnly.pkg; do
    record "$pkg"
done

# The hostile copies: what bsdtar says about them (it checks the TOC checksum too).
for pkg in corrupt-toc bad-checksum; do
    bsdtar -tvf "$fixtures/$pkg.pkg" > "$pkg.tvf.txt" 2>&1 || echo "exit $?" >> "$pkg.tvf.txt"
done
# The tampered copies (fixtures/pkg/make_tampered.py); their checksums and signatures are
# judged by record_checksums.py.
for pkg in "$fixtures"/tampered/*.pkg; do
    base=tampered.$(basename "$pkg" .pkg)
    bsdtar -tvf "$pkg" > "$base.tvf.txt" 2>&1 || echo "exit $?" >> "$base.tvf.txt"
done

# The signed fixture's certificate chain, as openssl reads it from the TOC's KeyInfo.
python3 -c '
import re, struct, sys, zlib
data = open(sys.argv[1], "rb").read()
_, hsize, _, toc_len, _, _ = struct.unpack(">4sHHQQI", data[:28])
toc = zlib.decompress(data[hsize:hsize + toc_len]).decode()
first = toc.split("</X509Data>")[0]
for n, cert in enumerate(re.findall(r"<(?:\w+:)?X509Certificate>([^<]+)<", first)):
    with open(f"/tmp/signed-chain-{n}.pem", "w") as fh:
        fh.write("-----BEGIN CERTIFICATE-----\n" + cert.strip() + "\n-----END CERTIFICATE-----\n")
' "$fixtures/signed.pkg"
for pem in /tmp/signed-chain-*.pem; do
    openssl x509 -in "$pem" -noout -nameopt RFC2253 -subject -enddate -fingerprint -sha256
done > signed.certs.txt
rm -f /tmp/signed-chain-*.pem

# cpio's own listing of the newc fixture.
cpio -itv --quiet < "$fixtures/newc.cpio" > newc.cpio.txt
ls
