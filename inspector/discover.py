"""Which build to take when no FILE is named: a CI's variables first, then the usual output folders.

Pure but for reading folder listings: the environment is a mapping and the working folder a
parameter. Nothing here opens a build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inspector.errors import UsageError
from inspector.report import escape

__all__ = ["BITRISE_VARIABLES", "Candidate", "candidates", "find_build"]

#: The variables Bitrise's build steps export (each may hold several paths separated by ``|``).
BITRISE_VARIABLES = ("BITRISE_IPA_PATH", "BITRISE_AAB_PATH", "BITRISE_APK_PATH")

#: (folder under the working folder, pattern, where the file comes from), in no order of
#: preference: every match counts, and more than one is refused.
_FOLDERS = (
    ("app/build/outputs/apk", "**/*.apk", "Gradle's output folder"),
    ("app/build/outputs/bundle", "**/*.aab", "Gradle's output folder"),
    (".", "*.ipa", "fastlane gym's output (the working folder)"),
    ("fastlane", "*.ipa", "fastlane gym's output (fastlane/)"),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A build found without being named, and what named it (a variable or a folder)."""

    path: Path
    source: str


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _named(env: Mapping[str, str], cwd: Path) -> list[Candidate] | None:
    """What the variables name, or None when none is set. A named file that is not there is a
    usage error: the variable was meant for this job, guessing another file would upload the
    wrong build."""
    out: list[Candidate] = []
    for tier in (("APPLIVERY_BUILD_PATH",), BITRISE_VARIABLES):
        for name in tier:
            for value in _split(env.get(name, "")):
                path = cwd / value
                if not path.is_file():
                    raise UsageError(f"{name} names {escape.text(value)}, which is not a file")
                if all(path.resolve() != c.path.resolve() for c in out):
                    out.append(Candidate(Path(value), name))
        if out:
            return out
    return None


def candidates(env: Mapping[str, str], cwd: Path) -> list[Candidate]:
    """Every build the first source that names one gives: ``APPLIVERY_BUILD_PATH``, else the
    Bitrise variables (together), else the output folders of Gradle and fastlane gym (together)."""
    named = _named(env, cwd)
    if named is not None:
        return named
    found: list[Candidate] = []
    for folder, pattern, source in _FOLDERS:
        root = cwd / folder
        if root.is_dir():
            found += [Candidate(p.relative_to(cwd), source) for p in sorted(root.glob(pattern))
                      if p.is_file()]
    return found


def find_build(env: Mapping[str, str], cwd: Path, command: str = "upload") -> Candidate:
    """The one build to use when FILE is omitted; a usage error when there is none or several
    (listing them: the user names the one meant)."""
    found = candidates(env, cwd)
    if not found:
        raise UsageError(f"{command}: no FILE given and no build found (APPLIVERY_BUILD_PATH, "
                         f"{', '.join(BITRISE_VARIABLES)}, app/build/outputs/{{apk,bundle}}, *.ipa in "
                         "the working folder or fastlane/)")
    if len(found) > 1:
        listed = ", ".join(f"{escape.text(c.path)} ({c.source})" for c in found)
        raise UsageError(f"{command}: no FILE given and {len(found)} builds found: {listed}; "
                         "name the one to use")
    return found[0]
