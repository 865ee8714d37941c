"""Issue 12: every hostile input ends clear, after a bounded amount of work, and one bad file never
stops a batch.

Every input is generated here or by ``tests/hostile.py``; the work is counted (``tests/work.py``),
and ``bench/bench_hostile.py`` times the same inputs against the README's "Resource budget".
"""

from __future__ import annotations

import json
import math
import os
import plistlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import inspector
from inspector.cli import EXIT_INTERNAL, for_one_file
from inspector.containers.plist import load_plist
from inspector.errors import ArtifactError, InternalError
from inspector.records.base import jsonable
from inspector.report.text import LABEL_WIDTH, Block, printable
from tests import hostile
from tests.conftest import FIXTURES, ROOT, run_cli
from tests.work import calls, inspect_counting

APK = FIXTURES / "apk" / "signed-v1v2v3.apk"


def _inspect(path: Path) -> object:
    """The record of ``path``, or the ArtifactError that refused it."""
    try:
        result: object = inspector.inspect(path, digest=False)
    except ArtifactError as exc:
        result = exc
    return result


# -- a batch always reports every file ----------------------------------------------------------
def test_for_one_file_turns_a_bug_into_that_files_error() -> None:
    def boom() -> None:
        raise UnboundLocalError("cannot access local variable 'x'")

    outcome = for_one_file("a.apk", boom)
    assert isinstance(outcome, InternalError)
    assert outcome.path == "a.apk"
    assert "UnboundLocalError" in str(outcome)
    assert for_one_file("a.apk", lambda: 7) == 7


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bug_in_one_file_never_stops_the_batch(tmp_path: Path, monkeypatch, as_json: bool) -> None:
    import inspector.formats.profile as profile

    def broken(source: object) -> object:
        raise RuntimeError("a parser bug")

    # A bug in the profile parser: the profile's result says so, the APKs around it are reported.
    monkeypatch.setattr(profile, "parse", broken)
    bad = tmp_path / "x.mobileprovision"
    bad.write_bytes(plistlib.dumps({"TeamName": "T", "AppIDName": "A"}))
    argv = ["inspect", "--no-hash", *(["--json"] if as_json else []), str(APK), str(bad), str(APK)]
    result = run_cli(*argv)
    assert result.code == EXIT_INTERNAL
    if as_json:
        results = result.json["results"]
        assert [("error" in r) for r in results] == [False, True, False]
        assert results[1]["error"]["exit_code"] == EXIT_INTERNAL
        assert "RuntimeError: a parser bug" in results[1]["error"]["message"]
    else:
        assert result.out.count("(Android APK)") == 2
        assert result.err.count("\n") == 1
        assert "RuntimeError: a parser bug" in result.err


# -- output that a hostile file controls --------------------------------------------------------
def test_printable_escapes_terminal_controls() -> None:
    assert printable("a\x1b]0;t\x07\x1b[2J\nb\u202e\x9b") == "a\\x1b]0;t\\x07\\x1b[2J\\nb\\u202e\\x9b"
    assert printable("Prüf-Fixture 検査") == "Prüf-Fixture 検査"


def test_a_hostile_label_cannot_forge_report_lines(tmp_path: Path) -> None:
    path = hostile.escape_label_ipa(tmp_path)
    result = run_cli("inspect", "--no-hash", str(path))
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert not any(line.lstrip().startswith("Signed  v1") for line in result.out.splitlines())
    assert "Nice\\x1b]0;pwned\\x07\\x1b[2J\\n  Signed  v1, v2, v3" in result.out
    # JSON keeps the string as it is (JSON escapes it already).
    record = run_cli("inspect", "--no-hash", "--json", str(path)).json["results"][0]
    assert record["app"]["CFBundleDisplayName"].startswith("Nice\x1b]0;")


def test_block_lines_are_values_and_newlines_inside_are_escaped() -> None:
    block = Block("t\x1b").add("Key", ["one", "two\nthree"]).add("K2", "x\ny")
    pad = " " * (LABEL_WIDTH - 3)  # the first block's labels share one column
    assert block.render() == ["t\\x1b", f"  Key{pad}  one", f"  {' ' * LABEL_WIDTH}  two\\nthree",
                              f"  K2 {pad}  x\\ny"]
    child = Block("t").child("c").add("Key", "v").add("K2", "w")
    assert child.render(2) == ["  c", "    Key  v", "    K2   w"]  # nested blocks: their own width


