"""The resource table reader on generated tables in every entry encoding, androguard as the oracle,
and on hostile tables (counts that overrun their chunk, reference cycles): one clear error after a
bounded amount of work, counted here (bench/bench_hostile.py times the same tables in APKs)."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import inspector
from inspector.containers import arsc
from inspector.containers.arsc import ResourceTable
from inspector.errors import ArtifactError
from inspector.limits import BUDGET, artifact_budget
from tests import hostile
from tests.android_bytes import OFFSET16, SPARSE, T_INT_BOOLEAN, T_REFERENCE, T_STRING, Cfg, Table
from tests.conftest import FIXTURES

APP_NAME, ALIAS, CYCLE_A, CYCLE_B, MISSING = 0x7F010000, 0x7F010001, 0x7F010002, 0x7F010003, 0x7F010004
ICON, DEBUG = 0x7F020000, 0x7F030000


def _table() -> Table:
    strings = ["App", "Appli", "应用", "App BR", "Fil", "res/a.png", "res/b.png", "res/c.xml"]
    keys = ["app_name", "alias", "cyc_a", "cyc_b", "missing", "ic_launcher", "debug"]
    s = {v: i for i, v in enumerate(strings)}
    return Table(strings, keys, {
        "string": {
            Cfg(): [(0, T_STRING, s["App"]), (1, T_REFERENCE, APP_NAME), (2, T_REFERENCE, CYCLE_B),
                    (3, T_REFERENCE, CYCLE_A)],
            Cfg(language="fr"): [(0, T_STRING, s["Appli"])],
            Cfg(language="zh", script="Hans", region="CN"): [(0, T_STRING, s["应用"])],
            Cfg(language="pt", region="BR", sdk=21): [(0, T_STRING, s["App BR"])],
            Cfg(language="fil"): [(0, T_STRING, s["Fil"]), None, None, None],
        },
        "mipmap": {
            Cfg(density=160, sdk=4): [(5, T_STRING, s["res/a.png"])],
            Cfg(density=640, sdk=4): [(5, T_STRING, s["res/b.png"])],
            Cfg(density=0xFFFE, sdk=26): [(5, T_STRING, s["res/c.xml"])],
        },
        "bool": {Cfg(): [(6, T_INT_BOOLEAN, 1)]},
    })


def _androguard(data: bytes) -> object:
    ag = pytest.importorskip("androguard.core.axml")
    pytest.importorskip("loguru").logger.disable("androguard")
    return ag.ARSCParser(data)


def _locale(config: object) -> str | None:
    lang_region = config.get_language_and_region()  # type: ignore[attr-defined]
    if lang_region == "\x00\x00":
        return None
    language, _, region = lang_region.partition("-r")
    script = bytes(config.localeScript or b"").rstrip(b"\0").decode()  # type: ignore[attr-defined]
    return "-".join(p for p in (language, script, region) if p)


@pytest.mark.parametrize("flags", [0, SPARSE, OFFSET16], ids=["dense32", "sparse", "offset16"])
def test_generated_table_matches_androguard(flags: int) -> None:
    data = _table().build(flags=flags)
    theirs = _androguard(data)
    ours = ResourceTable(data)
    for res_id in (APP_NAME, ALIAS, ICON, DEBUG):
        want = theirs.get_resolved_res_configs(res_id)  # type: ignore[attr-defined]
        got = ours.resolve(res_id)
        assert want, f"androguard resolves nothing for 0x{res_id:08x}"
        assert [v for _, v in got] == [v for _, v in want]
        assert [c.qualifier() for c, _ in got] == [c.get_qualifier() for c, _ in want]
        assert [c.locale for c, _ in got] == [_locale(c) for c, _ in want]
        rtype, rname, _ = theirs.get_id("com.example", res_id)  # type: ignore[attr-defined]
        assert ours.name(res_id) == f"@{rtype}/{rname}"


def test_compact_entries_decode_like_the_dense_table() -> None:
    # androguard reads every compact entry as a string (it follows no reference): the dense table,
    # checked against androguard above, is the reference for the other types.
    dense = ResourceTable(_table().build())
    compact_data = _table().build(compact=True)
    compact = ResourceTable(compact_data)
    for res_id in (APP_NAME, ALIAS, ICON, DEBUG):
        assert compact.resolve(res_id) == dense.resolve(res_id)
    theirs = _androguard(compact_data)
    assert [v for _, v in compact.resolve(APP_NAME)] == [
        v for _, v in theirs.get_resolved_res_configs(APP_NAME)]  # type: ignore[attr-defined]


def _lookups(table: ResourceTable, bound: int) -> list[int]:
    """The ids ``table`` looks up from now on, in order; the lookup past ``bound`` fails the test
    (so a runaway resolution ends)."""
    seen: list[int] = []
    entries: Callable[[int], list[arsc.Entry]] = table.entries

    def counted(res_id: int) -> list[arsc.Entry]:
        seen.append(res_id)
        assert len(seen) <= bound, f"more than {bound} lookups"
        return entries(res_id)

    table.entries = counted  # type: ignore[method-assign]
    return seen


def test_reference_cycle_resolves_to_nothing() -> None:
    table = ResourceTable(_table().build())
    seen = _lookups(table, bound=100)
    assert table.resolve(CYCLE_A) == []
    assert seen == [CYCLE_A, CYCLE_B]  # the reference back to CYCLE_A is dropped, not followed
    assert table.resolve(MISSING) == []
    assert table.name(MISSING) is None


def _first_type_chunk(data: bytes) -> int:
    pos = data.index(struct.pack("<HH", 0x0201, 84))
    return pos


def test_entry_count_past_the_chunk_is_one_clear_error() -> None:
    data = bytearray(_table().build())
    pos = _first_type_chunk(bytes(data))
    struct.pack_into("<I", data, pos + 12, 16 << 20)
    with pytest.raises(ArtifactError) as info:
        ResourceTable(bytes(data))
    assert info.value.member == "resources.arsc"
    assert "entries" in info.value.problem


def test_string_count_past_the_pool_is_one_clear_error() -> None:
    data = bytearray(_table().build())
    struct.pack_into("<I", data, 12 + 8, 16 << 20)  # the global pool's stringCount
    with pytest.raises(ArtifactError) as info:
        ResourceTable(bytes(data))
    assert info.value.member == "resources.arsc"


def test_truncated_tables_are_one_clear_error() -> None:
    data = _table().build()
    for cut in range(0, len(data), 7):
        try:
            table = ResourceTable(data[:cut])
            for res_id in (APP_NAME, ALIAS, ICON, DEBUG):
                table.resolve(res_id)
                table.name(res_id)
        except ArtifactError as exc:
            assert exc.member == "resources.arsc"


def test_apk_with_a_16m_entry_count_is_refused_from_its_header(tmp_path: Path) -> None:
    # Refused from the chunk's header, before any entry is read (bench/bench_hostile.py's
    # arsc-16m-entries-apk measures its time).
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(hostile.arsc_16m_entries_apk(tmp_path), digest=False)
    assert info.value.member == "resources.arsc"
    assert "claims 16777216 entries" in info.value.problem


def test_oversized_resource_table_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # Refused from the zip entry's size (bench/bench_hostile.py's oversized-arsc-apk).
    with pytest.raises(ArtifactError) as info:
        inspector.inspect(hostile.oversized_arsc_apk(tmp_path), digest=False)
    assert info.value.member == "resources.arsc"
    assert "over the 33554432-byte limit" in info.value.problem


def test_references_that_fan_out_are_one_clear_error_quickly() -> None:
    # 30 resources, each with 40 configurations that all name the next one: 40**30 paths.
    strings = ["x"]
    keys = [f"r{i}" for i in range(31)]
    configs = [Cfg(density=d) for d in range(1, 41)]
    chain = [(i, T_REFERENCE, 0x7F010000 + i + 1) for i in range(30)] + [(30, T_STRING, 0)]
    data = Table(strings, keys, {"string": {c: chain for c in configs}}).build()
    table = ResourceTable(data)
    # Each lookup returns 40 values: the budget of 10,000 values ends the walk at the 251st
    # (unbounded, it would make 40**30).
    seen = _lookups(table, bound=10_000 // 40 + 1)
    with pytest.raises(ArtifactError, match="resolves through more than 10000 values") as info:
        table.resolve(0x7F010000)
    assert info.value.member == "resources.arsc"
    assert len(seen) == 10_000 // 40 + 1


def test_mutated_manifests_and_tables_read_or_raise_artifact_error() -> None:
    # Seeded: the same 400 mutations (bytes and 32-bit fields set to edge values, truncations) of
    # every fixture's manifest and table each time; anything but ArtifactError is a reader bug.
    import random

    from inspector.formats._manifest import manifest_facts
    from inspector.formats.apk import _ArscResources, read_binary_xml

    rng = random.Random(20261128)
    samples = []
    for apk in sorted((FIXTURES / "apk").glob("*.apk")):
        with zipfile.ZipFile(apk) as z:
            if "resources.arsc" in z.namelist():
                samples.append((z.read("AndroidManifest.xml"), z.read("resources.arsc")))

    def mutate(data: bytes) -> bytes:
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(out))
            kind = rng.random()
            if kind < 0.4:
                out[i] = rng.randrange(256)
            elif kind < 0.9:
                edge = rng.choice([0, 1, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, len(out), rng.randrange(1 << 32)])
                j = min(i - i % 4, len(out) - 4)
                struct.pack_into("<I", out, j, edge)
            else:
                del out[max(i, 8):]
        return bytes(out)

    def counted_work(manifest: bytes, table: bytes) -> dict[str, int]:
        with artifact_budget() as budget:
            try:
                manifest_facts(read_binary_xml(manifest), _ArscResources(table))
            except ArtifactError as exc:
                assert exc.member in ("AndroidManifest.xml", "resources.arsc")
        return {kind: BUDGET[kind] - budget.left(kind) for kind in ("XML elements", "resource entries")}

    # No mutation makes the readers do more than the largest unmutated sample asks of them.
    most = {kind: max(counted_work(*sample)[kind] for sample in samples)
            for kind in ("XML elements", "resource entries")}
    for _ in range(400):
        manifest, table = rng.choice(samples)
        work = counted_work(mutate(manifest) if rng.random() < 0.5 else manifest, mutate(table))
        assert all(work[kind] <= most[kind] for kind in most), (work, most)


@pytest.mark.parametrize("kind", ["tiny chunks", "type chunks"])
def test_a_table_of_many_chunks_within_the_size_limit_is_one_clear_error(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.formats.apk import RESOURCES_LIMIT

    data = hostile.many_chunks_table(_table().build(), type_chunks=kind == "type chunks")
    assert len(data) <= RESOURCES_LIMIT
    headers: list[int] = []
    original = arsc.chunk_header

    def counted(*args: object) -> tuple[int, int, int]:
        headers.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(arsc, "chunk_header", counted)
    with pytest.raises(ArtifactError, match="more than 65536 chunks") as info:
        ResourceTable(data)
    assert info.value.member == "resources.arsc"
    # Refused at the chunk past the limit of 65,536: the table's chunk headers are read no
    # further (there are millions).
    assert len(headers) == 65_536 + 1
