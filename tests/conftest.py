"""Shared test helpers: where the fixtures and the shared corpus live, and a CLI runner."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
#: ../shared/corpus beside the checkout (CI copies shared/ there too).
CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*argv: str) -> CliResult:
    """Run ``inspector ARGV`` in-process and capture what it prints."""
    from inspector.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse exits on usage errors and --version
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def unset_environment(monkeypatch: pytest.MonkeyPatch, prefixes: tuple[str, ...],
                      names: tuple[str, ...] = ()) -> None:
    """Unset every variable whose name starts with one of ``prefixes`` or is one of ``names``
    (the test's own settings, not the machine's, decide what the command does)."""
    import os

    for name in list(os.environ):
        if name.startswith(prefixes) or name in names:
            monkeypatch.delenv(name, raising=False)


def corpus(*parts: str) -> Path:
    """A file or folder of the shared corpus: the one way tests reach it. When it is absent (a
    bare clone has no ``../shared``), the calling test is skipped and the skip says what is missing.

    Tests parametrized over corpus files list them by name (a glob of an absent folder is empty,
    which must not fail collection) and call this in the test body.
    """
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus file not present: {path} (the corpus lives in ../shared/corpus "
                    "beside the checkout)")
    return path


def recorded_artifact(name: str) -> Path:
    """The artifact a recorded tool output is named after (``tests/reference/*/record.sh``):
    ``corpus-<file>`` in the shared corpus's android folder (the test skips when it is absent),
    ``fixture-<kind>-<file>`` under ``fixtures/<kind>/``, ``fixture-<kind>-tampered-<file>``
    under ``fixtures/<kind>/tampered/``."""
    if name.startswith("corpus-"):
        return corpus("android", name.removeprefix("corpus-"))
    _, kind, rest = name.split("-", 2)
    if rest.startswith("tampered-"):
        return FIXTURES / kind / "tampered" / rest.removeprefix("tampered-")
    return FIXTURES / kind / rest
