"""APK benchmark (run by hand): inspector beside app-info-parser, aapt2 and openssl, in one run.

    python bench/bench_apk.py [--size-mb 1024] [--runs 5] [--keep] [--install]

Measures the shared corpus's android.apk first, then a generated 1 GB APK, and prints medians and
the ratios the targets are stated in (README, Performance); ``--install`` adds the fresh-venv cost
of ``pip install`` with and without androguard (the old runtime dependency).

Builds /tmp/inspector-bench/big.apk once: the fixture app (fixtures/apk/src, via the unsigned
fixture's members) plus one 1 GB STORED asset, zip-aligned and signed v1+v2+v3 with apksigner, so
the APK Signing Block sits where a real one does. Then measures whole-process wall time (median)
and peak RSS of each tool on it, and inspector's in-process parse time. Needs Debian's zipalign and
apksigner, and `npm ci --prefix bench` for the peer; tools that are missing are skipped.
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
    measure,
    parse_time,
    peer_cases,
    row,
    startup_floor,
)

WORK = Path("/tmp/inspector-bench")
KEYS = ROOT / "fixtures" / "apk" / "keys"
CORPUS_APK = ROOT.parent / "shared" / "corpus" / "android" / "android.apk"


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


def _median_rows(label: str, cases: list[tuple[str, list[str]]], runs: int) -> dict[str, tuple[float, float]]:
    """Run every case, print one Markdown row each, return ``{name: (median s, peak MB)}``."""
    print(f"\n### {label}\n\n| command | wall (median) | peak RSS |\n|---|---|---|")
    found: dict[str, tuple[float, float]] = {}
    for name, cmd in cases:
        try:
            found[name] = measure(cmd, runs=runs)
        except (RuntimeError, OSError) as exc:
            print(f"| {name} | failed: {exc} | |")
            continue
        print(row(name, *found[name]))
    return found


def _ratios(found: dict[str, tuple[float, float]], pairs: list[tuple[str, str, str]]) -> None:
    for what, ours, theirs in pairs:
        if ours in found and theirs in found:
            print(f"- {what}: {found[ours][0] / found[theirs][0]:.2f}x")


def _androguard_parse(apk: Path, runs: int) -> float | None:
    """Median ms of the old path (androguard's AXMLParser + ARSCParser) on the two members, if installed."""
    code = (
        "import statistics, time, zipfile\n"
        "from loguru import logger; logger.disable('androguard')\n"
        "from androguard.core import axml\n"
        f"z = zipfile.ZipFile({str(apk)!r})\n"
        "m, r = z.read('AndroidManifest.xml'), z.read('resources.arsc')\n"
        "def once():\n"
        "    p = axml.AXMLParser(m)\n"
        "    while next(p) != axml.END_DOCUMENT and p.is_valid(): pass\n"
        "    a = axml.ARSCParser(r); a._analyse()\n"
        "t = []\n"
        f"for _ in range({runs * 2}):\n"
        "    s = time.perf_counter(); once(); t.append(time.perf_counter() - s)\n"
        "print(statistics.median(t))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout) * 1000 if out.returncode == 0 else None


def _cases(apk: Path) -> list[tuple[str, list[str]]]:
    cases = [startup_floor(), *inspector_cases(apk)]
    if shutil.which("aapt2"):
        cases.append(("aapt2 dump badging", ["aapt2", "dump", "badging", str(apk)]))
    if shutil.which("openssl"):
        cases.append(("openssl dgst -sha256", ["openssl", "dgst", "-sha256", str(apk)]))
    return [*cases, *peer_cases(apk)]


_READ = "inspector inspect --json --no-hash --no-verify"
_PAIRS = [
    ("inspector reading (--no-hash --no-verify) / app-info-parser", _READ, "app-info-parser (node)"),
    ("inspector reading (--no-hash --no-verify) / aapt2", _READ, "aapt2 dump badging"),
    ("inspector verifying (--no-hash) / app-info-parser", "inspector inspect --json --no-hash",
     "app-info-parser (node)"),
    ("inspector default (SHA-256 + verify) / openssl dgst -sha256", "inspector inspect --json (with SHA-256)",
     "openssl dgst -sha256"),
]


def install_cost() -> None:
    """Fresh venvs: ``pip install`` of the project, and of the project plus androguard (the old
    runtime dependency), with the wall time and the size the install adds to the empty venv."""
    def size(path: Path) -> int:
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())

    for label, extra in (("inspector", []), ("inspector + androguard (before)", ["androguard>=4.1"])):
        venv = WORK / "venv-install"
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        empty = size(venv)
        start = time.perf_counter()
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT), *extra], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        listed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], check=True,
                                capture_output=True, text=True).stdout.split()
        added = (size(venv) - empty) / 1e6
        print(f"| {label} | +{added:.1f} MB | {elapsed:.1f} s | {len(listed)} packages |")
        shutil.rmtree(venv, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the big APK for the next run")
    ap.add_argument("--install", action="store_true", help="also measure fresh-venv install cost")
    args = ap.parse_args()
    like_an_installed_package(ROOT)
    if CORPUS_APK.exists():
        found = _median_rows(f"corpus {CORPUS_APK.name} ({CORPUS_APK.stat().st_size / 1e6:.1f} MB)",
                             _cases(CORPUS_APK), args.runs)
        _ratios(found, _PAIRS)
        parse, heavy = parse_time(CORPUS_APK, args.runs)
        print(f"- in-process parse (inspector.inspect, digest=False, verify=False), median: "
              f"{parse * 1000:.1f} ms"
              f"{' (imported ' + ', '.join(heavy) + ')' if heavy else ''}")
        old = _androguard_parse(CORPUS_APK, args.runs)
        if old is not None:
            print(f"- the two members through androguard (AXMLParser + ARSCParser), median: {old:.1f} ms")
    t0 = time.perf_counter()
    apk = build(args.size_mb)
    print(f"\nbuilt {apk} ({apk.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    found = _median_rows(f"generated {args.size_mb} MB APK", _cases(apk), args.runs)
    _ratios(found, _PAIRS)
    print(f"- in-process parse (inspector.inspect, digest=False, verify=False), median: "
          f"{parse_time(apk, args.runs)[0] * 1000:.1f} ms")
    if not args.keep:
        apk.unlink()
    if args.install:
        print("\n### fresh venv, pip install (local index)\n")
        print("| what | added | wall | installed |\n|---|---|---|---|")
        install_cost()


if __name__ == "__main__":
    main()
