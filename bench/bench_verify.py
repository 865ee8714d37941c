"""Signature verification benchmark (run by hand): inspector beside openssl and apksigner, in one run.

    python bench/bench_verify.py [--size-mb 1024] [--runs 5] [--keep] [--schemes both|v2v3|v1v2v3]

Builds, once each, under /tmp/inspector-bench (``INSPECTOR_BENCH_DIR`` overrides it):

- verify-<size>.apk: the v2+v3 fixture app with minSdk 24 (fixtures/apk/literal-label.apk, its
  members) plus one STORED asset of that size, zip-aligned and signed v2+v3 (no v1) with
  apksigner;
- verify-v1-<size>.apk: the unsigned fixture app with minSdk 21 (fixtures/apk/unsigned.apk) plus
  the same asset, zip-aligned and signed v1+v2+v3 with apksigner's defaults (below minSdk 24
  apksigner verifies the v1 signature too, so both tools digest every entry as well).

Then measures, as a user runs them (the installed console script, see
common.like_an_installed_package, in a venv of this bench's own: ``INSPECTOR_BENCH_VENV``
overrides it), the whole-process wall time (median), CPU time (median) and peak RSS of:

- ``inspector inspect --json`` (the default: the file's SHA-256 and every signature verified)
  against ``openssl dgst -sha256`` (one read, one hash);
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
import common  # noqa: E402
from common import like_an_installed_package  # noqa: E402

WORK = Path(os.environ.get("INSPECTOR_BENCH_DIR", "/tmp/inspector-bench"))
# A venv of this bench's own: the shared one is reinstalled by any other bench run meanwhile
# (from another checkout), and would then measure that code.
common.USER_VENV = os.environ.get("INSPECTOR_BENCH_VENV", str(WORK / "venv-verify"))
KEYS = ROOT / "fixtures" / "apk" / "keys"
#: (base APK, apksigner's scheme flags) of each signed APK; v1 with apksigner's defaults.
SCHEMES = {
    "v2v3": (ROOT / "fixtures" / "apk" / "literal-label.apk",
             ["--v1-signing-enabled", "false", "--v2-signing-enabled", "true",
              "--v3-signing-enabled", "true"]),
    "v1v2v3": (ROOT / "fixtures" / "apk" / "unsigned.apk",
               ["--v1-signing-enabled", "true", "--v2-signing-enabled", "true",
                "--v3-signing-enabled", "true"]),
}
LABELS = {"v2v3": "v2+v3, minSdk 24", "v1v2v3": "v1+v2+v3, minSdk 21"}


def build(size_mb: int, schemes: str) -> Path:
    target = WORK / (f"verify-{size_mb}.apk" if schemes == "v2v3"
                     else f"verify-{schemes[:2]}-{size_mb}.apk")
    if target.exists():
        return target
    base, flags = SCHEMES[schemes]
    WORK.mkdir(parents=True, exist_ok=True)
    unsigned = WORK / "verify-unsigned.apk"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(unsigned, "w") as out:
        for info in src.infolist():
            if not info.filename.startswith("META-INF/"):
                out.writestr(info, src.read(info))
        with out.open(zipfile.ZipInfo("assets/big.bin"), "w", force_zip64=True) as fh:
            for i in range(size_mb):
                fh.write(chunk[i % 7:] + chunk[:i % 7])
    aligned = WORK / "verify-aligned.apk"
    subprocess.run(["zipalign", "-f", "-p", "4", str(unsigned), str(aligned)], check=True)
    subprocess.run(["apksigner", "sign", "--key", str(KEYS / "release.pk8"), "--cert",
                    str(KEYS / "release.x509.der"), *flags,
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
    ap.add_argument("--keep", action="store_true", help="keep the big APKs for the next run")
    ap.add_argument("--schemes", choices=["both", *SCHEMES], default="both")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    for schemes in SCHEMES if args.schemes == "both" else [args.schemes]:
        bench(args.size_mb, schemes, args.runs, keep=args.keep)


def bench(size_mb: int, schemes: str, runs: int, *, keep: bool) -> None:
    t0 = time.perf_counter()
    apk = build(size_mb, schemes)
    print(f"built {apk} ({apk.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    inspector = os.path.join(common.USER_VENV, "bin", "inspector")
    cases = [
        ("inspector inspect --json (SHA-256 + verify)", [inspector, "inspect", "--json", str(apk)]),
        ("inspector inspect --json --no-verify (SHA-256)",
         [inspector, "inspect", "--json", "--no-verify", str(apk)]),
        ("inspector check (verify, no SHA-256)", [inspector, "check", str(apk)]),
        ("openssl dgst -sha256", ["openssl", "dgst", "-sha256", str(apk)]),
        ("apksigner verify", ["apksigner", "verify", str(apk)]),
    ]
    print(f"\n### {size_mb} MB APK, {LABELS[schemes]} (load average "
          f"{os.getloadavg()[0]:.1f})\n\n"
          "| command | wall (median) | CPU (median) | peak RSS |\n|---|---|---|---|")
    found: dict[str, tuple[float, float, float]] = {}
    for name, cmd in cases:
        try:
            found[name] = measure(cmd, runs)
        except (RuntimeError, OSError) as exc:
            print(f"| {name} | failed: {exc} | | |")
            continue
        wall, cpu, rss = found[name]
        print(f"| {name} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MB |")
    inspect = found.get(cases[0][0])
    check = found.get(cases[2][0])
    for label, ours, what, peer in (
            ("inspect (SHA-256 + verify)", inspect, "openssl dgst -sha256", "target <= 1.25x"),
            ("inspect (SHA-256 + verify)", inspect, "apksigner verify", "target <= 0.4x"),
            ("check (verify)", check, "openssl dgst -sha256", ""),
            ("check (verify)", check, "apksigner verify", "")):
        if ours and what in found:
            print(f"- {label} / {what}: {ours[0] / found[what][0]:.2f}x"
                  + (f" ({peer})" if peer else ""))
    if inspect:
        print(f"- inspect peak RSS: {inspect[2]:.0f} MB (target <= 60 MB)")
    print(f"- load average after the run: {os.getloadavg()[0]:.1f}")
    if not keep:
        apk.unlink()


if __name__ == "__main__":
    main()
