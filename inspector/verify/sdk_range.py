"""Which signature a device checks at each API level, and whether every level of an app's range
has a verified one.

Android's choice, as apksigner models it: below API 24 the v1 (JAR) signature; from 24 the v2
block when there is one; from 28 the v3 signer whose SDK range holds the level; from 33 the v3.1
signer whose range holds it. A device falls back to the older scheme when the newer block is
absent or has no signer for its level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from inspector.records.verification import Failure

__all__ = ["NEWEST", "RangedSigner", "SchemeState", "reads_v1", "scheme_at", "span", "uncovered"]

#: The open end of an SDK range ("any newer platform"), as v3 signers write it.
NEWEST = 0x7FFFFFFF
V2_FIRST, V3_FIRST, V31_FIRST = 24, 28, 33


class RangedSigner(NamedTuple):
    """A v3/v3.1 signer: its platform range and its verdict (True, False, None: not checked)."""

    min_sdk: int
    max_sdk: int
    verified: bool | None
    label: str


class SchemeState(NamedTuple):
    """What the signatures of one APK are, for the range verdict: whether v1 and v2 are present
    and their verdicts (every signer of the scheme verified: True; None: not checked), and the
    v3 and v3.1 signers."""

    has_v1: bool
    v1: bool | None
    has_v2: bool
    v2: bool | None
    v3: Sequence[RangedSigner] = ()
    v31: Sequence[RangedSigner] = ()


def scheme_at(level: int, state: SchemeState) -> tuple[str, bool | None] | None:
    """The scheme (and signer) a device of API ``level`` checks and its verdict; None when the
    APK has no signature that level reads."""
    if level >= V31_FIRST:
        for s in state.v31:
            if s.min_sdk <= level <= s.max_sdk:
                return f"v3.1 signer {s.label}", s.verified
    if level >= V3_FIRST:
        for s in state.v3:
            if s.min_sdk <= level <= s.max_sdk:
                return f"v3 signer {s.label}", s.verified
    if level >= V2_FIRST and state.has_v2:
        return "v2", state.v2
    if state.has_v1:
        return "v1", state.v1
    return None


def _cuts(min_sdk: int, max_sdk: int, state: SchemeState) -> list[int]:
    points = {min_sdk, V2_FIRST, V3_FIRST, V31_FIRST}
    for s in (*state.v3, *state.v31):
        points.update((s.min_sdk, s.max_sdk + 1))
    return sorted(p for p in points if min_sdk <= p <= max_sdk)


def reads_v1(min_sdk: int, max_sdk: int, state: SchemeState) -> bool:
    """Whether a device of some level of ``min_sdk..max_sdk`` checks the v1 signature: a level
    below 24, or a newer one with no v2 block and no v3/v3.1 signer for it. Which scheme a level
    checks depends on the schemes present and the signers' ranges, not on their verdicts, so
    this holds before anything is verified."""
    return any((choice := scheme_at(level, state)) is not None and choice[0] == "v1"
               for level in _cuts(min_sdk, max_sdk, state))


def span(start: int, end: int) -> str:
    """``API 24``, ``API 24-27``, ``API 28 and newer``."""
    if end >= NEWEST:
        return f"API {start} and newer"
    return f"API {start}" if start == end else f"API {start}-{end}"


def uncovered(min_sdk: int, max_sdk: int, state: SchemeState) -> tuple[list[Failure], bool]:
    """Failures for the levels of ``min_sdk..max_sdk`` whose signature is missing or did not
    verify (one per run of levels with the same cause), and whether some level's signature was
    not checked."""
    runs: list[tuple[int, int, str]] = []
    unknown = False
    cuts = _cuts(min_sdk, max_sdk, state)
    for i, start in enumerate(cuts):
        end = cuts[i + 1] - 1 if i + 1 < len(cuts) else max_sdk
        choice = scheme_at(start, state)
        if choice is None:
            why = "no signature a device of that level reads"
        elif choice[1] is False:
            why = f"the {choice[0]} signature a device of that level checks does not verify"
        else:
            unknown = unknown or choice[1] is None
            continue
        if runs and runs[-1][2] == why and runs[-1][1] == start - 1:
            runs[-1] = (runs[-1][0], end, why)
        else:
            runs.append((start, end, why))
    return [Failure("sdk-range", f"{span(a, b)}: {why}") for a, b, why in runs], unknown
