"""Issue 21: the work budget of one artifact. Each crafted input (built by ``tests/hostile.py`` or
here) ends as one clear error or a record with a warning, however much work it asks: the tests
assert the limit that ends it and, where it matters, what the reader counted or allocated;
``bench/bench_hostile.py`` times the artifacts against the README's 2 s / 200 MB."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

import inspector
from inspector import certs
from inspector.containers import der
from inspector.containers.plist import load_plist
from inspector.errors import ArtifactError
from inspector.limits import BUDGET, MAX_DER_CHILDREN, Budget, artifact_budget, charge, parse_int
from tests import hostile
from tests.conftest import FIXTURES, run_cli


@contextmanager
def allocating_under(megabytes: int = 200) -> Iterator[None]:
    """The block's Python allocations (tracemalloc's count, the same on every machine) peak under
    ``megabytes``. Tracing slows the block down several times: only cheap blocks are traced."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < megabytes << 20, f"peaked at {peak >> 20} MB"


def _read(path: Path) -> inspector.Record:
    return inspector.inspect(path, digest=False)


def _refused(path: Path, *words: str, memory: bool = False) -> ArtifactError:
    with allocating_under() if memory else nullcontext(), pytest.raises(ArtifactError) as caught:
        inspector.inspect(path, digest=False)
    message = str(caught.value)
    assert str(path) in message and all(w in message for w in words), message
    return caught.value


# -- the budget itself -----------------------------------------------------------------------------
def test_charge_names_what_ran_out() -> None:
    budget = Budget({"certificates": 2})
    budget.charge("certificates", 2)
    with pytest.raises(ArtifactError, match=r"too many certificates \(limit 10000\)"):
        budget.charge("certificates")


def test_each_artifact_gets_a_fresh_budget() -> None:
    with artifact_budget() as first:
        charge("certificates", 5)
        assert first.left("certificates") == BUDGET["certificates"] - 5
        with artifact_budget() as second:
            charge("certificates")
        assert second.left("certificates") == BUDGET["certificates"] - 1
        assert first.left("certificates") == BUDGET["certificates"] - 5
    charge("certificates", 10**9)  # outside any artifact: nothing is counted


@pytest.mark.parametrize(("text", "base", "value"), [
    ("42", 10, 42), (" -7 ", 10, -7), ("0x1F", 0, 31), ("0X1f", 16, 31), ("017", 8, 15),
    ("18446744073709551615", 10, (1 << 64) - 1),
])
def test_parse_int(text: str, base: int, value: int) -> None:
    assert parse_int(text, base) == value


@pytest.mark.parametrize("text", ["1" * 21, "0x" + "f" * 21, "²", "١٢", "1_000", "", " ", "0x", "1 2",
                                  "9" * 5000])
def test_parse_int_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_int(text, 0)


# -- DER -------------------------------------------------------------------------------------------
def test_a_million_tiny_children_are_refused_as_they_are_read() -> None:
    blob = hostile.tlv(0x30, b"\x05\x00" * 1_000_000)
    with (artifact_budget({**BUDGET, "ASN.1 elements": 10**9}) as budget, allocating_under(),
          pytest.raises(ArtifactError, match=f"more than {MAX_DER_CHILDREN} values")):
        der.read(blob).children()
    # Refused at the value past the limit, not after reading the million.
    assert 10**9 - budget.left("ASN.1 elements") <= MAX_DER_CHILDREN + 2


def test_null_flood_in_a_v1_block(tmp_path: Path) -> None:
    path = hostile.null_flood_apk(tmp_path)
    assert path.stat().st_size < 8 << 10
    _refused(path, "META-INF/CERT.RSA", "more than 1000 certificates")


@pytest.mark.parametrize(("rdns", "per_rdn"), [(1000, 250), (10, 100)])
def test_names_of_too_many_attributes(tmp_path: Path, rdns: int, per_rdn: int) -> None:
    # Each list is under the per-value cap; the name is not. A bad certificate is a warning in a
    # profile (the profile itself still reads).
    record = _read(hostile.wide_name_profile(tmp_path, rdns, per_rdn))
    assert any("more than 256 name attributes" in w for w in record.warnings), record.warnings


