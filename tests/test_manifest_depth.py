"""Manifest depth (components, launchers, deep links, application settings, queries, libraries,
screens), against aapt2's recorded ``dump badging`` and ``dump xmltree`` of every APK fixture and
corpus APK that aapt2 reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

import inspector
from inspector.formats._manifest import qualified
from tests.conftest import FIXTURES
from tests.test_apk import APK_REFERENCE, READABLE, _apk_for
from tests.tool_outputs import parse_badging, read_recorded

COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


_ELEMENT = re.compile(r"^(\s*)E: (\S+)")
_ATTR = re.compile(r'^(\s*)A: (?:http://schemas\.android\.com/apk/res/android:)?([\w-]+)'
                   r'(?:\(0x[0-9a-f]+\))?=(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def parse_xmltree(text: str) -> Node:
    """aapt2's xmltree dump as a tree (indentation is nesting); attribute values as printed."""
    root = Node("#document")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for line in text.split("\n"):
        if m := _ELEMENT.match(line):
            depth = len(m.group(1))
            while stack[-1][0] >= depth:
                stack.pop()
            node = Node(m.group(2))
            stack[-1][1].children.append(node)
            stack.append((depth, node))
        elif (m := _ATTR.match(line)) and len(stack) > 1:
            stack[-1][1].attrs[m.group(2)] = m.group(3) if m.group(3) is not None else m.group(4)
    return root.children[0] if root.children else root


def _xml_tree(name: str) -> Node:
    return parse_xmltree(read_recorded(APK_REFERENCE / f"{name}.xmltree.txt").body)


@pytest.mark.parametrize("name", READABLE)
def test_launchers_libraries_install_location_match_badging(name: str) -> None:
    record = inspector.inspect(_apk_for(name), digest=False)
    b = parse_badging(read_recorded(APK_REFERENCE / f"{name}.badging.txt").body)
    assert record.launcher_activity == b.launchable_activity
    assert record.leanback_launcher_activity == b.leanback_launchable_activity
    assert {lib.name: lib.required for lib in record.uses_libraries} == b.libraries
    assert record.install_location == b.install_location


@pytest.mark.parametrize("name", READABLE)
def test_components_match_xmltree(name: str) -> None:
    record = inspector.inspect(_apk_for(name), digest=False)
    manifest = _xml_tree(name)
    app = next((c for c in manifest.children if c.tag == "application"), Node("application"))
    expected = [
        (c.tag, qualified(record.package_name, c.attrs.get("name")),
         {"true": True, "false": False}.get(c.attrs.get("exported", "")))
        for c in app.children if c.tag in COMPONENT_TAGS
    ]
    got = [(c.kind, c.name, c.exported) for c in record.components]
    assert got == expected


COMPONENTS = FIXTURES / "apk" / "components.apk"


@pytest.fixture(scope="module")
def components() -> inspector.AndroidApp:
    return inspector.inspect(COMPONENTS, digest=False)


def test_deep_links_follow_the_intent_filters(components) -> None:
    manifest = _xml_tree("components")
    app = next(c for c in manifest.children if c.tag == "application")
    expected = set()
    for activity in app.children:
        for f in (x for x in activity.children if x.tag == "intent-filter"):
            actions = {a.attrs["name"] for a in f.children if a.tag == "action"}
            categories = {a.attrs["name"] for a in f.children if a.tag == "category"}
            if "android.intent.action.VIEW" not in actions or (
                    "android.intent.category.BROWSABLE" not in categories):
                continue
            data = [d.attrs for d in f.children if d.tag == "data"]
            paths = [d.get("path") or (d.get("pathPrefix") and d["pathPrefix"] + "*")
                     for d in data if d.get("path") or d.get("pathPrefix")] or [None]
            for scheme in {d["scheme"] for d in data if "scheme" in d}:
                for host in {d.get("host") for d in data if d.get("host")} or {None}:
                    for path in paths:
                        expected.add((qualified(components.package_name, activity.attrs["name"]),
                                      scheme, host, path, f.attrs.get("autoVerify") == "true"))
    got = {(d.component, d.scheme, d.host, d.path, d.auto_verify) for d in components.deep_links}
    assert got == expected and len(got) == 3
    verified = [d for d in components.deep_links if d.app_link]
    assert [d.url for d in verified] == ["https://app.example.com/open*"]


def test_application_settings_match_xmltree(components) -> None:
    app = next(c for c in _xml_tree("components").children if c.tag == "application")
    assert components.allow_backup is (app.attrs["allowBackup"] == "true")
    assert components.uses_cleartext_traffic is (app.attrs["usesCleartextTraffic"] == "true")
    # The reference resolved through the table aapt2 dumps: res/xml/network_security_config.xml
    resources = read_recorded(APK_REFERENCE / "components.resources.txt").body
    assert components.network_security_config in resources
    assert components.network_security_config.startswith("res/xml/")


def test_queries_supports_screens_and_alias(components) -> None:
    manifest = _xml_tree("components")
    queries = next(c for c in manifest.children if c.tag == "queries")
    assert list(components.queries.packages) == [
        c.attrs["name"] for c in queries.children if c.tag == "package"]
    assert list(components.queries.providers) == [
        c.attrs["authorities"] for c in queries.children if c.tag == "provider"]
    (intent,) = components.queries.intents
    assert intent.actions == ("android.intent.action.SEND",)
    assert intent.data[0].mime_type == "image/*"
    screens = next(c for c in manifest.children if c.tag == "supports-screens")
    assert components.supports_screens == {k: v == "true" for k, v in screens.attrs.items()}
    alias = next(c for c in components.components if c.kind == "activity-alias")
    assert alias.target_activity == components.launcher_activity
    provider = next(c for c in components.components if c.kind == "provider")
    assert len(provider.authorities) == 2
    service = next(c for c in components.components if c.kind == "service")
    assert service.permission == "android.permission.BIND_JOB_SERVICE"


def test_summary_form_factor_from_leanback(components) -> None:
    assert inspector.summarize(components).form_factors == ("phone/tablet", "tv")


@pytest.mark.parametrize(("package", "name", "expected"), [
    ("com.a", ".Main", "com.a.Main"), ("com.a", "Main", "com.a.Main"),
    ("com.a", "org.b.Main", "org.b.Main"), (None, ".Main", ".Main"), ("com.a", None, None),
])
def test_qualified(package, name, expected) -> None:
    assert qualified(package, name) == expected


def test_text_report_shows_the_depth() -> None:
    from inspector.report import render_text

    text = render_text(inspector.inspect(COMPONENTS, digest=False), None)
    rows = {line.split("  ")[1].strip(): line.split("  ", 2)[-1].strip()
            for line in text.splitlines() if line.startswith("  ") and not line.startswith("   ")}
    assert rows["Launcher"] == "com.applivery.inspector.components.MainActivity"
    assert rows["Components"] == ("4 activities, 1 activity-alias, 1 service, 1 receiver, "
                                  "1 provider (5 exported)")
    assert rows["Install location"] == "preferExternal"
    assert "https://app.example.com/open*  (verified app link)" in text