def test_a_newline_in_a_file_name_stays_on_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "bad\nname\x1b[2J.apk"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = run_cli("inspect", str(path))
    assert result.code == 3
    assert result.err.count("\n") == 1
    assert "\x1b" not in result.err
    assert "bad\\nname\\x1b[2J.apk" in result.err


def test_json_never_holds_nan_or_infinity(tmp_path: Path) -> None:
    assert jsonable([math.nan, math.inf, -math.inf, 1.5]) == ["NaN", "Infinity", "-Infinity", 1.5]
    profile = tmp_path / "nan.mobileprovision"
    profile.write_bytes(plistlib.dumps({"AppIDName": "A", "TeamName": "T", "TimeToLive": math.nan,
                                        "Entitlements": {"x": math.inf}}))
    result = run_cli("inspect", "--no-hash", "--json", str(profile))
    assert "NaN" not in result.out.replace('"NaN"', "")
    assert "Infinity" not in result.out.replace('"Infinity"', "")
    json.loads(result.out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))


def test_year_zero_reads_as_the_earliest_datetime() -> None:
    # Python's datetime has no year 0: a certificate time in year 0 is the earliest it holds.
    from datetime import UTC, datetime

    from inspector.containers import der

    year_zero = der.read(b"\x18\x0f00000101000000Z")
    assert der.decode_time(year_zero) == datetime(1, 1, 1, tzinfo=UTC)


def test_now_at_the_end_of_time_is_a_usage_error() -> None:
    result = run_cli("inspect", "--now", "9999-12-31T23:00-14:00", "--json", str(APK))
    assert result.code == 2
    assert "outside the years" in result.err
    assert run_cli("inspect", "--now", "2027-01-01T23:00-14:00", "--json", "--no-hash",
                   str(APK)).json["now"] == "2027-01-02T13:00:00Z"


def test_icon_write_does_not_follow_a_symlink(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    # The same input twice: the second icon goes to <name>-2.png, so both names are traps.
    (icons / f"{APK.name}.png").symlink_to(victim)
    (icons / f"{APK.name}-2.png").symlink_to(victim)
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(icons), str(APK), str(APK))
    assert victim.read_bytes() == b"keep me"
    assert result.code == 74
    assert result.err.count("cannot write the icon") == 2
    assert result.out.count("(Android APK)") == 0


def test_icon_write_error_is_that_files_error(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    (icons / f"{APK.name}.png").mkdir(parents=True)  # a folder where the file should go
    result = run_cli("inspect", "--no-hash", "--json", "--extract-icon", str(icons), str(APK))
    assert result.code == 74
    error = result.json["results"][0]["error"]
    assert error["kind"] == "OutputError" and "cannot write the icon" in error["message"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full to fill stdout")
def test_a_full_disk_on_stdout_is_one_clear_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "inspector", "inspect", "--json", "--no-hash",
                               str(APK)], stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                              check=False)
    assert proc.returncode == 74
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "inspector: error: cannot write the report (No space left on device)"]


# -- plists -------------------------------------------------------------------------------------
def test_plist_dag_is_refused_at_the_node_limit(tmp_path: Path) -> None:
    # The walk counts every node it visits and stops past MAX_PLIST_NODES: refused at the limit,
    # whatever the 2**40 paths. Its time is bench/bench_hostile.py's dag-profile and dag-ipa.
    with pytest.raises(ArtifactError, match=r"more than 200000 values \(counting shared ones"):
        load_plist(hostile.bplist_dag(40), member="Info.plist")
    # a small DAG is a plist like any other
    assert load_plist(hostile.bplist_dag(4))["Shared"][1][1][0] == ["leaf", "leaf"]


@pytest.mark.parametrize("maker", [hostile.dag_profile, hostile.dag_ipa])
def test_dag_artifacts_end_as_one_error(tmp_path: Path, maker) -> None:
    result = _inspect(maker(tmp_path))
    assert isinstance(result, ArtifactError)
    assert "more than 200000 values" in str(result)


