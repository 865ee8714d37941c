"""IPA benchmark (run by hand): a 1 GB IPA, inspector beside the peer app-info-parser.

    python bench/bench_ipa.py [--size-mb 1024] [--runs 5] [--keep]

Builds /tmp/inspector-bench/big-<size>.ipa once: every member of the reference fixture
(fixtures/ios/adhoc.ipa: app, widget extension, watch app, profiles, signed fat executables, CgBI
icons) plus one large STORED resource inside the app bundle, streamed to disk 1 MB at a time.
Then measures whole-process wall time (median) and peak RSS with and without the SHA-256, the
import cost alone, inspector's in-process parse time, and `node bench/peer_app_info_parser.js`
(`npm install --prefix bench` first; skipped when absent).
"""

from __future__ import annotations

import argparse
import os
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
    user_python,
)

WORK = Path("/tmp/inspector-bench")
SOURCE = ROOT / "fixtures" / "ios" / "adhoc.ipa"
RESOURCE = "Payload/Fixture.app/Resources/big.bin"


def build(size_mb: int) -> Path:
    target = WORK / f"big-{size_mb}.ipa"
    if target.exists():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    chunk = os.urandom(1 << 20)
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(partial, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        big = zipfile.ZipInfo(RESOURCE)
        big.compress_type = zipfile.ZIP_STORED
        with out.open(big, "w", force_zip64=True) as fh:
            for i in range(size_mb):
                fh.write(chunk[i % 7:] + chunk[: i % 7])
    partial.rename(target)
    return target


def import_cost(path: Path) -> str:
    """The slowest cumulative imports of one `inspect --json --no-hash` run (python -X importtime)."""
    done = subprocess.run(
        [user_python(), "-X", "importtime", "-m", "inspector", "inspect", "--json", "--no-hash",
         str(path)], capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.strip()))
    top = sorted(rows, reverse=True)[:8]
    return "\n".join(f"  {us / 1000:6.1f} ms  {name}" for us, name in top)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the big IPA for the next run")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    t0 = time.perf_counter()
    ipa = build(args.size_mb)
    print(f"built {ipa} ({ipa.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    cases = [
        startup_floor(),
        ("python -c 'import inspector.cli' (imports)", [user_python(), "-c", "import inspector.cli"]),
        *inspector_cases(ipa),
        *peer_cases(ipa),
    ]
    print_table(cases, args.runs)
    print(f"\nin-process parse (inspector.inspect, digest=False, verify=False), median: "
          f"{parse_time(ipa, args.runs)[0] * 1000:.1f} ms")
    print("\nslowest imports (cumulative, python -X importtime):\n" + import_cost(ipa))
    if not args.keep:
        ipa.unlink()


if __name__ == "__main__":
    main()
