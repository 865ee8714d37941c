"""``inspector diff`` benchmark (run by hand): two 1 GB APKs against one inspection, in one run.

    python bench/bench_diff.py [--size-mb 1024] [--runs 9]

Builds two APKs as bench_apk.py does (the fixture app plus one STORED asset of SIZE and SIZE+8 MB,
zip-aligned, signed v1+v2+v3 with apksigner) under /tmp/inspector-bench-diff, installs the
checkout into a venv of its own (as bench_apk.py, but a separate folder, so that another
checkout's bench running at the same time cannot swap the package under this one), and measures
whole processes, medians of ``--runs`` rounds (each round runs every case once) after a
warm-up round:

- the peer: ``inspector inspect --json --no-hash --no-verify OLD`` (one inspection);
- ``inspector diff OLD NEW`` (target: at most 2.5x the peer), with and without ``--no-verify``;
- ``inspector diff SAVED.json NEW``, SAVED being OLD's ``inspect --json`` (target: about one
  inspection's time, since only NEW is read).
"""

from __future__ import annotations

import argparse
import statistics
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
    # Round-robin: one run of each case per round, so that the machine's other work (this is a
    # shared 2-core machine) weighs on every case alike and the ratios stay meaningful.
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    peaks: dict[str, float] = {name: 0.0 for name, _ in cases}
    for round_ in range(args.runs + 1):
        for name, cmd in cases:
            seconds, rss = common.measure(cmd, runs=1, warmup=0)
            if round_:  # the first round warms the page cache
                times[name].append(seconds)
                peaks[name] = max(peaks[name], rss)
    print("| command | wall (median) | peak RSS | / peer |")
    print("|---|---|---|---|")
    peer = statistics.median(times[cases[0][0]])
    for name, _ in cases:
        median = statistics.median(times[name])
        print(f"| {name} | {median:.3f} s | {peaks[name]:.0f} MB | {median / peer:.2f}x |")
    print()
    print(_in_process(old, new, saved, args.runs))


def _in_process(old: Path, new: Path, saved: Path, runs: int) -> str:
    """Medians inside one process that has imported everything: one inspection against the diff
    of two builds and the diff against the saved JSON (no start-up in either)."""
    code = (
        "import statistics, sys, time, inspector\n"
        "from inspector.diff import diff_files\n"
        "old, new, saved, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "cases = {'inspect OLD': lambda: inspector.inspect(old, digest=False, verify=False),\n"
        "         'diff OLD NEW': lambda: diff_files(old, new, verify=False),\n"
        "         'diff SAVED.json NEW': lambda: diff_files(saved, new, verify=False)}\n"
        "times = {k: [] for k in cases}\n"
        "for f in cases.values(): f()\n"
        "for _ in range(runs):\n"
        "    for k, f in cases.items():\n"
        "        t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)\n"
        "base = statistics.median(times['inspect OLD'])\n"
        "for k, v in times.items():\n"
        "    m = statistics.median(v)\n"
        "    print(f'in process, {k}: {m * 1000:.1f} ms ({m / base:.2f}x)')\n"
    )
    result = subprocess.run([common.user_python(), "-c", code, str(old), str(new), str(saved),
                             str(runs * 3)], check=True, capture_output=True, text=True)
    return result.stdout.rstrip()


if __name__ == "__main__":
    main()
