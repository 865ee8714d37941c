"""Rules for every format: identity, version and build, team, pinned certificates, size, expiry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from inspector.app_id import covers
from inspector.checks._rule import BUILDS, Rule, rule
from inspector.checks.expectations import Expectations
from inspector.checks.findings import Finding
from inspector.format import ANDROID_FORMATS, Format
from inspector.records.verification import Verification, not_checked
from inspector.summary import Summary, native_name
from inspector.versions import version_tuple

__all__ = ["RULES"]

RULES: list[Rule] = []


@rule(RULES, "GEN001", "identifier is the expected one", needs=("expect_id",))
def _identifier(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if e.expect_id is None:
        return
    name = native_name(s, "identifier")
    if s.format is Format.PROFILE:
        # A profile's app id may be a wildcard: it must cover the expected id.
        ok = s.identifier is not None and covers(s.identifier, e.expect_id)
    else:
        ok = s.identifier is not None and fnmatchcase(s.identifier, e.expect_id)
    if not ok:
        yield r.finding("error", name, f"{name} is {s.identifier!r}, expected {e.expect_id!r}",
                        e.expect_id, s.identifier)


@rule(RULES, "GEN002", "version name is the expected one", BUILDS,
      needs=("expect_version_name", "expect_version_name_regex"))
def _version_name(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                  ) -> Iterator[Finding]:
    name = native_name(s, "version")
    if e.expect_version_name is not None and s.version != e.expect_version_name:
        yield r.finding("error", name, f"{name} is {s.version!r}, expected {e.expect_version_name!r}",
                        e.expect_version_name, s.version)
    pattern = e.expect_version_name_regex
    if pattern is not None and (s.version is None or re.fullmatch(pattern, s.version) is None):
        yield r.finding("error", name,
                        f"{name} {s.version!r} does not match the pattern {pattern!r}",
                        f"/{pattern}/", s.version)


@rule(RULES, "GEN003", "build number is the expected one", BUILDS,
      needs=("expect_build",))
def _build(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    name = native_name(s, "build")
    if e.expect_build is not None and s.build != e.expect_build:
        yield r.finding("error", name, f"{name} is {s.build!r}, expected {e.expect_build!r}",
                        e.expect_build, s.build)


@rule(RULES, "GEN004", "build number is at least the minimum", BUILDS,
      needs=("min_build",))
def _min_build(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    if e.min_build is None:
        return
    name = native_name(s, "build")
    if s.build_number is None:
        yield r.finding("error", name, f"{name} {s.build!r} is not a number: cannot compare it "
                        f"with the minimum {e.min_build}", f">= {e.min_build}", s.build)
    elif s.build_number < e.min_build:
        yield r.finding("error", name, f"{name} is {s.build_number}, expected at least {e.min_build}",
                        f">= {e.min_build}", s.build_number)


@rule(RULES, "GEN005", "team is the expected one", (Format.IPA, Format.PROFILE, Format.PKG),
      needs=("expect_team",))
def _team(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    if e.expect_team is not None and s.team_id != e.expect_team:
        yield r.finding("error", "TeamIdentifier",
                        f"team is {s.team_id!r}, expected {e.expect_team!r}", e.expect_team, s.team_id)


@rule(RULES, "GEN006", "signing certificate is a pinned one", BUILDS,
      needs=("cert_sha256",))
def _pinned(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    if not e.cert_sha256:
        return
    pinned = ", ".join(e.cert_sha256)
    signing = s.certificates[:1] if s.format in (Format.IPA, Format.PKG) else s.certificates
    if not signing:
        yield r.finding("error", "certificate SHA-256",
                        "no signing certificate, expected a pinned one", pinned, None)
    for cert in signing:
        if cert.sha256 not in e.cert_sha256:
            yield r.finding("error", "certificate SHA-256",
                            f"signing certificate {cert.common_name or cert.subject!r} "
                            f"(SHA-256 {cert.sha256}) is not a pinned certificate", pinned, cert.sha256)
        else:
            yield from _pin_confirmed(r, cert, _verdicts(record, cert.sha256))


def _verdicts(record: Any, sha256: str) -> list[Verification]:
    """The verdicts that vouch for a certificate: each Android signer it signs for, else the
    record's own (one signature per IPA, PKG and profile)."""
    whole = getattr(record, "verification", None) or not_checked("not verified")
    signers = getattr(getattr(record, "signing", None), "signers", None)
    if signers is not None:
        found = [s.verification for s in signers
                 if s.certificates and s.certificates[0].sha256 == sha256]
        # A signer left unchecked (--no-verify) has the record's reason.
        return [v if v is not None else whole for v in found]
    return [whole]


def _pin_confirmed(r: Rule, cert: Any, verdicts: list[Verification]) -> Iterator[Finding]:
    """A pinned certificate counts only on a signature that verified: an attacker can copy a
    certificate into anything, but cannot sign with its key."""
    if any(v.verified is True for v in verdicts):
        return
    name = f"{cert.common_name or cert.subject!r} (SHA-256 {cert.sha256})"
    failed = [f.describe() for v in verdicts if v.verified is False for f in v.failures]
    if failed:
        yield r.finding("error", "certificate SHA-256",
                        f"pinned certificate {name} is on a signature that does not verify: "
                        f"{failed[0]}", "a verified signature", "does not verify")
        return
    reason = next((v.reason for v in verdicts if v.reason), "not verified")
    yield r.finding("warning", "certificate SHA-256",
                    f"pinned certificate {name} cannot be confirmed: its signature was not "
                    f"verified ({reason})", "a verified signature", "not verified")