def test_junk_certificates_run_out_of_the_element_budget(tmp_path: Path) -> None:
    # 100 distinct certificates of 10,000 values each: one warning each, until a million values
    # have been read; then the artifact fails, the warnings notwithstanding
    _refused(hostile.junk_certificates_profile(tmp_path), "too many ASN.1 elements (limit 100000)")


def test_nested_indefinite_lengths_are_counted_each_time_they_are_walked() -> None:
    # 60 levels of indefinite length around 20,000 NULLs: finding each level's end walks the whole
    # inside again, 60 x 20,000 headers
    inner = b"\x05\x00" * 20_000
    blob = b"\x30\x80" * 60 + inner + b"\x00\x00" * 60
    with (artifact_budget(),
          pytest.raises(ArtifactError, match=r"too many ASN\.1 elements")):
        node = der.read(blob)
        while node.constructed:
            node = node.children()[0]


def test_long_oid_arcs_are_refused() -> None:
    arc = hostile.tlv(0x06, b"\x2a" + b"\xff" * 100 + b"\x01")
    with pytest.raises(ArtifactError, match="arc of more than 20 octets"):
        der.decode_oid(der.read(arc))
    uuid_arc = hostile.tlv(0x06, b"\x69" + b"\x81" * 18 + b"\x01")  # 2.25.<128-bit>
    assert der.decode_oid(der.read(uuid_arc)).startswith("2.25.")
    long = hostile.tlv(0x06, b"\x2a" * 300)
    with pytest.raises(ArtifactError, match="OBJECT IDENTIFIER of 300 bytes"):
        der.decode_oid(der.read(long))


def test_a_huge_integer_in_a_name_is_shown_in_hex() -> None:
    big = hostile.tlv(0x02, b"\x01" + b"\0" * 3000)  # str() of it: ValueError over 4300 digits
    atv = hostile.tlv(0x30, hostile.tlv(0x06, bytes.fromhex("550403")) + big)
    name = hostile.tlv(0x30, hostile.tlv(0x31, atv))
    cert = certs.certificate_from_der(hostile.certificate_with_name(name))
    assert cert.common_name == "#" + big.hex()


def test_one_certificate_named_150000_times(tmp_path: Path) -> None:
    path = hostile.repeated_certificate_profile(tmp_path)
    assert path.stat().st_size < 2 << 20
    _refused(path, "too many certificates (limit 10000)")


def test_repeated_certificates_are_read_once() -> None:
    der_bytes = hostile.certificate_der("p521")
    calls: list[bytes] = []
    original: Callable[[bytes, str], certs.Certificate] = certs._read_certificate
    certs._SEEN.clear()
    try:
        certs._read_certificate = lambda d, h: calls.append(d) or original(d, h)  # type: ignore[assignment]
        first = [certs.certificate_from_der(der_bytes) for _ in range(100)]
    finally:
        certs._read_certificate = original  # type: ignore[assignment]
    assert len(calls) == 1 and all(c is first[0] for c in first)
    assert first[0].key_size == 521


# -- Android manifests -----------------------------------------------------------------------------
def test_a_million_deep_links_are_cut_at_ten_thousand(tmp_path: Path) -> None:
    path = hostile.deep_links_apk(tmp_path)
    assert path.stat().st_size < 32 << 10
    record = _read(path)
    assert len(record.deep_links) == 10_000
    assert record.deep_links[0].scheme == "s0" and record.deep_links[0].host == "h0.example"
    assert any("more than 10000 deep links" in w for w in record.warnings), record.warnings


