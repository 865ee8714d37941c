"""inspector: look inside APK, AAB, IPA and PKG builds before they are uploaded.

``import inspector`` stays light: the record classes, the summary and the JSON writer are loaded
on first use, so a caller that only needs the errors pays nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspector._lazy import lazy_getattr
from inspector.api import extract_icon, inspect
from inspector.errors import (
    ArtifactError,
    InspectorError,
    InvalidField,
    UnknownFormatError,
    UnsupportedFormatError,
    UsageError,
)
from inspector.format import Format

if TYPE_CHECKING:
    from inspector.checks import CheckResult, Expectations, Finding, UploadedBuild
    from inspector.gate import check
    from inspector.records.android import AndroidApp
    from inspector.records.apple import IpaApp, ProvisioningProfile
    from inspector.records.pkg import Pkg
    from inspector.report import to_json
    from inspector.summary import Expiry, Record, Summary, summarize

__version__ = "0.1.0"

__all__ = [
    "AndroidApp",
    "ArtifactError",
    "CheckResult",
    "Expectations",
    "Expiry",
    "Finding",
    "Format",
    "InspectorError",
    "InvalidField",
    "IpaApp",
    "Pkg",
    "ProvisioningProfile",
    "Record",
    "Summary",
    "UnknownFormatError",
    "UnsupportedFormatError",
    "UploadedBuild",
    "UsageError",
    "__version__",
    "check",
    "extract_icon",
    "inspect",
    "summarize",
    "to_json",
]

_LAZY = {
    "check": "inspector.gate",
    "CheckResult": "inspector.checks",
    "Expectations": "inspector.checks",
    "Finding": "inspector.checks",
    "UploadedBuild": "inspector.checks",
    "AndroidApp": "inspector.records.android",
    "IpaApp": "inspector.records.apple",
    "ProvisioningProfile": "inspector.records.apple",
    "Pkg": "inspector.records.pkg",
    "Expiry": "inspector.summary",
    "Record": "inspector.summary",
    "Summary": "inspector.summary",
    "summarize": "inspector.summary",
    "to_json": "inspector.report",
}

__getattr__ = lazy_getattr("inspector", _LAZY, globals())
