"""Rules for APKs and App Bundles: what makes an Android build install, and what a release expects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from fnmatch import fnmatchcase

from inspector.checks._rule import Rule, rule
from inspector.checks.expectations import Expectations
from inspector.checks.findings import Finding, Severity
from inspector.format import ANDROID_FORMATS, Format
from inspector.records.android import AndroidApp
from inspector.summary import Summary

__all__ = ["RULES"]

RULES: list[Rule] = []
#: Android 11 (API 30) refuses to install an app targeting it that has only a v1 signature.
_V2_REQUIRED_FROM_TARGET = 30


@rule(RULES, "AND001", "not debuggable", ANDROID_FORMATS)
def _debuggable(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if a.debuggable and not e.allow_debuggable:
        yield r.finding("warning", "android:debuggable", "the app is debuggable "
                        "(android:debuggable=true): a debug build, not a release",
                        "false", "true")


@rule(RULES, "AND002", "not signed with the Android Debug certificate", ANDROID_FORMATS)
def _debug_cert(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if a.signing.debug_signed and not e.allow_debug_certificate:
        yield r.finding("warning", "signing certificate", "signed with the Android Debug "
                        "certificate (CN=Android Debug): the SDK's key, not a release key",
                        "a release certificate", "CN=Android Debug")


@rule(RULES, "AND003", "signed", ANDROID_FORMATS)
def _signed(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
            ) -> Iterator[Finding]:
    if a.signing.signed:
        return
    if a.format is Format.APK or e.require_signed:
        what = ("the APK is not signed: Android refuses to install it" if a.format is Format.APK
                else "the App Bundle is not signed")
        yield r.finding("error", "signature", what, "signed", "unsigned")
    else:
        yield r.finding("warning", "signature", "the App Bundle is not signed (no JAR "
                        "signature): the APKs made from it are signed by whoever builds them",
                        "signed", "unsigned")


@rule(RULES, "AND004", "not test-only", ANDROID_FORMATS)
def _test_only(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    if a.test_only and not e.allow_test_only:
        yield r.finding("error", "android:testOnly", "the app is test-only (android:testOnly="
                        "true): the package installer refuses it (INSTALL_FAILED_TEST_ONLY)",
                        "false", "true")


@rule(RULES, "AND005", "minSdkVersion within the allowed range", ANDROID_FORMATS,
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


@rule(RULES, "AND006", "targetSdkVersion at least the minimum", ANDROID_FORMATS,
      needs=("min_target_sdk",))
def _target_sdk(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                ) -> Iterator[Finding]:
    if e.min_target_sdk is None:
        return
    value = a.target_sdk if a.target_sdk is not None else a.min_sdk
    if value is None or value < e.min_target_sdk:
        yield r.finding("error", "targetSdkVersion", f"targetSdkVersion is {value}, expected at "
                        f"least {e.min_target_sdk}", f">= {e.min_target_sdk}", value)


@rule(RULES, "AND007", "required signature schemes present", ANDROID_FORMATS,
      needs=("require_scheme",))
def _schemes(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
             ) -> Iterator[Finding]:
    present = ", ".join(a.signing.schemes) or "none"
    for scheme in e.require_scheme:
        if scheme not in a.signing.schemes:
            yield r.finding("error", "signature schemes", f"signature scheme {scheme} is missing "
                            f"(present: {present})", scheme, present)


@rule(RULES, "AND008", "APK targeting Android 11+ has a v2 or later signature", (Format.APK,))
def _v2_for_r(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
              ) -> Iterator[Finding]:
    target = a.target_sdk if a.target_sdk is not None else a.min_sdk
    if a.signing.schemes == ("v1",) and target is not None and target >= _V2_REQUIRED_FROM_TARGET:
        yield r.finding("error", "signature schemes", f"targetSdkVersion {target} with only a v1 "
                        "signature: Android 11 and later refuse to install it "
                        "(-124 INSTALL_PARSE_FAILED_NO_CERTIFICATES)", "v2 or later", "v1")


@rule(RULES, "AND009", "required ABIs present", ANDROID_FORMATS,
      needs=("require_abi",))
def _abis(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
          ) -> Iterator[Finding]:
    if not a.abis:
        return  # no native code: it runs on every ABI
    for abi in e.require_abi:
        if abi not in a.abis:
            yield r.finding("error", "ABIs", f"native libraries for {abi} are missing "
                            f"(present: {', '.join(a.abis)})", abi, ", ".join(a.abis))


@rule(RULES, "AND010", "no forbidden permission", ANDROID_FORMATS,
      needs=("forbid_permission",))
def _permissions(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                 ) -> Iterator[Finding]:
    for permission in a.permissions:
        for pattern in e.forbid_permission:
            if fnmatchcase(permission, pattern):
                yield r.finding("error", "uses-permission", f"requests the forbidden permission "
                                f"{permission}", f"not {pattern}", permission)
                break


@rule(RULES, "AND011", "a whole app, not a split", (Format.APK,))
def _split(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
           ) -> Iterator[Finding]:
    if a.split:
        yield r.finding("error", "split", f"this is the split APK {a.split!r}: it cannot be "
                        "installed without its base APK", "a base APK", f"split {a.split}")


# -- install readiness: how the archive is laid out --------------------------------------------
#: Android 11 (API 30) refuses an app targeting it whose resources.arsc is compressed or unaligned.
_ARSC_STORED_FROM_TARGET = 30
_PAGE = 4096
_PAGE_16K = 16384


@rule(RULES, "AND012", "resources.arsc stored and 4-byte aligned (targetSdk 30+)", (Format.APK,))
def _resources_table(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
                     ) -> Iterator[Finding]:
    table = a.resources_table
    if table is None or a.target_sdk is None or a.target_sdk < _ARSC_STORED_FROM_TARGET:
        return
    if table.compressed:
        actual = "compressed"
    elif table.offset % 4:
        actual = f"stored at offset {table.offset} (not a multiple of 4)"
    else:
        return
    yield r.finding("error", "resources.arsc", f"resources.arsc is {actual}: Android 11+ refuses "
                    f"to install an app targeting API {a.target_sdk} unless it is stored "
                    "uncompressed and 4-byte aligned (INSTALL_PARSE_FAILED_RESOURCES_ARSC_COMPRESSED; run "
                    "zipalign -p 4 before signing)", "stored, 4-byte aligned", actual)


@rule(RULES, "AND013", "stored entries aligned as Android needs", (Format.APK,))
def _alignment(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    # resources.arsc has its own rule (AND012) where Android enforces it.
    table_rule = (a.target_sdk or 0) >= _ARSC_STORED_FROM_TARGET
    unaligned = [entry for entry in a.unaligned_entries
                 if not (table_rule and entry.path == "resources.arsc")]
    if unaligned:
        # Android installs these (it only reads them more slowly); Google Play refuses the upload
        # and `zipalign -c 4` fails: a warning, not an install blocker.
        names = ", ".join(f"{entry.path} (offset {entry.offset})" for entry in unaligned[:5])
        more = f" and {len(unaligned) - 5} more" if len(unaligned) > 5 else ""
        yield r.finding("warning", "zip alignment", f"{len(unaligned)} stored entries are not "
                        f"4-byte aligned: {names}{more} (Google Play refuses an APK that is not "
                        "zipaligned; run zipalign -p 4 before signing)",
                        "4-byte aligned", f"{len(unaligned)} unaligned")
    if not a.loads_libraries_from_apk:
        return
    for lib in a.native_libraries:
        if lib.layout.compressed:
            actual = "compressed"
        elif lib.layout.offset % _PAGE:
            actual = f"stored at offset {lib.layout.offset} (not a multiple of {_PAGE})"
        else:
            continue
        yield r.finding("error", lib.path, f"{lib.path} is {actual}: with "
                        'android:extractNativeLibs="false" Android maps native libraries from the '
                        "APK, so each must be stored uncompressed and page-aligned, or the install "
                        "fails (zipalign -p 4)", f"stored, {_PAGE}-byte aligned", actual)


@rule(RULES, "AND014", "64-bit native libraries ready for 16 KB pages", ANDROID_FORMATS)
def _sixteen_k(r: Rule, s: Summary, a: AndroidApp, e: Expectations, now: datetime
               ) -> Iterator[Finding]:
    severity: Severity = "error" if e.require_16k_pages else "warning"
    for lib in a.native_libraries:
        if not lib.sixty_four_bit:
            continue
        problems = []
        if lib.elf_16k_ready is False:
            problems.append(f"its ELF LOAD segments are aligned to {lib.load_alignment} bytes "
                            f"(link with -Wl,-z,max-page-size={_PAGE_16K})")
        # Offsets count only where Android maps the library from the APK itself.
        if not lib.offset_16k_ready(a.format is Format.APK and a.loads_libraries_from_apk):
            problems.append(f"it is stored at offset {lib.layout.offset}, not on a 16 KB boundary "
                            "(zipalign -P 16 / AGP 8.5.1+)")
        if problems:
            yield r.finding(severity, lib.path, f"{lib.path} is not ready for 16 KB page devices "
                            "(Android 15+; Google Play requires it for apps targeting API 35+): "
                            + "; ".join(problems), "16 KB aligned", "; ".join(problems))
