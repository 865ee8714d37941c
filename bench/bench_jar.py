"""JAR (v1) verification benchmark (run by hand): an App Bundle of SIZE MB signed by jarsigner.

    python bench/bench_jar.py [--size-mb 512] [--runs 3] [--keep]

Builds the signed bundle as bench_aab.py does (the fixture bundle's members plus one stored
random asset, signed by jarsigner with the fixture upload key), then times, in one run, the whole
process of: ``inspector inspect --json --no-hash`` (which verifies the JAR signature: every
entry's SHA-256 against the manifest), the same with ``--no-verify``, the peer
``jarsigner -verify``, and ``openssl dgst -sha256`` of the whole file (the floor of any reader
that hashes every byte once). Medians and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_aab import build  # noqa: E402
from common import USER_VENV, like_an_installed_package, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the big AAB for the next run")
    args = ap.parse_args()
    if not shutil.which("jarsigner"):
        sys.exit("bench_jar.py: jarsigner is needed (to sign the bundle and as the peer)")
    like_an_installed_package(ROOT)
    t0 = time.perf_counter()
    aab = build(args.size_mb)
    print(f"built {aab} ({aab.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    inspector = [os.path.join(USER_VENV, "bin", "inspector"), "inspect", "--json", "--no-hash"]
    print_table([
        ("inspector inspect --json --no-hash (verifies v1)", [*inspector, str(aab)]),
        ("inspector inspect --json --no-hash --no-verify", [*inspector, "--no-verify", str(aab)]),
        ("jarsigner -verify", ["jarsigner", "-verify", str(aab)]),
        ("openssl dgst -sha256 (the whole file once)", ["openssl", "dgst", "-sha256", str(aab)]),
    ], args.runs)
    if not args.keep:
        aab.unlink()


if __name__ == "__main__":
    main()
