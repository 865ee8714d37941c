"""Hostile-input benchmark (run by hand): every crafted input of tests/hostile.py (issue 12),
through the whole command, with its wall time, peak RSS, exit code and first line of stderr.

    python bench/bench_hostile.py [--keep] [CASE...]

Each case runs as ``inspector inspect --no-hash --extract-icon DIR FILE`` (the icon step is where
the CgBI case costs); a case over 60 s is killed and reported as such. The budget to meet is in
the README's "Resource budget": every case within 2 s and 200 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from tests.hostile import CASES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(CASES))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="inspector-hostile-"))
    print(f"{'case':28} {'size':>10} {'exit':>4} {'seconds':>8} {'peak MB':>8}  first line of stderr")
    for name in args.cases or CASES:
        case_dir = folder / name
        case_dir.mkdir()
        path = CASES[name](case_dir)
        size = path.stat().st_size if path.is_file() else 0
        # A separate process per measurement so that ru_maxrss is this case's own peak.
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), str(case_dir / "icons")],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
        )
        seconds, peak, code, first = [*probe.stdout.strip().split("\t"), "", "", "", ""][:4]
        print(f"{name:28} {size:>10} {code:>4} {seconds:>8} {peak:>8}  {first}")
    if args.keep:
        print(f"kept in {folder}")
    else:
        shutil.rmtree(folder)
    return 0


# Runs the command as a child of a fresh process: RUSAGE_CHILDREN is then that command's peak.
_PROBE = r"""
import os, resource, subprocess, sys, time
path, icons = sys.argv[1], sys.argv[2]
cmd = [sys.executable, "-m", "inspector", "inspect", "--no-hash", "--extract-icon", icons, path]
start = time.perf_counter()
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    _, err = proc.communicate(timeout=60)
    code = proc.returncode
except subprocess.TimeoutExpired:
    proc.kill(); _, err = proc.communicate(); code = "kill"
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
lines = err.decode(errors="replace").replace(path, os.path.basename(path)).strip().splitlines()
print(f"{elapsed:.2f}\t{peak:.0f}\t{code}\t{lines[0][:110] if lines else ''}")
"""

if __name__ == "__main__":
    sys.exit(main())
