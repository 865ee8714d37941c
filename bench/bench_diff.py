"""``inspector diff`` benchmark (run by hand): two 1 GB APKs against one inspection, in one run.

    python bench/bench_diff.py [--size-mb 1024] [--runs 9]

Builds two APKs as bench_apk.py does (the fixture app plus one STORED asset of SIZE and SIZE+8 MB,
zip-aligned, signed v1+v2+v3 with apksigner) under /tmp/inspector-bench-diff, installs the
checkout into a venv of its own (as bench_apk.py, but a separate folder, so that another
checkout's bench running at the same time cannot swap the package under this one), and measures
whole processes, medians of ``--runs`` after a warm-up:

- the peer: ``inspector inspect --json --no-hash --no-verify OLD`` (one inspection);
- ``inspector diff OLD NEW`` (target: at most 2.5x the peer), with and without ``--no-verify``;
- ``inspector diff SAVED.json NEW``, SAVED being OLD's ``inspect --json`` (target: about one
  inspection's time, since only NEW is read).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_apk  # noqa: E402
import common  # noqa: E402

WORK = Path("/tmp/inspector-bench-diff")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    bench_apk.WORK = WORK
    common.USER_VENV = str(WORK / "venv-user")
    old = bench_apk.build(args.size_mb)
    new = bench_apk.build(args.size_mb + 8)
    common.like_an_installed_package(ROOT)
    inspector = str(Path(common.USER_VENV) / "bin" / "inspector")
    saved = WORK / "old.json"
    with open(saved, "w", encoding="utf-8") as fh:
        subprocess.run([inspector, "inspect", "--json", "--no-hash", str(old)], check=True,
                       stdout=fh)
    cases = [
        ("inspect --json --no-hash --no-verify OLD (peer)",
         [inspector, "inspect", "--json", "--no-hash", "--no-verify", str(old)]),
        ("diff OLD NEW", [inspector, "diff", str(old), str(new)]),
        ("diff --no-verify OLD NEW", [inspector, "diff", "--no-verify", str(old), str(new)]),
        ("diff --format json OLD NEW", [inspector, "diff", "--format", "json", str(old), str(new)]),
        ("diff SAVED.json NEW", [inspector, "diff", str(saved), str(new)]),
        ("diff --no-verify SAVED.json NEW", [inspector, "diff", "--no-verify", str(saved), str(new)]),
        common.startup_floor(),
    ]
    print(f"OLD {old.name} ({old.stat().st_size} bytes), NEW {new.name} ({new.stat().st_size} "
          f"bytes), saved JSON {saved.stat().st_size} bytes; medians of {args.runs} runs")
    print("| command | wall (median) | peak RSS | / peer |")
    print("|---|---|---|---|")
    peer = None
    for name, cmd in cases:
        seconds, rss = common.measure(cmd, runs=args.runs)
        peer = seconds if peer is None else peer
        print(f"| {name} | {seconds:.3f} s | {rss:.0f} MB | {seconds / peer:.2f}x |")


if __name__ == "__main__":
    main()
