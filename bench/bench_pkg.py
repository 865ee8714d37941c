"""Benchmark the PKG inspector on a component package with a 1 GB payload (run by hand).

Builds, once, in /tmp/inspector-bench-pkg/:
  first.pkg  the app's Info.plist is the first file of the cpio payload, then 1 GB of data;
  last.pkg   the same 1 GB of data comes first and the Info.plist last (the worst case: the
             whole payload is decompressed and walked before the plist is met).
The 1 GB file is hex text of os.urandom bytes (4 bits of entropy per byte), so gzip has real
work to do both ways: `gzip -1` shrinks it to about 55 %, and inflating it is not a no-op as
it would be for zeros or for incompressible (stored-block) data. The cpio stream (odc) is written
here, compressed by the gzip tool and packed as a stored xar member by bsdtar, as pkgbuild does.

Then measures the whole process (``python -m inspector inspect``), via bench/common.py
``measure``:
- reading (``--no-verify``), with ``--no-hash`` and with the SHA-256 of the file. Targets
  (issue 5): first.pkg <= 0.3 s; last.pkg >= 150 MB/s of (uncompressed) payload, <= 80 MB RSS;
- verifying (the default: every member's archived and extracted sha1, the TOC checksum) beside
  its peer in the same run, ``openssl dgst -sha1`` of the same file (``--verify-only`` runs only
  these rows).

    /tmp/venv/bin/python bench/bench_pkg.py [--size-mb 1024] [--runs 3] [--rebuild] [--verify-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import like_an_installed_package, measure, row, user_python

WORK = Path("/tmp/inspector-bench-pkg")
APP = "./Applications/Bench.app"
INFO_PLIST = b"""<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>CFBundleIdentifier</key><string>com.example.bench</string>
<key>CFBundleName</key><string>Bench</string>
<key>CFBundleShortVersionString</key><string>1.0</string>
<key>CFBundleVersion</key><string>1</string>
</dict></plist>
"""
PACKAGE_INFO = """<?xml version="1.0" encoding="utf-8"?>
<pkg-info identifier="com.example.bench.pkg" version="1.0" format-version="2" \
install-location="/" auth="root">
    <payload numberOfFiles="{files}" installKBytes="{kbytes}"/>
    <bundle path="{app}" id="com.example.bench" CFBundleShortVersionString="1.0" \
CFBundleVersion="1"/>
</pkg-info>
"""


def odc_header(name: str, size: int, mode: int) -> bytes:
    encoded = name.encode() + b"\0"
    return (b"070707" + b"%06o" % 0 + b"%06o" % 0 + b"%06o" % mode + b"%06o" % 0 + b"%06o" % 80
            + b"%06o" % 1 + b"%06o" % 0 + b"%011o" % 0 + b"%06o" % len(encoded)
            + b"%011o" % size + encoded)


def write_cpio(out, size: int, plist_first: bool) -> None:  # type: ignore[no-untyped-def]
    dirs = [".", "./Applications", APP, f"{APP}/Contents", f"{APP}/Contents/Resources"]
    for d in dirs:
        out.write(odc_header(d, 0, 0o040755))

    def plist() -> None:
        out.write(odc_header(f"{APP}/Contents/Info.plist", len(INFO_PLIST), 0o100644))
        out.write(INFO_PLIST)

    if plist_first:
        plist()
    out.write(odc_header(f"{APP}/Contents/Resources/data.bin", size, 0o100644))
    block = 1 << 20
    left = size
    while left:
        n = min(block, left)
        out.write(os.urandom((n + 1) // 2).hex().encode()[:n])
        left -= n
    if not plist_first:
        plist()
    out.write(odc_header("TRAILER!!!", 0, 0))


def build(name: str, size: int, plist_first: bool) -> Path:
    target = WORK / f"{name}.pkg"
    comp = WORK / f"{name}-component"
    shutil.rmtree(comp, ignore_errors=True)
    comp.mkdir(parents=True)
    with open(comp / "Payload", "wb") as payload:
        gz = subprocess.Popen(["gzip", "-1", "-n", "-c"], stdin=subprocess.PIPE, stdout=payload)
        assert gz.stdin is not None
        write_cpio(gz.stdin, size, plist_first)
        gz.stdin.close()
        if gz.wait() != 0:
            raise RuntimeError("gzip failed")
    (comp / "PackageInfo").write_text(PACKAGE_INFO.format(files=7, kbytes=size // 1024, app=APP))
    target.unlink(missing_ok=True)
    subprocess.run(["bsdtar", "--format", "xar", "--options",
                    "xar:compression=none,xar:checksum=sha1,xar:toc-checksum=sha1",
                    "-cf", str(target), "PackageInfo", "Payload"], cwd=comp, check=True)
    shutil.rmtree(comp)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--verify-only", action="store_true",
                        help="only the verification rows and their openssl peer")
    args = parser.parse_args()
    like_an_installed_package(Path(__file__).resolve().parent.parent)
    size = args.size_mb << 20
    WORK.mkdir(parents=True, exist_ok=True)
    paths = {}
    builds = (("first", True),) if args.verify_only else (("first", True), ("last", False))
    for name, first in builds:
        path = WORK / f"{name}.pkg"
        if args.rebuild or not path.exists():
            print(f"building {path} ({args.size_mb} MiB payload)...", file=sys.stderr)
            build(name, size, first)
        paths[name] = path
    cmd = [user_python(), "-m", "inspector", "inspect"]
    print(f"payload: {args.size_mb} MiB of hex text (urandom), gzip -1 -> "
          f"{paths['first'].stat().st_size / (1 << 20):.0f} MiB pkg")
    results = {}
    if not args.verify_only:
        print("| case | median wall | peak RSS |")
        print("|---|---|---|")
        for name, path in paths.items():
            for flags in (["--no-verify", "--no-hash"], ["--no-verify"]):
                label = f"{name}.pkg {' '.join(flags)}{'' if '--no-hash' in flags else ' (SHA-256)'}"
                seconds, rss = measure([*cmd, *flags, str(path)], runs=args.runs, warmup=1)
                results[label] = seconds
                print(row(label, seconds, rss), flush=True)
        worst = results["last.pkg --no-verify --no-hash"]
        print(f"\nlast.pkg --no-hash: {size / worst / 1e6:.0f} MB/s of uncompressed payload, "
              f"{paths['last'].stat().st_size / worst / 1e6:.0f} MB/s of compressed payload\n")
    # Verification: every member's stored bytes through sha1 once (archived and extracted
    # checksums agree for stored members), against openssl hashing the same file.
    first = paths["first"]
    mib = first.stat().st_size / (1 << 20)
    print(f"verification of first.pkg ({mib:.0f} MiB), peer in the same run:")
    print("| case | median wall | peak RSS |")
    print("|---|---|---|")
    cases = [
        ("openssl dgst -sha1 (peer)", ["openssl", "dgst", "-sha1", str(first)]),
        ("inspect --no-hash (verifies)", [*cmd, "--no-hash", str(first)]),
        ("inspect --no-hash --no-verify", [*cmd, "--no-hash", "--no-verify", str(first)]),
    ]
    for label, argv in cases:
        seconds, rss = measure(argv, runs=args.runs, warmup=1)
        results[label] = seconds
        print(row(label, seconds, rss), flush=True)
    peer = results["openssl dgst -sha1 (peer)"]
    verify = results["inspect --no-hash (verifies)"]
    print(f"\nverifying: {verify / peer:.2f}x openssl dgst -sha1; {mib / verify:.0f} MiB/s; "
          f"verification alone {verify - results['inspect --no-hash --no-verify']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