def test_a_small_filter_lists_every_combination(tmp_path: Path) -> None:
    record = _read(hostile.deep_links_apk(tmp_path, each=3))
    assert len(record.deep_links) == 27
    assert not any("deep links" in w for w in record.warnings)
    assert {(d.scheme, d.host, d.path) for d in record.deep_links} == {
        (f"s{a}", f"h{b}.example", f"/p{c}") for a in range(3) for b in range(3) for c in range(3)}


def test_permissions_are_deduplicated_in_order(tmp_path: Path) -> None:
    # Each name twice, kept once in order. Deduplicating on a list was quadratic, inside one C
    # call (list.__contains__) that no count here sees: bench/bench_hostile.py's
    # many-permissions-apk (36,000 names) is what guards the time.
    record = _read(hostile.many_permissions_apk(tmp_path, count=4_000))
    assert record.permissions == tuple(f"android.permission.P{i}" for i in range(2_000))


# -- plists and XML ----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [hostile.flat_xml_plist(), hostile.flat_binary_plist()],
                         ids=["xml", "binary"])
def test_plist_values_are_counted_while_the_tree_is_built(data: bytes) -> None:
    with pytest.raises(ArtifactError, match="more than 200000 values"):
        load_plist(data, member="Info.plist")


def test_a_plist_within_the_node_limit_still_reads() -> None:
    assert load_plist(hostile.flat_binary_plist(refs=1000)) == [{}] * 1000
    assert load_plist(hostile.flat_xml_plist(values=1000)) == [{}] * 1000


def _pkg(tmp_path: Path, name: str, insert: bytes) -> Path:
    from tests.test_xar import rebuild

    data = rebuild((FIXTURES / "pkg" / f"{name}.pkg").read_bytes(),
                   lambda xml: xml.replace(b"</toc>", insert + b"</toc>"))
    path = tmp_path / f"{name}.pkg"
    path.write_bytes(data)
    return path


def test_toc_elements_are_counted_while_it_is_parsed(tmp_path: Path) -> None:
    # 3 MB of <x/>, inflated from a TOC of 4 KB
    _refused(_pkg(tmp_path, "component", b"<x/>" * 1_000_000), "TOC", "more than 200000 elements")


def test_components_are_capped(tmp_path: Path) -> None:
    folders = b"".join(b"<file id='%d'><name>c%d.pkg</name><type>directory</type></file>" % (900 + n, n)
                       for n in range(300))
    # product.pkg has one component of its own
    _refused(_pkg(tmp_path, "product", folders), "TOC", "301 component packages, over the limit of 256")


def test_signatures_are_capped(tmp_path: Path) -> None:
    signatures = b"<signature style='RSA'><offset>0</offset><size>20</size></signature>" * 17
    _refused(_pkg(tmp_path, "component", signatures), "TOC", "more than 16 signatures")


def test_a_toc_number_of_5000_digits(tmp_path: Path) -> None:
    from tests.test_xar import rebuild

    data = rebuild((FIXTURES / "pkg" / "component.pkg").read_bytes(),
                   lambda xml: xml.replace(b"<length>", b"<length>" + b"0" * 5000, 1))
    path = tmp_path / "digits.pkg"
    path.write_bytes(data)
    _refused(path, "is not a number")


# -- resource tables ------------------------------------------------------------------------------
def test_ids_looked_up_in_tens_of_thousands_of_chunks() -> None:
    from inspector.containers.arsc import ResourceTable
    from tests.android_bytes import T_STRING, Cfg, Table

    # 6,000 configurations of one type; only the first holds entry 0. Every id of the type is
    # looked for in all of them: 100 ids are 600,000 chunk visits, each counted (the budget is
    # lowered to 100,000 here; bench/bench_hostile.py's arsc-type-chunks-apk is the full size).
    configs: dict[Cfg, list[tuple[int, int, int] | None]] = {Cfg(density=d): [None] for d in range(1, 6_000)}
    configs = {Cfg(): [(0, T_STRING, 0)], **configs}
    table = ResourceTable(Table(["v"], ["k"], {"string": configs}).build())
    assert [e.key for e in table.entries(0x7F010000)] == ["k"]  # read as built
    with (artifact_budget({**BUDGET, "resource entries": 100_000}) as budget,
          pytest.raises(ArtifactError, match=r"too many resource entries \(limit 1000000\)")):
        for n in range(100):
            table.resolve(0x7F010000 + n)
    assert budget.left("resource entries") == 100_000 - 6_000 * 17  # the 17th id ran out


