"""AAB benchmark (run by hand): a 1 GB App Bundle, whole-process and in-process.

    python bench/bench_aab.py [--size-mb 1024] [--runs 5] [--keep]

Builds /tmp/inspector-bench/big-<size>.aab once: the members of the unsigned fixture bundle
(fixtures/aab/bundle-unsigned.aab: base + two feature modules + an asset pack) plus one 1 GB
STORED asset in the asset pack (``pack/assets/big.bin``), written by streaming 1 MiB chunks, then
JAR-signed with jarsigner and the fixture upload key (when jarsigner is installed) so the
signature covers the asset as in a real upload. Then measures whole-process wall time (median)
and peak RSS of ``inspector inspect --json`` with and without the SHA-256, and the in-process
parse time of ``inspector.inspect(path, digest=False)`` after import (median of many runs).
Targets (issue 3): parse <= 20 ms; whole process <= 0.3 s and <= 60 MB without the digest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    inspector_cases,
    like_an_installed_package,
    parse_time,
    print_table,
    startup_floor,
    user_python,
)

WORK = Path("/tmp/inspector-bench")
SOURCE = ROOT / "fixtures" / "aab" / "bundle-unsigned.aab"
KEYSTORE = ROOT / "fixtures" / "aab" / "keys" / "upload.p12"


def build(size_mb: int) -> Path:
    target = WORK / f"big-{size_mb}.aab"
    if target.exists():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    partial = WORK / "partial.aab"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(partial, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        big = zipfile.ZipInfo("pack/assets/big.bin", date_time=(2025, 1, 1, 0, 0, 0))
        big.compress_type = zipfile.ZIP_STORED
        with out.open(big, "w", force_zip64=True) as fh:
            for i in range(size_mb):
                fh.write(chunk[i % 7 :] + chunk[: i % 7])
    if shutil.which("jarsigner"):
        subprocess.run(["jarsigner", "-keystore", str(KEYSTORE), "-storetype", "PKCS12",
                        "-storepass", "android", "-digestalg", "SHA-256", "-sigalg",
                        "SHA256withRSA", str(partial), "upload"], check=True,
                       stdout=subprocess.DEVNULL)
    partial.rename(target)
    return target


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the big AAB for the next run")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    t0 = time.perf_counter()
    aab = build(args.size_mb)
    print(f"built {aab} ({aab.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    cases = [
        startup_floor(),
        ("python -c 'import inspector.cli'", [user_python(), "-c", "import inspector.cli"]),
        # What the protobuf runtime alone would add, had the decoder used it.
        ("python -c 'import google.protobuf.message_factory'",
         [sys.executable, "-c", "import google.protobuf.message_factory"]),
        *inspector_cases(aab),
    ]
    print_table(cases, args.runs)
    seconds, heavy = parse_time(aab, args.runs)
    print(f"\nin-process parse (inspector.inspect, digest=False, verify=False), median: "
          f"{seconds * 1000:.1f} ms")
    print(f"heavy modules imported on the AAB path: {', '.join(heavy) or 'none'}")
    if not args.keep:
        aab.unlink()


if __name__ == "__main__":
    main()
