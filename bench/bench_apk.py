"""APK benchmark (run by hand): a 1 GB APK, inspector beside androguard, aapt2 and app-info-parser.

    python bench/bench_apk.py [--size-mb 1024] [--runs 5] [--keep]

Builds /tmp/inspector-bench/big.apk once: the fixture app (fixtures/apk/src, via the unsigned
fixture's members) plus one 1 GB STORED asset, zip-aligned and signed v1+v2+v3 with apksigner, so
the APK Signing Block sits where a real one does. Then measures whole-process wall time (median)
and peak RSS of each tool on it, and inspector's in-process parse time. Needs Debian's zipalign and
apksigner, and `npm install --prefix bench` for the peer; tools that are missing are skipped.
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
    peer_cases,
    print_table,
    startup_floor,
)

WORK = Path("/tmp/inspector-bench")
KEYS = ROOT / "fixtures" / "apk" / "keys"


def build(size_mb: int) -> Path:
    target = WORK / f"big-{size_mb}.apk"
    if target.exists():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    unsigned = WORK / "unsigned.apk"
    source = ROOT / "fixtures" / "apk" / "unsigned.apk"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(unsigned, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        with out.open(zipfile.ZipInfo("assets/big.bin"), "w", force_zip64=True) as fh:
            for i in range(size_mb):
                fh.write(chunk[i % 7 :] + chunk[: i % 7])
    aligned = WORK / "aligned.apk"
    subprocess.run(["zipalign", "-f", "-p", "4", str(unsigned), str(aligned)], check=True)
    subprocess.run(["apksigner", "sign", "--key", str(KEYS / "release.pk8"), "--cert",
                    str(KEYS / "release.x509.der"), "--v4-signing-enabled", "false",
                    "--out", str(target), str(aligned)], check=True)
    unsigned.unlink()
    aligned.unlink()
    return target


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the big APK for the next run")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    t0 = time.perf_counter()
    apk = build(args.size_mb)
    print(f"built {apk} ({apk.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    cases = [
        startup_floor(),
        ("python -c 'import androguard.core.axml'", [sys.executable, "-c", "import androguard.core.axml"]),
        *inspector_cases(apk),
        ("androguard APK()", [sys.executable, "-c",
                              f"from loguru import logger; logger.disable('androguard');"
                              f"from androguard.core.apk import APK; APK({str(apk)!r})"]),
    ]
    if shutil.which("aapt2"):
        cases.append(("aapt2 dump badging", ["aapt2", "dump", "badging", str(apk)]))
    print_table([*cases, *peer_cases(apk)], args.runs)
    print(f"\nin-process parse (inspector.inspect, digest=False), median: "
          f"{parse_time(apk, args.runs)[0] * 1000:.1f} ms")
    if not args.keep:
        apk.unlink()


if __name__ == "__main__":
    main()