def test_binary_xml_elements_count_against_the_budget() -> None:
    from inspector.containers.axml import read_xml
    from tests.android_bytes import document, end_element, start_element, string_pool

    flat = start_element(0) + (start_element(0) + end_element(0)) * 50_000 + end_element(0)
    data = document(string_pool(["manifest"]), [], flat)
    assert len(read_xml(data).children) == 50_000  # no budget outside an artifact
    with artifact_budget({**BUDGET, "XML elements": 40_000}), pytest.raises(
            ArtifactError, match="too many XML elements"):
        read_xml(data)


def test_an_aab_entry_named_many_times_is_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from inspector.containers import aapt2_pb as pb

    with zipfile.ZipFile(FIXTURES / "aab" / "minimal-ec-signed.aab") as z:
        table = pb.ResourceTable(z.read("base/resources.pb"))
    calls: list[int] = []
    original = pb._config_value
    monkeypatch.setattr(pb, "_config_value", lambda buf, a, b: calls.append(a) or original(buf, a, b))
    icon = table.find("string", "version_name")
    assert icon is not None and icon.values
    decoded = len(calls)
    for _ in range(1000):
        assert table.entry(icon.id) is icon
    assert len(calls) == decoded


# -- no backtracking on input text, bounded integers ---------------------------------------------------
@pytest.mark.parametrize(("stem", "points"), [
    ("AppIcon60x60", 60.0), ("AppIcon83.5x83.5", 83.5), ("Icon-1.5.2x3", 5.2), ("Iconx60", 0.0),
    ("Icon60x", 0.0), ("Icon", 0.0), ("a1x2b3x4", 1.0), ("1" * 30 + "x2", 0.0),
])
def test_icon_points(stem: str, points: float) -> None:
    import re

    from inspector.formats.ipa import _icon_points

    assert _icon_points(stem) == points
    # the regular expression it replaces, on names short enough for it
    match = re.search(r"(\d+(?:\.\d+)?)x\d+(?:\.\d+)?", stem)
    expected = float(match.group(1)) if match and len(match.group(1)) <= 20 else 0.0
    assert points == expected


def test_icon_names_of_long_digit_runs() -> None:
    from inspector.formats.ipa import _icon_points

    with allocating_under():
        for stem in ("1" * 200_000, "1" * 200_000 + "x", "x1" * 100_000, "1x" * 100_000):
            _icon_points(stem)


def test_a_warning_quotes_a_line_of_each_missing_icon_name(tmp_path: Path) -> None:
    # Four names of 200,000 characters, no such files: the warning says so in a line, not 800 KB,
    # and the record keeps the names as the plist has them.
    record = inspector.inspect(hostile.digit_icon_names_ipa(tmp_path), digest=False)
    note = next(w for w in record.warnings if "no icon file in the bundle for " in w)
    assert len(note) < 600 and note.count("...") == 4
    assert [len(n) for n in record.app.CFBundleIconFiles] == [200_000, 200_001, 200_000, 200_000]


def test_max_size_of_long_space_runs() -> None:
    from inspector.settings import _size

    with allocating_under(), pytest.raises(ValueError):
        _size("1" + " " * 200_000 + "x")
    with allocating_under(), pytest.raises(ValueError):
        _size("9" * 200_000)
    assert _size(" 512 MiB ") == 512 << 20 and _size("2G") == 2 * 10**9 and _size("7b") == 7
    for bad in ("1bb", "1ib", "1.5G", "-1", "M", ""):
        with pytest.raises(ValueError):
            _size(bad)


