"""The README's command-line transcripts are what the commands print: every fenced block whose
lines start with ``$ inspector`` is run, command after command, in a folder that holds the
repository's ``fixtures/``, and each command's output (standard output, then standard error)
must be the lines the README shows under it.

Blocks that talk to the service (``upload``, ``status``, ``builds``) are left to the upload
tests, which run against a loopback server."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
_SERVICE = ("inspector upload", "inspector status", "inspector builds")


def _transcripts() -> list[list[tuple[str, list[str]]]]:
    """Each block: its commands, each with the lines shown under it."""
    blocks = []
    for lines in _fenced(README.read_text(encoding="utf-8")):
        if not lines or not lines[0].startswith("$ inspector ") or any(
                line.startswith(f"$ {s}") for line in lines for s in _SERVICE):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def _fenced(text: str) -> list[list[str]]:
    """The lines of every fenced block with no language named (```` ``` ````)."""
    found: list[list[str]] = []
    inside: list[str] | None = None
    plain = False
    for line in text.splitlines():
        if inside is None:
            if line.startswith("```"):
                inside, plain = [], line == "```"
        elif line.startswith("```"):
            if plain:
                found.append(inside)
            inside = None
        else:
            inside.append(line)
    return found


TRANSCRIPTS = _transcripts()


def test_the_readme_has_transcripts() -> None:
    # The example, the gate (two), usage errors, diff and check --baseline.
    assert len(TRANSCRIPTS) >= 5
    assert sum(len(steps) for steps in TRANSCRIPTS) >= 7


@pytest.mark.parametrize("steps", TRANSCRIPTS, ids=[s[0][0][:60] for s in TRANSCRIPTS])
def test_a_transcript_is_what_the_commands_print(steps: list[tuple[str, list[str]]],
                                                 tmp_path: Path) -> None:
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_COLOR": "1",
           "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"}
    for command, shown in steps:
        words = shlex.split(command, comments=True)
        assert words[0] == "inspector"
        target = None
        if ">" in words:  # `inspector inspect --json OLD > last-release.json`
            at = words.index(">")
            words, target = words[:at], tmp_path / words[at + 1]
        result = subprocess.run([sys.executable, "-m", "inspector", *words[1:]], cwd=tmp_path,
                                env=env, capture_output=True, text=True, check=False)
        assert result.returncode != 70, result.stderr
        if target is not None:
            target.write_text(result.stdout, encoding="utf-8")
            printed = result.stderr.splitlines()
        else:
            printed = result.stdout.splitlines() + result.stderr.splitlines()
        while printed and not printed[-1]:
            printed.pop()
        while shown and not shown[-1]:
            shown = shown[:-1]
        assert printed == shown, command
