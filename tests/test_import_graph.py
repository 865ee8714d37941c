"""The import graph of ``inspector/`` (read with ast, every import statement, at module level or
inside a function): no cycle between modules, and nothing outside ``cli/`` imports argparse
(the library takes plain values; only the command line knows flags)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "inspector"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache  # the tree is read once for the four tests
def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Each module's imports of other ``inspector`` modules, and of anything (top-level names)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    externals: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from inspector.cli import check`` imports the module inspector.cli.check
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for name in names:
                externals[module].add(name.split(".")[0])
                while name and name not in files:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    edges[module].add(name)
    return edges, externals


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    edges, _ = _graph()
    # The walk sees the imports it must: a test that reads nothing would pass on any tree.
    assert len(edges) > 80
    assert "inspector.cli._service" in edges["inspector.cli.upload"]
    assert "inspector.cli._service" in edges["inspector.cli.check"]  # imported inside a function
    assert "inspector.settings" in edges["inspector.cli.check"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_only_the_command_line_imports_argparse() -> None:
    _, externals = _graph()
    users = sorted(m for m, names in externals.items() if "argparse" in names)
    assert users and all(m == "inspector.cli" or m.startswith("inspector.cli.") for m in users), users


def test_no_arrow_up_from_certificates_to_records() -> None:
    # Records hold certificates; certificates know nothing of records (issue 19: certs.py and
    # records/ imported each other). The days arithmetic both use lives in inspector.dates.
    edges, _ = _graph()
    assert "inspector.certs" in edges["inspector.records.android"]
    assert not any(m.startswith("inspector.records") for m in edges["inspector.certs"])


def test_the_format_module_sits_below_the_records() -> None:
    # One Format enum for every layer (issue 19): records, detection, the parsers, checks, reports
    # and the upload request name formats through it, so it may import nothing of inspector's.
    edges, _ = _graph()
    assert edges["inspector.format"] == set()
    users = {m for m, imported in edges.items() if "inspector.format" in imported}
    assert {"inspector.records.android", "inspector.records.apple", "inspector.records.pkg",
            "inspector.detect", "inspector.formats", "inspector.checks._rule",
            "inspector.report", "inspector.upload.request", "inspector.summary"} <= users
