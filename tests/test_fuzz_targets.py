"""The fuzz targets of tests/fuzz/: every seed and every kept crash of each byte reader ends in a
result or an ArtifactError, and a short coverage-guided run (atheris, when installed) finds none.
Long runs: ``python tests/fuzz/run.py all -max_total_time=3600``."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fuzz.targets import NAMES, TARGETS, run_one, seeds

CRASHES = ROOT / "tests" / "fuzz" / "crashes"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_seeds_and_kept_crashes(target: str) -> None:
    inputs = seeds(target)
    assert inputs, f"{target} has no seed"
    for data in inputs:
        run_one(target, data)


def test_kept_crashes_of_the_combined_run() -> None:
    # tests/fuzz/run.py all: the first byte picked the reader.
    for path in sorted((CRASHES / "all").glob("*")):
        data = path.read_bytes()
        if data:
            run_one(NAMES[data[0] % len(NAMES)], data[1:])


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mutated_seeds(target: str) -> None:
    # Not coverage-guided: cheap mutations of each seed, seeded so that a failure reproduces.
    rng = random.Random(target)
    for data in seeds(target)[:3]:
        for _ in range(40):
            out = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                if out:
                    out[rng.randrange(len(out))] = rng.randrange(256)
            if rng.random() < 0.3:
                del out[rng.randrange(len(out) + 1):]
            run_one(target, bytes(out))


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris not installed (pip install atheris): no coverage-guided run")
def test_short_coverage_guided_run(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz" / "run.py"), "all", "-max_total_time=1",
         f"-artifact_prefix={tmp_path}/", "-timeout=5"],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )
    found = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-",
                                                                            "oom-", "leak-")))
    assert proc.returncode == 0 and not found, proc.stderr[-3000:]
