"""The type hints of the public API are part of it: ``typing.get_type_hints`` (what pydantic, cattrs,
dataclass tooling and IDEs call) must resolve every name a public hint uses, straight after
``import inspector``, without the lazy imports having been triggered by anything else."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

# Run in a fresh interpreter: in the test process other tests have loaded modules, which could
# make a hint resolve by accident (``inspector.certs`` exists as an attribute only once loaded).
_SCRIPT = r"""
import dataclasses, importlib, inspect, json, pkgutil, sys, typing

import inspector
import inspector.records
import inspector.upload

checked, failed = [], []

def hints(what, obj):
    try:
        typing.get_type_hints(obj)
    except Exception as exc:  # what a caller would see
        failed.append(f"{what}: {type(exc).__name__}: {exc}")
    else:
        checked.append(what)

def members(what, cls):
    hints(what, cls)
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        target = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if inspect.isfunction(target):
            hints(f"{what}.{name}", target)

for package in (inspector, inspector.upload):
    for name in package.__all__:
        value = getattr(package, name)
        what = f"{package.__name__}.{name}"
        if inspect.isclass(value):
            members(what, value)
        elif inspect.isfunction(value):
            hints(what, value)

# Every record class, nested ones included (a record's field is typed by another record).
records = 0
for info in pkgutil.iter_modules(inspector.records.__path__):
    module = importlib.import_module(f"inspector.records.{info.name}")
    for name, value in vars(module).items():
        if inspect.isclass(value) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
            records += 1
            members(f"{module.__name__}.{name}", value)

print(json.dumps({"checked": checked, "failed": failed, "records": records}))
"""


def test_every_public_hint_resolves_at_run_time() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    result = json.loads(out.stdout)
    assert result["failed"] == []
    checked = set(result["checked"])
    # The entry points named by the issue, and enough of the rest that the walk is known to run.
    for name in ("inspector.inspect", "inspector.extract_icon", "inspector.summarize",
                 "inspector.Summary", "inspector.AndroidApp", "inspector.IpaApp", "inspector.Pkg",
                 "inspector.ProvisioningProfile", "inspector.upload.prepare",
                 "inspector.upload.upload", "inspector.upload.build_request",
                 "inspector.upload.UploadRequest"):
        assert name in checked
    assert result["records"] >= 30
    assert len(checked) >= 120


def test_resolving_the_hints_is_what_loads_the_records() -> None:
    # ``inspector.Record`` is resolved on demand: importing the package loads no record module.
    code = ("import sys, inspector\n"
            "print(sorted(m for m in sys.modules if m.startswith('inspector.records.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    loaded = json.loads(out.stdout.replace("'", '"'))
    assert "inspector.records.android" not in loaded and "inspector.records.apple" not in loaded
