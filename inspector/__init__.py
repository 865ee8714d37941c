"""inspector: look inside APK, AAB, IPA and PKG builds before they are uploaded."""

from inspector.api import extract_icon, inspect
from inspector.errors import (
    ArtifactError,
    InspectorError,
    UnknownFormatError,
    UnsupportedFormatError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "InspectorError",
    "UnknownFormatError",
    "UnsupportedFormatError",
    "UsageError",
    "__version__",
    "extract_icon",
    "inspect",
]
