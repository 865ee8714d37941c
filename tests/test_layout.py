"""Install readiness facts against zipalign and readelf, and the rules that judge them.

tests/reference/align/record.sh recorded `zipalign -c -v 4` and `zipalign -c -v 16384` for every
fixture and corpus APK, and `readelf -lW` for every native library of every fixture and corpus APK
and AAB. inspector's layout facts (formats/_layout.py, containers/elf.py) must agree with each:
which stored entries are not 4-byte aligned, where resources.arsc and each library lie, whether a
library is compressed, and the p_align of each library's LOAD segments.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.checks import check
from inspector.checks.expectations import Expectations
from inspector.containers.elf import read_elf
from inspector.errors import ArtifactError
from inspector.records.android import AndroidApp
from tests.conftest import CORPUS, FIXTURES, ROOT, recorded_artifact

REF = ROOT / "tests" / "reference" / "align"
TAMPERED = FIXTURES / "apk" / "tampered"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
_LINE = re.compile(r"^\s*(\d+) (.+) \((OK|OK - compressed|BAD - \d+)\)$")




def _record(path: Path) -> AndroidApp:
    record = inspector.inspect(path, digest=False, verify=False)
    assert isinstance(record, AndroidApp)
    return record


def _zipalign(text: str) -> dict[str, tuple[int, str]]:
    out = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            out[match.group(2)] = (int(match.group(1)), match.group(3))
    return out


def _readable(name: str) -> AndroidApp:
    """The record of the artifact ``name``'s recording is about; the test skips when inspector
    cannot read it (the corpus holds files made unreadable on purpose; test_apk checks those)."""
    try:
        return _record(recorded_artifact(name))
    except ArtifactError:
        pytest.skip(f"{name} is not an archive inspector reads")


ZIPALIGNED = sorted(p.name.removesuffix(".zipalign4.txt") for p in REF.glob("*.zipalign4.txt"))
READELF = sorted(p.name.removesuffix(".readelf.txt") for p in REF.glob("*.readelf.txt"))


@pytest.mark.parametrize("name", ZIPALIGNED)
def test_alignment_agrees_with_zipalign(name: str) -> None:
    record = _readable(name)
    four = _zipalign((REF / f"{name}.zipalign4.txt").read_text(errors="replace"))
    sixteen = _zipalign((REF / f"{name}.zipalign16384.txt").read_text(errors="replace"))
    assert four, name
    bad = {entry for entry, (_, verdict) in four.items() if verdict.startswith("BAD")}
    assert {e.path for e in record.unaligned_entries} == bad
    for entry in record.unaligned_entries:
        assert four[entry.path][0] == entry.offset
    layouts = [lib.layout for lib in record.native_libraries]
    if record.resources_table is not None:
        layouts.append(record.resources_table)
    for layout in layouts:
        offset, verdict = four[layout.path]
        assert layout.compressed is (verdict == "OK - compressed"), layout
        if not layout.compressed:
            assert layout.offset == offset
            assert layout.aligned(16384) is (sixteen[layout.path][1] == "OK")


def test_how_many_zipaligned() -> None:
    fixtures = [n for n in ZIPALIGNED if n.startswith("fixture-")]
    # 15 fixture APKs and 8 tampered ones; 31 corpus APKs when the corpus is present.
    assert len(fixtures) == 23
    if CORPUS.exists():
        assert len(ZIPALIGNED) - len(fixtures) == 31


def _readelf(text: str) -> dict[str, list[int] | None]:
    """member -> p_align of each LOAD segment; None when readelf could not read it as ELF."""
    out: dict[str, list[int] | None] = {}
    member = None
    for line in text.splitlines():
        if line.startswith("## "):
            member = line[3:]
            out[member] = []
        elif member is not None:
            if "readelf: Error" in line:
                out[member] = None
            elif line.split()[:1] == ["LOAD"] and out[member] is not None:
                out[member].append(int(line.split()[-1], 16))  # type: ignore[union-attr]
    return out


@pytest.mark.parametrize("name", READELF)
def test_load_alignment_agrees_with_readelf(name: str) -> None:
    record = _readable(name)
    expected = _readelf((REF / f"{name}.readelf.txt").read_text(errors="replace"))
    libs = {lib.path: lib for lib in record.native_libraries}
    # The AAB reader takes <module>/lib/<abi>/x.so; the APK reader lib/<abi>/x.so.
    assert set(libs) == set(expected)
    for member, aligns in expected.items():
        lib = libs[member]
        if aligns is None:
            assert lib.bits is None
            assert any(w.startswith(f"{member}: ") for w in record.warnings)
        else:
            assert lib.load_alignment == min(aligns, default=None), member


def test_how_many_libraries_compared() -> None:
    libraries = sum(len(_readelf((REF / f"{n}.readelf.txt").read_text(errors="replace")))
                    for n in READELF if n.startswith("fixture-"))
    with_load = sum(1 for n in READELF if n.startswith("fixture-")
                    for aligns in _readelf((REF / f"{n}.readelf.txt").read_text()).values()
                    if aligns)
    assert (libraries, with_load) == (35, 2)


@pytest.mark.parametrize(("fixture", "code", "severity", "field"), [
    ("align-arsc-compressed.apk", "AND012", "error", "resources.arsc"),
    ("align-so-unaligned.apk", "AND013", "error", "lib/x86_64/libsixteen.so"),
    ("align-elf-4k.apk", "AND014", "warning", "lib/x86_64/libfour.so"),
])
def test_each_tampered_fixture_fails_with_its_code(fixture: str, code: str, severity: str,
                                                   field: str) -> None:
    result = check(_record(TAMPERED / fixture), Expectations(), NOW)
    mine = [f for f in result.findings if f.code == code]
    assert [(f.severity, f.field) for f in mine] == [(severity, field)]
    # Nothing else of the install-readiness rules fires but what the construction broke.
    others = {f.code for f in result.findings if f.code in ("AND012", "AND013", "AND014")} - {code}
    assert others <= ({"AND014"} if fixture == "align-so-unaligned.apk" else set())


def test_require_16k_pages_makes_it_an_error() -> None:
    record = _record(TAMPERED / "align-elf-4k.apk")
    (finding,) = [f for f in check(record, Expectations(require_16k_pages=True), NOW).findings
                  if f.code == "AND014"]
    assert finding.severity == "error"
    assert "4096" in finding.message


def test_the_unaligned_library_is_also_not_16k_ready_where_it_is_mapped() -> None:
    record = _record(TAMPERED / "align-so-unaligned.apk")
    assert record.loads_libraries_from_apk
    (finding,) = [f for f in check(record, Expectations(), NOW).findings if f.code == "AND014"]
    assert "offset 2048" in finding.message


def _untampered() -> list[Path]:
    paths = sorted((FIXTURES / "apk").glob("*.apk")) + sorted((FIXTURES / "aab").glob("*.aab"))
    paths += [p for p in sorted(TAMPERED.glob("jar-*.apk"))]
    if CORPUS.exists():
        paths += sorted((CORPUS / "android").glob("*.apk")) + sorted((CORPUS / "android").glob("*.aab"))
    return paths


def test_untampered_files_raise_no_install_readiness_error() -> None:
    compared = 0
    for path in _untampered():
        try:
            record = _record(path)
        except ArtifactError:
            continue
        findings = check(record, Expectations(), NOW).findings
        assert not [f for f in findings if f.code in ("AND012", "AND013", "AND014")
                    and f.severity == "error"], path
        assert not [f for f in findings if f.code == "AND014"], path
        compared += 1
    # The fixtures alone are 23 files; with the shared corpus beside the checkout, more.
    assert compared >= (25 if CORPUS.exists() else 20)


def test_elf_reader_refuses_what_is_not_elf() -> None:
    with pytest.raises(ArtifactError, match="not an ELF"):
        read_elf(b"MZ" + bytes(100))
    head = (ROOT / "fixtures" / "apk" / "tampered" / "src" / "native.c").read_bytes()
    with pytest.raises(ArtifactError):
        read_elf(head)
    # A 64-bit header whose program header table lies past the bytes given.
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 3, 62, 1, 0, 64, 0, 0, 64, 56, 3, 64, 0, 0)
    with pytest.raises(ArtifactError, match="outside"):
        read_elf(header)
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 16, 16, 16384)
    assert read_elf(header + load * 3).load_alignments == (16384, 16384, 16384)


def test_a_bad_library_is_a_warning_naming_it(tmp_path: Path) -> None:
    import shutil
    import zipfile

    apk = tmp_path / "bad-libs.apk"
    shutil.copy(FIXTURES / "apk" / "unsigned.apk", apk)
    huge = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 3, 183, 1, 0, 64, 0, 0, 64, 56, 0xFFFF, 64, 0, 0)
    with zipfile.ZipFile(apk, "a") as z:
        z.writestr("lib/arm64-v8a/libtext.so", b"not an ELF at all")
        z.writestr("lib/x86_64/libhuge.so", huge + bytes(100))
    record = _record(apk)
    libs = {lib.path: lib for lib in record.native_libraries}
    assert libs["lib/arm64-v8a/libtext.so"].bits is None
    assert libs["lib/x86_64/libhuge.so"].load_alignment is None
    assert any(w.startswith("lib/arm64-v8a/libtext.so: not an ELF") for w in record.warnings)
    assert any(w.startswith("lib/x86_64/libhuge.so: ELF program header table") for w in record.warnings)


def test_mutated_library_heads_end_in_a_result_or_an_artifact_error() -> None:
    import random
    import zipfile

    with zipfile.ZipFile(TAMPERED / "align-elf-4k.apk") as z:
        seed = z.read("lib/x86_64/libfour.so")[:4096]
    rng = random.Random("elf")
    for _ in range(2000):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 6)):
            # The header and the program headers are what the reader looks at.
            data[rng.randrange(64 + 6 * 56)] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)):]
        try:
            elf = read_elf(bytes(data))
        except ArtifactError:
            continue
        assert elf.bits in (32, 64)
