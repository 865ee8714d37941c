"""Rules against the previous release (``check --baseline OLD``): pure functions of the build's
record and the baseline's, through :func:`inspector.diff.diff`. Without a baseline they say
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from inspector.checks._rule import ALL_FORMATS, BUILDS, Rule, rule
from inspector.checks.expectations import Expectations
from inspector.checks.findings import Finding
from inspector.diff import Diff, Section, diff
from inspector.summary import Summary, native_name, summarize
from inspector.versions import version_tuple

__all__ = ["RULES", "growth_limit"]

RULES: list[Rule] = []


def _diff(record: Any, e: Expectations) -> Diff | None:
    return None if e.baseline_record is None else diff(e.baseline_record, record)


def _comparable(s: Summary, e: Expectations) -> Summary | None:
    """The baseline's summary when the rules after BAS001 can judge against it: None without a
    baseline or for a baseline of another platform (BAS001 says that one is not the same app; an
    iOS MinimumOSVersion against an Android minSdkVersion, or a versionCode against a
    CFBundleVersion, would compare nothing)."""
    if e.baseline_record is None:
        return None
    old = summarize(e.baseline_record)
    return old if old.platform == s.platform else None


def _compared(s: Summary, record: Any, e: Expectations) -> Diff | None:
    """The diff the rules after BAS001 judge (see :func:`_comparable`), or None."""
    return None if _comparable(s, e) is None else diff(e.baseline_record, record)


def growth_limit(text: str) -> tuple[int | None, float | None]:
    """``--max-size-increase`` as resolved by the settings: ``"5000000"`` (bytes) or ``"10%"``
    -> ``(bytes, None)`` or ``(None, 0.10)``."""
    if text.endswith("%"):
        return None, float(text[:-1]) / 100
    return int(text), None


@rule(RULES, "BAS001", "id and platform are the baseline's", ALL_FORMATS)
def _identity(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    d = _diff(record, e)
    if d is None or d.identity is None:
        return
    for c in d.identity.changes:
        if c.field in ("identifier", "platform"):
            name = native_name(s, "identifier") if c.field == "identifier" else "platform"
            yield r.finding("error", name, f"{name} is {c.new!r}, the baseline's is {c.old!r}: "
                            "not an update of the same app", c.old, c.new)


@rule(RULES, "BAS002", "the signer can update the baseline's installs", BUILDS)
def _signer(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
            ) -> Iterator[Finding]:
    d = _compared(s, record, e)
    if d is None:
        return
    rot = d.rotation
    if rot is not None and not rot.same and not rot.proven:
        yield r.finding("error", "signing certificate",
                        f"the signing certificate changed ({(rot.old_certificate or '-')[:16]}… -> "
                        f"{(rot.new_certificate or '-')[:16]}…) and {rot.reason}: Android refuses "
                        "the update on devices that have the baseline installed",
                        rot.old_certificate, rot.new_certificate)
    old = _comparable(s, e)
    if (old is not None and s.platform != "android" and old.team_id != s.team_id
            and (old.team_id or s.team_id)):
        yield r.finding("warning", "team", f"the Apple team changed ({old.team_id} -> "
                        f"{s.team_id}): keychain items, app groups and push tokens do not carry "
                        "over", old.team_id, s.team_id)


@rule(RULES, "BAS003", "build number is greater than the baseline's", BUILDS)
def _build(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    d = _compared(s, record, e)
    if d is None:
        return
    name = native_name(s, "build")
    if d.build_increased is False:
        yield r.finding("error", name, f"{name} {s.build} is not greater than the baseline's "
                        f"{d.old.build}: devices will not update to it", f"> {d.old.build}", s.build)
    elif d.build_increased is None:
        yield r.finding("info", name, f"{name} {s.build!r} cannot be compared with the baseline's "
                        f"{d.old.build!r} (not whole numbers)", f"> {d.old.build}", s.build)


@rule(RULES, "BAS004", "no permission, entitlement or capability added", BUILDS)
def _permissions(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                 ) -> Iterator[Finding]:
    d = _compared(s, record, e)
    yield from _added(r, d.permissions if d else None, (
        ("permissions", "permission"), ("entitlements", "entitlement"),
        ("capabilities", "capability")))


@rule(RULES, "BAS005", "minimum OS not raised", BUILDS)
def _min_os(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    old = _comparable(s, e)
    if old is None:
        return
    a, b = version_tuple(old.min_os), version_tuple(s.min_os)
    if a is not None and b is not None and b > a:
        name = native_name(s, "min_os")
        yield r.finding("warning", name, f"{name} raised from {old.min_os} to {s.min_os}: devices "
                        "below it no longer get updates", old.min_os, s.min_os)


@rule(RULES, "BAS006", "size growth within the allowed increase", BUILDS)
def _size(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    d = _compared(s, record, e)
    if d is None or d.size is None:
        return
    growth, old = d.size.growth, d.size.file.old_compressed or 0
    percent = f" ({growth / old * 100:+.1f} %)" if old else ""
    change = f"{old} -> {d.size.file.new_compressed} bytes, {growth:+} bytes{percent}"
    if e.max_size_increase is None:
        yield r.finding("info", "size", f"size since the baseline: {change}", None, str(growth))
        return
    limit_bytes, limit_ratio = growth_limit(e.max_size_increase)
    allowed = limit_bytes if limit_bytes is not None else int(old * (limit_ratio or 0))
    if growth > allowed:
        yield r.finding("error", "size", f"grew more than the allowed increase "
                        f"{e.max_size_increase} ({allowed} bytes): {change}",
                        f"<= +{allowed}", f"+{growth}")
    else:
        yield r.finding("info", "size", f"size since the baseline: {change} (within "
                        f"{e.max_size_increase})", f"<= +{allowed}", str(growth))


@rule(RULES, "BAS007", "no exported component, deep link or URL scheme added", BUILDS)
def _exposure(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    d = _compared(s, record, e)
    yield from _added(r, d.exposure if d else None, (
        ("exported components", "exported component"), ("deep links", "deep link"),
        ("app links", "app link"), ("URL schemes", "URL scheme")))


def _added(r: Rule, section: Section | None, fields: tuple[tuple[str, str], ...]
           ) -> Iterator[Finding]:
    """A warning for each value the build added to the listed ``fields`` of a diff section
    (``(field, what one value is called)``)."""
    if section is None:
        return
    for field, what in fields:
        listed = section.listed(field)
        for name in listed.added if listed else ():
            yield r.finding("warning", what, f"{what} added since the baseline: {name}", None, name)