@rule(RULES, "GEN007", "file is not larger than the maximum", BUILDS,
      needs=("max_size",))
def _size(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    if e.max_size is not None and s.file.size > e.max_size:
        yield r.finding("error", "size", f"file is {s.file.size} bytes, more than the maximum "
                        f"{e.max_size}", f"<= {e.max_size}", s.file.size)


@rule(RULES, "GEN008", "minimum OS version is not above the maximum", (Format.IPA, Format.PKG),
      needs=("max_min_os",))
def _max_min_os(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if e.max_min_os is None:
        return
    name = native_name(s, "min_os")
    limit, actual = version_tuple(e.max_min_os), version_tuple(s.min_os)
    if actual is None:
        yield r.finding("error", name, f"{name} {s.min_os!r} is not a version: cannot compare it "
                        f"with the maximum {e.max_min_os}", f"<= {e.max_min_os}", s.min_os)
    elif limit is not None and actual > limit:
        yield r.finding("error", name, f"{name} is {s.min_os}, above the maximum {e.max_min_os}",
                        f"<= {e.max_min_os}", s.min_os)


# Android does not check an APK signing certificate's validity dates when it installs or updates
# an app (apksigner does not flag them either): its expiry is information (EXP004), not a failure.
_DATED = (Format.IPA, Format.PROFILE, Format.PKG)
#: Google Play: a new app's signing key must be valid until after this date (22 October 2033).
PLAY_KEY_VALID_AFTER = datetime(2033, 10, 22, tzinfo=UTC)


@rule(RULES, "EXP001", "nothing has expired", _DATED)
def _expired(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime) -> Iterator[Finding]:
    for x in s.expiries:
        if x.expired(now):
            ago = -x.days_left(now)
            when = "today" if ago == 0 else f"{ago} day{'s' if ago != 1 else ''} ago"
            yield r.finding("error", x.label, f"{x.label} expired {when} "
                            f"({x.not_after:%Y-%m-%d %H:%M} UTC)", "not expired",
                            f"expired {x.not_after:%Y-%m-%d}")


@rule(RULES, "EXP002", "everything stays valid for the minimum number of days", _DATED,
      needs=("min_days",))
def _min_days(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    for x in s.expiries:
        left = x.days_left(now)
        if not x.expired(now) and left < e.min_days:
            yield r.finding("error", x.label, f"{x.label} expires in {left} days "
                            f"({x.not_after:%Y-%m-%d}), less than the required {e.min_days}",
                            f">= {e.min_days} days", f"{left} days")


@rule(RULES, "EXP003", "nothing expires inside the warning window", _DATED)
def _warn_days(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    for x in s.expiries:
        left = x.days_left(now)
        if not x.expired(now) and e.min_days <= left < e.warn_days:
            yield r.finding("warning", x.label, f"{x.label} expires in {left} days "
                            f"({x.not_after:%Y-%m-%d}), inside the {e.warn_days}-day warning window",
                            f">= {e.warn_days} days", f"{left} days")


@rule(RULES, "EXP004", "Android signing certificate validity (information)", ANDROID_FORMATS)
def _android_expiry(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                    ) -> Iterator[Finding]:
    for x in s.expiries:
        left = x.days_left(now)
        notes = []
        if x.expired(now):
            ago = -left
            when = "today" if ago == 0 else f"{ago} day{'s' if ago != 1 else ''} ago"
            notes.append(f"{x.label} expired {when} ({x.not_after:%Y-%m-%d}); Android does not "
                         "check it when it installs or updates the app")
        elif left < max(e.warn_days, e.min_days):
            notes.append(f"{x.label} expires in {left} days ({x.not_after:%Y-%m-%d}); Android "
                         "does not check it when it installs or updates the app")
        if x.not_after <= PLAY_KEY_VALID_AFTER:
            notes.append(f"{'it' if notes else x.label} is not valid past 2033-10-22 "
                         f"(ends {x.not_after:%Y-%m-%d}), which Google Play requires of a new "
                         "app's signing key")
        if notes:
            yield r.finding("info", x.label, "; ".join(notes),
                            "valid past 2033-10-22", f"valid until {x.not_after:%Y-%m-%d}")


@rule(RULES, "UPL002", "build number is greater than the latest processed upload", BUILDS,
      needs=("uploaded_build",))
def _newer_than_uploaded(r: Rule, s: Summary, record: Any, e: Expectations, now: datetime
                         ) -> Iterator[Finding]:
    # ``uploaded_build`` is what the service holds (``--newer-than-uploaded`` reads it first).
    uploaded = e.uploaded_build
    if uploaded is None or isinstance(uploaded, str):  # a str became UploadedBuild on construction
        return
    name = native_name(s, "build")
    which = f" ({uploaded.build_id})" if uploaded.build_id else ""
    theirs_text = uploaded.build_number
    if theirs_text is None:
        yield r.finding("error", name, f"the latest processed upload{which} shows no build number "
                        f"to compare {name} {s.build} with", "> the uploaded build number", s.build)
        return
    mine, theirs = version_tuple(s.build), version_tuple(theirs_text)
    if mine is None or theirs is None:
        yield r.finding("error", name, f"cannot compare {name} {s.build!r} with the latest "
                        f"processed upload's{which} {theirs_text!r}", f"> {theirs_text}", s.build)
    elif mine <= theirs:
        yield r.finding("error", name, f"{name} {s.build} is not greater than {theirs_text}, "
                        f"the latest processed upload's{which}: devices would not update to it",
                        f"> {theirs_text}", s.build)
