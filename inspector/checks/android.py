"""Rules for APKs and App Bundles: what makes an Android build install, and what a release expects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from fnmatch import fnmatchcase

from inspector.checks._rule import Rule, rule
from inspector.checks.expectations import Expectations
from inspector.checks.findings import Finding
from inspector.records.android import AndroidApp
from inspector.summary import Summary

__all__ = ["RULES"]

RULES: list[Rule] = []
_ANDROID = ("apk", "aab")
#: Android 11 (API 30) refuses to install an app targeting it that has only a v1 signature.
_V2_REQUIRED_FROM_TARGET = 30


@rule(RULES, "AND001", "not debuggable", _ANDROID)
def _debuggable(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if a.debuggable and not e.allow_debuggable:
        yield r.finding("warning", "android:debuggable", "the app is debuggable "
                        "(android:debuggable=true): a debug build, not a release",
                        "false", "true")


@rule(RULES, "AND002", "not signed with the Android Debug certificate", _ANDROID)
def _debug_cert(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if a.signing.debug_signed and not e.allow_debug_certificate:
        yield r.finding("warning", "signing certificate", "signed with the Android Debug "
                        "certificate (CN=Android Debug): the SDK's key, not a release key",
                        "a release certificate", "CN=Android Debug")


@rule(RULES, "AND003", "signed", _ANDROID)
def _signed(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
            ) -> Iterator[Finding]:
    if a.signing.signed:
        return
    if a.format == "apk" or e.require_signed:
        what = ("the APK is not signed: Android refuses to install it" if a.format == "apk"
                else "the App Bundle is not signed")
        yield r.finding("error", "signature", what, "signed", "unsigned")
    else:
        yield r.finding("warning", "signature", "the App Bundle is not signed (no JAR "
                        "signature): the APKs made from it are signed by whoever builds them",
                        "signed", "unsigned")


@rule(RULES, "AND004", "not test-only", _ANDROID)
def _test_only(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    if a.test_only and not e.allow_test_only:
        yield r.finding("error", "android:testOnly", "the app is test-only (android:testOnly="
                        "true): the package installer refuses it (INSTALL_FAILED_TEST_ONLY)",
                        "false", "true")


@rule(RULES, "AND005", "minSdkVersion within the allowed range", _ANDROID,
      needs=("min_sdk_at_least", "min_sdk_at_most"))
def _min_sdk(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
             ) -> Iterator[Finding]:
    lo, hi = e.min_sdk_at_least, e.min_sdk_at_most
    if lo is None and hi is None:
        return
    allowed = f"{'' if lo is None else lo}..{'' if hi is None else hi}"
    value = 1 if a.min_sdk is None else a.min_sdk  # absent means 1, as Android reads it
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        yield r.finding("error", "minSdkVersion", f"minSdkVersion is {value}, outside the allowed "
                        f"range {allowed}", allowed, value)


@rule(RULES, "AND006", "targetSdkVersion at least the minimum", _ANDROID,
      needs=("min_target_sdk",))
def _target_sdk(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if e.min_target_sdk is None:
        return
    value = a.target_sdk if a.target_sdk is not None else a.min_sdk
    if value is None or value < e.min_target_sdk:
        yield r.finding("error", "targetSdkVersion", f"targetSdkVersion is {value}, expected at "
                        f"least {e.min_target_sdk}", f">= {e.min_target_sdk}", value)


@rule(RULES, "AND007", "required signature schemes present", _ANDROID,
      needs=("require_scheme",))
def _schemes(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
             ) -> Iterator[Finding]:
    present = ", ".join(a.signing.schemes) or "none"
    for scheme in e.require_scheme:
        if scheme not in a.signing.schemes:
            yield r.finding("error", "signature schemes", f"signature scheme {scheme} is missing "
                            f"(present: {present})", scheme, present)


@rule(RULES, "AND008", "APK targeting Android 11+ has a v2 or later signature", ("apk",))
def _v2_for_r(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    target = a.target_sdk if a.target_sdk is not None else a.min_sdk
    if a.signing.schemes == ("v1",) and target is not None and target >= _V2_REQUIRED_FROM_TARGET:
        yield r.finding("error", "signature schemes", f"targetSdkVersion {target} with only a v1 "
                        "signature: Android 11 and later refuse to install it "
                        "(-124 INSTALL_PARSE_FAILED_NO_CERTIFICATES)", "v2 or later", "v1")


@rule(RULES, "AND009", "required ABIs present", _ANDROID,
      needs=("require_abi",))
def _abis(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
          ) -> Iterator[Finding]:
    if not a.abis:
        return  # no native code: it runs on every ABI
    for abi in e.require_abi:
        if abi not in a.abis:
            yield r.finding("error", "ABIs", f"native libraries for {abi} are missing "
                            f"(present: {', '.join(a.abis)})", abi, ", ".join(a.abis))


@rule(RULES, "AND010", "no forbidden permission", _ANDROID,
      needs=("forbid_permission",))
def _permissions(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                 ) -> Iterator[Finding]:
    for permission in a.permissions:
        for pattern in e.forbid_permission:
            if fnmatchcase(permission, pattern):
                yield r.finding("error", "uses-permission", f"requests the forbidden permission "
                                f"{permission}", f"not {pattern}", permission)
                break


@rule(RULES, "AND011", "a whole app, not a split", ("apk",))
def _split(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
           ) -> Iterator[Finding]:
    if a.split:
        yield r.finding("error", "split", f"this is the split APK {a.split!r}: it cannot be "
                        "installed without its base APK", "a base APK", f"split {a.split}")
