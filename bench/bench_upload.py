"""Benchmark ``inspector upload`` of a 1 GB build to the local test server, against ``curl -F`` (run by hand).

Generates a 1 GB file in a temporary directory (deterministic incompressible-looking bytes), starts
tests/applivery_server.py on 127.0.0.1 (it parses the multipart body as a stream and counts the
build's bytes; hashing is off so the server is not the bottleneck), then alternates, in the same run,
``python -m inspector upload`` (custom platform, no check, no progress bar) and
``curl -F build=@FILE`` to the same endpoint with the same token. Each process's peak RSS comes from
GNU time; each upload is verified to have arrived whole. Throughput is reported twice: over the whole
process (start-up and the check included: Python and its imports cost inspector about 0.17 s that
curl does not pay) and over the body as the server saw it (from the request's headers to the body's
last byte), which is the transfer rate itself. Targets (issue 9): inspector's peak RSS
<= 100 MB and its throughput >= 90 % of curl's.

    .venv/bin/python bench/bench_upload.py [--size-mb 1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import like_an_installed_package, user_python  # noqa: E402

from tests.applivery_server import ApplivServer, iter_chunks  # noqa: E402

TOKEN = "bench-token-0123456789"


def run_once(cmd: list[str], tmp: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one process; a non-zero exit raises.

    The peak RSS is GNU time's (``%M``): ``os.wait4`` on a child forked from this process would
    count this process's own pages (the server's) until the child execs.
    """
    report = tmp / "time.txt"
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), *cmd],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed, int(report.read_text().split()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    if shutil.which("curl") is None or not os.path.exists("/usr/bin/time"):
        print("curl and GNU time (/usr/bin/time) are needed", file=sys.stderr)
        return 1
    like_an_installed_package(HERE.parent)
    size = opts.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="inspector-bench-upload-") as tmp:
        build = Path(tmp) / "game.zip"
        with build.open("wb") as f:
            for chunk in iter_chunks(size):
                f.write(chunk)
        with ApplivServer(app_token=TOKEN, lifetime=3600, hash_files=False) as server:
            url = f"{server.url}/v1/integrations/builds"
            inspector_cmd = [user_python(), "-m", "inspector", "upload", str(build), "--no-check",
                             "--no-progress", "--no-git", "--no-deployer", "--retries", "0",
                             "--token", TOKEN, "--upload-url", server.url, "--build-platform", "switch",
                             "--package-name", "com.example.bench", "--package-version", "1.0"]
            curl_cmd = ["curl", "-sS", "--fail", "-o", os.devnull, "-H", f"Authorization: Bearer {TOKEN}",
                        "-H", "Accept: application/json", "-F", "buildPlatform=switch",
                        "-F", "packageName=com.example.bench", "-F", "packageVersion=1.0",
                        "-F", f"build=@{build};type=application/octet-stream", url]
            results: dict[str, list[tuple[float, float, float]]] = {"inspector upload": [], "curl -F": []}
            for i in range(opts.runs + 1):  # the first round warms the page cache and is dropped
                for name, cmd in (("inspector upload", inspector_cmd), ("curl -F", curl_cmd)):
                    server.requests.clear()
                    measured = run_once(cmd, Path(tmp))
                    [got] = server.uploads()
                    if got.files["build"].size != size:
                        raise RuntimeError(f"{name}: the server received {got.files['build'].size} bytes")
                    if i > 0:
                        results[name].append((*measured, got.body_seconds or 0.0))
    print(f"upload of {opts.size_mb} MiB to 127.0.0.1, {opts.runs} runs (medians), same server, same run\n")
    print("| client | whole process (median) | body on the wire (median) | peak RSS (max) "
          "| runs: process / body (s) |")
    print("|---|---|---|---|---|")
    walls, bodies = {}, {}
    for name, runs in results.items():
        walls[name] = statistics.median(t for t, _, _ in runs)
        bodies[name] = statistics.median(b for _, _, b in runs)
        rss = max(r for _, r, _ in runs)
        print(f"| {name} | {walls[name]:.2f} s = {size / walls[name] / 1e6:.0f} MB/s "
              f"| {bodies[name]:.2f} s = {size / bodies[name] / 1e6:.0f} MB/s | {rss:.0f} MB | "
              f"{', '.join(f'{t:.2f}/{b:.2f}' for t, _, b in runs)} |")
    print(f"\ninspector / curl throughput: {walls['curl -F'] / walls['inspector upload']:.1%} of the whole "
          f"process (start-up included), {bodies['curl -F'] / bodies['inspector upload']:.1%} of the body "
          "as the server received it (target >= 90 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
