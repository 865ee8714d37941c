"""Signature verification benchmark (run by hand): inspector beside openssl and apksigner, in one run.

    python bench/bench_verify.py [--size-mb 1024] [--runs 5] [--keep]

Builds /tmp/inspector-bench/verify-<size>.apk once: the v2+v3 fixture app with minSdk 24
(fixtures/apk/literal-label.apk, its members) plus one STORED asset of that size, zip-aligned and
signed v2+v3 (no v1) with apksigner. Then measures, as a user runs them (the installed console
script, see common.like_an_installed_package), the whole-process wall time (median) and peak RSS
of:

- ``inspector inspect --json`` (the default: the file's SHA-256 and every signature verified,
  from one read of the file on two cores) against ``openssl dgst -sha256`` (one read, one hash);
- ``inspector check`` (verification without the whole-file hash) and ``apksigner verify``.

and prints the ratios the targets are stated in (README, Performance): inspect <= 1.25x openssl,
<= 0.4x apksigner, peak RSS <= 60 MB. Needs zipalign, apksigner and openssl.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import USER_VENV, like_an_installed_package  # noqa: E402

WORK = Path("/tmp/inspector-bench")
KEYS = ROOT / "fixtures" / "apk" / "keys"
BASE = ROOT / "fixtures" / "apk" / "literal-label.apk"


def build(size_mb: int) -> Path:
    target = WORK / f"verify-{size_mb}.apk"
    if target.exists():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    unsigned = WORK / "verify-unsigned.apk"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(BASE) as src, zipfile.ZipFile(unsigned, "w") as out:
        for info in src.infolist():
            if not info.filename.startswith("META-INF/"):
                out.writestr(info, src.read(info))
        with out.open(zipfile.ZipInfo("assets/big.bin"), "w", force_zip64=True) as fh:
            for i in range(size_mb):
                fh.write(chunk[i % 7:] + chunk[:i % 7])
    aligned = WORK / "verify-aligned.apk"
    subprocess.run(["zipalign", "-f", "-p", "4", str(unsigned), str(aligned)], check=True)
    subprocess.run(["apksigner", "sign", "--key", str(KEYS / "release.pk8"), "--cert",
                    str(KEYS / "release.x509.der"), "--v1-signing-enabled", "false",
                    "--v2-signing-enabled", "true", "--v3-signing-enabled", "true",
                    "--v4-signing-enabled", "false", "--out", str(target), str(aligned)],
                   check=True)
    unsigned.unlink()
    aligned.unlink()
    return target


def measure(cmd: list[str], runs: int) -> tuple[float, float, float]:
    """(median wall s, median CPU s (user + system), max peak RSS MB) of ``cmd`` over ``runs``
    runs after one warm-up. CPU time says what a run costs whatever else shares the machine;
    wall time says what it takes, given the cores it got."""
    walls: list[float] = []
    cpus: list[float] = []
    peaks: list[float] = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{cmd[0]} exited {os.waitstatus_to_exitcode(status)}: {err[-300:]}")
        if i:
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime)
            peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


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
    inspector = os.path.join(USER_VENV, "bin", "inspector")
    cases = [
        ("inspector inspect --json (SHA-256 + verify)", [inspector, "inspect", "--json", str(apk)]),
        ("inspector inspect --json --no-verify (SHA-256)",
         [inspector, "inspect", "--json", "--no-verify", str(apk)]),
        ("inspector check (verify, no SHA-256)", [inspector, "check", str(apk)]),
        ("openssl dgst -sha256", ["openssl", "dgst", "-sha256", str(apk)]),
        ("apksigner verify", ["apksigner", "verify", str(apk)]),
    ]
    print(f"\n### {args.size_mb} MB APK, v2+v3 (load average {os.getloadavg()[0]:.1f})\n\n"
          "| command | wall (median) | CPU (median) | peak RSS |\n|---|---|---|---|")
    found: dict[str, tuple[float, float, float]] = {}
    for name, cmd in cases:
        try:
            found[name] = measure(cmd, args.runs)
        except (RuntimeError, OSError) as exc:
            print(f"| {name} | failed: {exc} | | |")
            continue
        wall, cpu, rss = found[name]
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MB |")
    inspect = found.get(cases[0][0])
    for what, peer in (("openssl dgst -sha256", "target <= 1.25x"),
                       ("apksigner verify", "target <= 0.4x")):
        if inspect and what in found:
            print(f"- inspect (SHA-256 + verify) / {what}: {inspect[0] / found[what][0]:.2f}x "
                  f"({peer})")
    if inspect:
        print(f"- inspect peak RSS: {inspect[2]:.0f} MB (target <= 60 MB)")
    print(f"- load average after the run: {os.getloadavg()[0]:.1f}")
    if not args.keep:
        apk.unlink()


if __name__ == "__main__":
    main()
