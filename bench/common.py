"""Measure a whole process: median wall time and peak RSS over repeated runs (run by hand)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

USER_VENV = "/tmp/inspector-bench/venv-user"


def like_an_installed_package(root: str | os.PathLike[str]) -> None:
    """Run inspector as its users run it: ``pip install`` of the checkout (not editable) into a
    venv of its own with the runtime dependencies only, then its ``inspector`` console script.

    The development venv is not what a CI job gets: its editable install adds an import hook to
    every start-up (about 5 ms), and it holds the test oracles. The package is reinstalled on each
    run, so the bench measures the checkout as it is; pip compiles its bytecode, as for a user.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    python = user_python()
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", USER_VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps",
                    str(root)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-m", "pip", "install", "-q", str(root)], check=True,
                   stdout=subprocess.DEVNULL)


def user_python() -> str:
    """The interpreter of the venv that :func:`like_an_installed_package` made."""
    return os.path.join(USER_VENV, "bin", "python")


def measure(cmd: Sequence[str], runs: int = 5, warmup: int = 1) -> tuple[float, float]:
    """Return (median wall seconds, max peak RSS in MB) of ``cmd`` over ``runs`` runs.

    The file under test sits in the page cache after the warm-up run, so this measures the
    program, not the disk. Output is discarded; a non-zero exit raises.
    """
    times: list[float] = []
    peaks: list[float] = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {err[-500:]}")
        if i >= warmup:
            times.append(elapsed)
            peaks.append(usage.ru_maxrss / 1024)  # ru_maxrss is KiB on Linux
    return statistics.median(times), max(peaks)


def row(name: str, seconds: float, rss_mb: float) -> str:
    return f"| {name} | {seconds:.3f} s | {rss_mb:.0f} MB |"


Case = tuple[str, list[str]]
HERE = os.path.dirname(os.path.abspath(__file__))


def startup_floor() -> Case:
    return ("python -c pass (start-up floor)", [user_python(), "-c", "pass"])


def inspector_cases(path: str | os.PathLike[str]) -> list[Case]:
    """``inspector inspect --json`` on ``path``, run by the console script of the installed
    package: reading only (``--no-hash --no-verify``, what the peers that only read do), with the
    signatures verified (``--no-hash``: verification is on by default), and the default run
    (SHA-256 and verification)."""
    cmd = [os.path.join(USER_VENV, "bin", "inspector"), "inspect", "--json"]
    return [
        ("inspector inspect --json --no-hash --no-verify", [*cmd, "--no-hash", "--no-verify", str(path)]),
        ("inspector inspect --json --no-hash", [*cmd, "--no-hash", str(path)]),
        ("inspector inspect --json (with SHA-256)", [*cmd, str(path)]),
    ]


def peer_cases(path: str | os.PathLike[str]) -> list[Case]:
    """The npm package app-info-parser on ``path``, when node and the package are installed."""
    runner = os.path.join(HERE, "peer_app_info_parser.js")
    if shutil.which("node") and os.path.isdir(os.path.join(HERE, "node_modules", "app-info-parser")):
        return [("app-info-parser (node)", ["node", runner, str(path)])]
    return []


def print_table(cases: list[Case], runs: int) -> None:
    """One Markdown row per case; a tool that fails is reported in its row, not raised."""
    print("| command | wall (median) | peak RSS |")
    print("|---|---|---|")
    for name, cmd in cases:
        try:
            seconds, rss = measure(cmd, runs=runs)
        except RuntimeError as exc:
            print(f"| {name} | failed: {exc} | |")
            continue
        print(row(name, seconds, rss))


def parse_time(path: str | os.PathLike[str], runs: int) -> tuple[float, list[str]]:
    """Median seconds of the parse alone, ``inspector.inspect(path, digest=False, verify=False)``,
    in a process that has already imported everything and inspected the file once, and which
    heavy packages (androguard, google.protobuf, requests) that process imported."""
    code = (
        "import sys, time, statistics, inspector\n"
        f"p = {str(path)!r}\n"
        "inspector.inspect(p, digest=False, verify=False)\n"
        "t = []\n"
        f"for _ in range({runs * 4}):\n"
        "    s = time.perf_counter(); inspector.inspect(p, digest=False, verify=False)\n"
        "    t.append(time.perf_counter() - s)\n"
        "print(statistics.median(t))\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'androguard', 'google', 'requests'})))\n"
    )
    out = subprocess.run([user_python(), "-c", code], check=True, capture_output=True, text=True)
    median, _, heavy = out.stdout.partition("\n")
    return float(median), heavy.split()