def test_plist_entity_declarations_are_refused_before_expansion() -> None:
    # plistlib refuses entity declarations itself (its expat EntityDeclHandler raises), so the
    # billion laughs never expand: 10**9 "lol"s would be gigabytes. The declarations come after
    # 8 KiB of comment, where a scan of the file's head would not have looked.
    laughs = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    bomb = (b'<?xml version="1.0"?><!--' + b" " * 8192 + b'--><!DOCTYPE plist [' + laughs
            + b']><plist version="1.0"><dict><key>a</key><string>&lol9;</string></dict></plist>')
    with pytest.raises(ArtifactError, match="XML entity declarations are not supported") as info:
        load_plist(bomb, member="Info.plist")
    assert info.value.member == "Info.plist"
    one = b'<!DOCTYPE plist [<!ENTITY a "b">]><plist><string>&a;</string></plist>'
    with pytest.raises(ArtifactError, match="XML entity declarations are not supported"):
        load_plist(one)


def test_plist_opening_with_its_doctype_is_read() -> None:
    data = (b'<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            b'"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            b'<plist version="1.0"><dict><key>a</key><string>b</string></dict></plist>')
    assert load_plist(data) == {"a": "b"}


def test_unknown_xml_encoding_is_an_artifact_error(tmp_path: Path) -> None:
    result = _inspect(hostile.unknown_encoding_ipa(tmp_path))
    assert isinstance(result, ArtifactError)
    assert "unknown encoding" in str(result) and result.member == "Payload/H.app/Info.plist"


# -- files that are not files -------------------------------------------------------------------
def test_a_named_pipe_is_refused_without_opening_it(tmp_path: Path) -> None:
    import threading

    pipe = hostile.fifo(tmp_path)
    # A writer waits for the pipe's first reader: were inspector to open the pipe, the writer
    # would meet it (and hang up at once, so that the read ends) rather than block it forever.
    met: list[str] = []
    ours = threading.Event()

    def writer() -> None:
        with open(pipe, "wb"):
            met.append("our own reader" if ours.is_set() else "inspector")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = run_cli("inspect", str(pipe), str(APK), "--no-hash")
    ours.set()
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # releases a writer still waiting
    thread.join(5)
    os.close(reader)
    assert met == ["our own reader"]
    assert result.code == 3
    assert "is a named pipe, not a regular file" in result.err
    assert "(Android APK)" in result.out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused() -> None:
    with pytest.raises(ArtifactError, match="character device, not a regular file"):
        inspector.inspect("/dev/zero")


# -- zip: duplicates, budgets, encryption, truncation -------------------------------------------
def test_duplicate_names_are_read_once(tmp_path: Path) -> None:
    from inspector.containers.zip import ZipArchive

    path = hostile.write_zip(tmp_path / "d.ipa", [("Payload/H.app/Info.plist", hostile.info_plist())]
                             + [("Payload/H.app/a", b"%d" % i) for i in range(5)])
    with ZipArchive(path) as z:
        assert z.names.count("Payload/H.app/a") == 1
        assert z.read("Payload/H.app/a") == b"4"  # the last one, as zipfile's getinfo says
        assert "4 duplicate zip entries" in z.warnings[0]


def test_duplicate_plugins_sharing_one_big_member_stay_in_budget(tmp_path: Path, monkeypatch) -> None:
    from inspector.limits import MAX_READ_BYTES

    record, spent = inspect_counting(hostile.duplicate_plugins_ipa(tmp_path), monkeypatch)
    assert not isinstance(record, ArtifactError)
    # 100 names of one 16 MB plist: read until the 256 MB read budget, not 1.6 GB.
    assert spent.read_whole <= MAX_READ_BYTES
    assert len(record.nested_bundles) <= 16  # 256 MB read budget / 16 MB a plist
    assert any("49 duplicate zip entries" in w for w in record.warnings)
    assert any("past its budget" in w for w in record.warnings)


def test_duplicate_executables_are_read_once(tmp_path: Path, monkeypatch) -> None:
    path = hostile.duplicate_executables_ipa(tmp_path)
    record, spent = inspect_counting(path, monkeypatch)
    assert not isinstance(record, ArtifactError)
    assert spent.inflated < 2 * (15 << 20)  # 20 names of one 15 MB executable: read once at most
    # Python 3.11.8, 3.12.2 and later refuse entries that share their data (CVE-2024-0450): there
    # the executable is a warning naming the overlap; before, it is read, once.
    try:
        with zipfile.ZipFile(path) as z:
            z.read("Payload/H.app/X")
        overlap_refused = False
    except zipfile.BadZipFile as exc:
        overlap_refused = "Overlapped entries" in str(exc)
    if overlap_refused:
        assert record.app.code_signature is None
        assert any("Overlapped entries" in w for w in record.warnings)
    else:
        assert record.app.code_signature is not None


def test_inflate_budget_is_per_artifact(tmp_path: Path, monkeypatch) -> None:
    from inspector.containers import zip as zip_module

    monkeypatch.setattr(zip_module, "MAX_INFLATED_BYTES", 1000)
    path = hostile.write_zip(tmp_path / "b.zip", [("a", b"x" * 600), ("b", b"y" * 600)])
    with zip_module.ZipArchive(path) as z:
        z.read("a")
        with pytest.raises(ArtifactError, match="past its budget of 1000 bytes") as info:
            z.read("b")
        assert info.value.member == "b"


def test_encrypted_flag_is_an_artifact_error(tmp_path: Path) -> None:
    path = hostile.write_zip(tmp_path / "e.ipa", [("Payload/H.app/Info.plist", hostile.info_plist())],
                             stored=True)
    data = bytearray(path.read_bytes())
    for magic, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(magic)
        data[at + flag_at] |= 1
    path.write_bytes(bytes(data))
    result = _inspect(path)
    assert isinstance(result, ArtifactError)
    assert "encrypted" in result.problem and result.member == "Payload/H.app/Info.plist"


def test_truncated_download_says_so(tmp_path: Path) -> None:
    result = _inspect(hostile.truncated_ipa(tmp_path))
    assert isinstance(result, ArtifactError)
    assert "end-of-central-directory record is missing" in result.problem
    assert "truncated" in result.problem


# -- IPA: scans, nested bundles, signatures -----------------------------------------------------
def test_many_icon_names_against_many_members_is_linear(tmp_path: Path) -> None:
    # Twice the icon names and members: about twice the calls (four times, were each name
    # compared with each member). bench/bench_hostile.py times 20,000 against 40,000.
    work = []
    for n in (1000, 2000):
        folder = tmp_path / str(n)
        folder.mkdir()
        path = hostile.many_icon_names_ipa(folder, icons=n, members=n)
        records: list[object] = []
        work.append(calls(lambda p=path, out=records: out.append(inspector.inspect(p, digest=False))))
        record = records[0]
        assert isinstance(record, inspector.IpaApp)
        warning = next(w for w in record.warnings if "no icon file" in w)
        assert warning.endswith(f"and {n - 10} more") and len(warning) < 300
    assert work[1] < 2.5 * work[0], work


def test_icon_names_match_every_way_they_can_be_read(tmp_path: Path) -> None:
    from inspector.formats.ipa import _icon_stems

    assert set(_icon_stems("AppIcon60x60@2x~ipad")) == {
        ("AppIcon60x60@2x~ipad", 1), ("AppIcon60x60@2x", 1), ("AppIcon60x60", 2)}
    assert set(_icon_stems("Icon~iphone@3x")) == {("Icon~iphone@3x", 1), ("Icon~iphone", 3)}


def test_nested_bundles_are_capped(tmp_path: Path) -> None:
    from inspector.limits import MAX_NESTED_BUNDLES

    extensions = [(f"Payload/H.app/PlugIns/E{i:03}.appex/Info.plist", hostile.info_plist(
        CFBundleIdentifier=f"com.example.hostile.e{i}")) for i in range(MAX_NESTED_BUNDLES + 10)]
    record = _inspect(hostile.write_zip(tmp_path / "n.ipa", [
        ("Payload/H.app/Info.plist", hostile.info_plist()), *extensions]))
    assert not isinstance(record, ArtifactError)
    assert len(record.nested_bundles) == MAX_NESTED_BUNDLES
    assert any(f"only the first {MAX_NESTED_BUNDLES} are read" in w for w in record.warnings)


def test_long_strings_are_cut(tmp_path: Path) -> None:
    from inspector.limits import MAX_KEPT_STRING

    path = hostile.write_zip(tmp_path / "s.ipa", [("Payload/H.app/Info.plist", hostile.info_plist(
        CFBundleDisplayName="x" * 1_000_000))])
    record = _inspect(path)
    assert len(record.app.CFBundleDisplayName) == MAX_KEPT_STRING
    assert any("CFBundleDisplayName is 1000000 characters long" in w for w in record.warnings)


def test_fat_macho_signature_bytes_are_capped(tmp_path: Path) -> None:
    from inspector.containers import macho

    path = hostile.fat_macho(tmp_path / "fat", slices=64, signature=8 << 20)
    with open(path, "rb") as fh, pytest.raises(ArtifactError, match="more than the 64 MiB"):
        macho.read_code_signatures(fh, path.stat().st_size)
    with open(path, "rb") as fh:  # the same slices, fewer of them: read
        small = hostile.fat_macho(tmp_path / "fat4", slices=4, signature=1 << 20)
        with open(small, "rb") as fh:
            assert len(macho.read_code_signatures(fh, small.stat().st_size)) == 4


def test_malformed_signer_info_in_a_code_signature_is_skipped() -> None:
    # The signer info is read only to find the signer's certificate: a bad one is skipped, and
    # this blob then has no certificate to name.
    from inspector.containers.macho import CodeSignature
    from inspector.formats.ipa import _signer

    notes: list[str] = []
    signature = CodeSignature("arm64", "id", "TEAM", "sha256", None, None,
                              hostile.cms_with_bad_signer_info())
    assert _signer(signature, "X", notes) == (None, None)
    assert notes == ["executable X (arm64): CMS blob has no certificate"]


# -- certificates -------------------------------------------------------------------------------
@pytest.mark.parametrize(("algorithm", "bits"), [("ed25519", 256), ("ed448", 456)])
def test_edwards_certificates_are_read(algorithm: str, bits: int) -> None:
    from inspector.certs import certificate_from_der

    cert = certificate_from_der(hostile.certificate_der(algorithm))
    assert (cert.key_algorithm, cert.key_size) == (algorithm.upper(), bits)


def test_edwards_and_year_zero_certificates_in_a_profile(tmp_path: Path) -> None:
    profile = tmp_path / "ed.mobileprovision"
    profile.write_bytes(plistlib.dumps({
        "AppIDName": "A", "TeamName": "T", "TeamIdentifier": ["T"], "UUID": "u",
        "Entitlements": {"application-identifier": "T.com.example"},
        "DeveloperCertificates": [hostile.certificate_der("ed25519"),
                                  hostile.certificate_der("ed448", not_before_year=0)]}))
    result = run_cli("inspect", "--no-hash", "--json", "--now", "2027-01-01", str(profile))
    assert result.code == 0, result.err
    certs = result.json["results"][0]["DeveloperCertificates"]
    assert [c["key_size"] for c in certs] == [256, 456]
    assert certs[1]["not_before"] == "0001-01-01T00:00:00Z"
    assert run_cli("inspect", "--no-hash", "--now", "2027-01-01", str(profile)).code == 0


# -- PKG ----------------------------------------------------------------------------------------
def test_a_five_thousand_digit_os_version() -> None:
    from inspector.containers.xar import parse_xml
    from inspector.formats.pkg import _distribution

    xml = (b'<installer-gui-script><allowed-os-versions><os-version min="1' + b"9" * 5000
           + b'"/><os-version min="10.13"/></allowed-os-versions></installer-gui-script>')
    assert _distribution(parse_xml(xml, member="Distribution")).minimum_os == "10.13"


def test_xar_error_names_its_member_once(tmp_path: Path) -> None:
    import re

    from tests.test_xar import PKG, open_error, rebuild, write

    def far(xml: bytes) -> bytes:
        return re.sub(rb"<offset>(\d+)</offset>(\s*<size>\d+</size>\s*<encoding)",
                      rb"<offset>99999999999</offset>\2", xml)

    error = open_error(write(tmp_path, rebuild((PKG / "component.pkg").read_bytes(), far)))
    assert str(error).count(error.member) == 1
    bad = rebuild((PKG / "component.pkg").read_bytes(), lambda x: x.replace(b"<length>", b"<length>x", 1))
    error = open_error(write(tmp_path, bad))
    assert str(error).count("PackageInfo") == 1


def test_pkg_xml_with_an_unknown_encoding() -> None:
    from inspector.containers.xar import parse_xml

    with pytest.raises(ArtifactError, match="unknown encoding") as info:
        parse_xml(b'<?xml version="1.0" encoding="x-klingon"?><a/>', member="Distribution")
    assert info.value.member == "Distribution"


def test_an_apk_listing_one_signer_a_thousand_times(tmp_path: Path) -> None:
    import shutil
    import warnings
    import zipfile

    path = tmp_path / "signers.apk"
    shutil.copy(APK, path)
    with zipfile.ZipFile(APK) as z:
        rsa = z.read("META-INF/RELEASE.RSA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "a") as z:
            for _ in range(1000):
                z.writestr("META-INF/RELEASE.RSA", rsa)
    record = _inspect(path)
    assert not isinstance(record, ArtifactError), record
    assert len(record.signing.signers) == 1
    assert any("1000 duplicate zip entries" in w for w in record.warnings)


def test_plist_integers_beyond_128_bits_are_refused() -> None:
    # found by the fuzzer (tests/fuzz/crashes/all/crash-f902...): a binary plist integer of
    # 2**15 bytes, which no JSON or text report can print.
    huge = b"<plist><integer>0x" + b"f" * 2000 + b"</integer></plist>"
    with pytest.raises(ArtifactError, match="plist integer of 8000 bits"):
        load_plist(huge)
    assert load_plist(b"<plist><integer>0x" + b"f" * 32 + b"</integer></plist>") == (1 << 128) - 1


def test_plist_dictionary_keys_must_be_strings() -> None:
    # found by the fuzzer (tests/fuzz/crashes/all/crash-77db...): a binary plist keyed by an
    # integer of thousands of digits, which JSON could not print.
    data = bytearray(plistlib.dumps({"a": 1}, fmt=plistlib.FMT_BINARY))
    at = data.index(b"\x51a")  # the key "a", an ASCII string of length 1 ...
    data[at:at + 2] = b"\x10\x07"  # ... becomes the integer 7 (1 byte)
    with pytest.raises(ArtifactError, match="key that is not a string"):
        load_plist(bytes(data))


def test_a_huge_cgbi_icon_is_refused_before_inflating(tmp_path: Path) -> None:
    # Refused at the pixel limit from the header, before inflating (bench/bench_hostile.py's
    # cgbi-8192-ipa measures its time).
    path = hostile.cgbi_icon_ipa(tmp_path, side=8192)
    result = run_cli("inspect", "--no-hash", "--extract-icon", str(tmp_path / "icons"), str(path))
    assert result.code == 3
    assert "8192x8192 pixels is over the 1048576-pixel limit" in result.err
    assert not (tmp_path / "icons" / f"{path.name}.png").exists()


# -- all of it at once --------------------------------------------------------------------------
#: Cases too slow to build for the suite (they deflate about 1 GB, or write 40,000 members; the
#: last one has its own test above, smaller): bench/bench_hostile.py runs them.
_BENCH_ONLY = {"big-executable-ipa", "fat-signatures-ipa", "many-icon-names-ipa"}
#: Cases that take a tenth of a second or more to build or read, each with its own test (this
#: file's, test_arsc's, test_budgets'): the batch does without them.
_OWN_TEST = {"duplicate-plugins-ipa", "duplicate-executables-ipa", "oversized-arsc-apk",
             "arsc-tiny-chunks-apk", "arsc-type-chunks-apk", "junk-certificates-profile",
             "repeated-certificate-profile", "dag-profile"}
#: Smaller versions of the cases slowest to build or read, still past the limit each is about.
_SMALLER = {
    "many-permissions-apk": lambda folder: hostile.many_permissions_apk(folder, count=2_000),
    "shared-header-apk": lambda folder: hostile.shared_header_apk(folder, names=1_001),
    "null-flood-apk": lambda folder: hostile.null_flood_apk(folder, count=20_000),
}


def test_a_batch_of_every_hostile_input_reports_every_file(tmp_path: Path) -> None:
    paths = []
    for name, maker in hostile.CASES.items():
        if name in _BENCH_ONLY or name in _OWN_TEST:
            continue
        maker = _SMALLER.get(name, maker)
        folder = tmp_path / name
        folder.mkdir()
        paths.append(maker(folder))
    result = run_cli("inspect", "--json", "--no-hash", "--extract-icon", str(tmp_path / "icons"),
                     *map(str, paths))
    results = json.loads(result.out)["results"]
    assert [r["file"]["path"] for r in results] == list(map(str, paths))
    assert result.code == 3  # the worst: unreadable files; no internal error (70)
    assert not any(r.get("error", {}).get("exit_code") == EXIT_INTERNAL for r in results)
    assert "Traceback" not in result.err