@pytest.mark.parametrize("value", ["9" * 5000, "0x" + "f" * 5000, "²", "1_0"])
def test_manifest_numbers_from_text(value: str) -> None:
    from inspector.formats._manifest import _Reader

    reader = _Reader(None)
    with allocating_under():
        assert reader.integer(value, "versionCode") is None
    assert reader.warnings and "not a number" in reader.warnings[0]


def test_device_families_of_odd_digits() -> None:
    from inspector.formats.ipa import _device_families

    notes: list[str] = []
    assert _device_families(["1", "2", "²", "9" * 5000], notes) == ("iPhone", "iPad")
    assert len(notes) == 2


# -- PKG payloads --------------------------------------------------------------------------------------
def test_an_xz_chunk_declaring_a_4_gib_dictionary() -> None:
    import io

    from inspector.containers.pbzx import PbzxReader

    assert PbzxReader(io.BytesIO(hostile.pbzx_big_dictionary(dict_byte=20))).read() == b"hello" * 1000
    with allocating_under(), pytest.raises(ArtifactError, match="needs more than 128 MiB to decode"):
        PbzxReader(io.BytesIO(hostile.pbzx_big_dictionary())).read()


def test_a_million_empty_cpio_entries() -> None:
    import io

    from inspector.containers.cpio import CpioReader, payload_stream

    # Every entry counts, empty ones too: a million of them (400 KB of gzip) would be refused at
    # the 100,001st; the budget is lowered to 1,000 here, and 2,000 entries run out of it.
    data = hostile.empty_cpio_entries(2_000)
    with (artifact_budget({**BUDGET, "payload entries": 1_000}) as budget,
          pytest.raises(ArtifactError, match=r"too many payload entries \(limit 100000\)")):
        _, stream = payload_stream(io.BytesIO(data))
        for _ in CpioReader(stream):
            pass
    assert budget.left("payload entries") == -1


def test_payload_bytes_count_against_the_budget() -> None:
    import io

    from inspector.containers.cpio import payload_stream

    with artifact_budget({**BUDGET, "bytes inflated": 4000}), pytest.raises(
            ArtifactError, match="too many bytes inflated"):
        _, stream = payload_stream(io.BytesIO(hostile.pbzx_big_dictionary(dict_byte=20)))
        stream.read()


# -- zip ------------------------------------------------------------------------------------------------
def test_300000_entries_sharing_one_local_header(tmp_path: Path) -> None:
    path = hostile.shared_header_apk(tmp_path)
    # zipfile alone took 2.7 s and 200 MB to list them, the inspection 3.9 s
    _refused(path, "more than 1000 zip entries share a local header", memory=True)


def test_a_thousand_entries_sharing_one_are_still_read(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(FIXTURES / "apk" / "signed-v1v2v3.apk") as z:
        manifest = z.read("AndroidManifest.xml")
    path = hostile._shared_member_zip(tmp_path / "shared.apk", ("AndroidManifest.xml", manifest),
                                      [f"assets/a{i}" for i in range(1001)], b"x" * 100)
    assert _read(path).package_name


def test_build_numbers_of_thousands_of_digits(tmp_path: Path) -> None:
    from inspector.versions import version_tuple

    assert version_tuple("1.2." + "9" * 5000) is None and version_tuple("15.0.1") == (15, 0, 1)
    assert version_tuple("1" * 20) == (int("1" * 20),)
    ipa = tmp_path / "long.ipa"
    hostile.write_zip(ipa, [("Payload/A.app/Info.plist", hostile.info_plist(CFBundleVersion="9" * 5000))])
    assert _read(ipa).app.CFBundleVersion.startswith("9" * 4000)  # kept as text (up to 4096)
    for argv in (["inspect", "--json", str(ipa)], ["check", "--format", "json", str(ipa)]):
        result = run_cli(*argv)
        assert result.code not in (70,) and "Traceback" not in result.err, (argv, result.err[-500:])
        assert json.loads(result.out)
