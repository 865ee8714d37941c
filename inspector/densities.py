"""Android's screen densities: the qualifier names of ``ResTable_config``'s density values
(``ResourceTypes.h``), for the resource table readers (ARSC and aapt2's protocol buffers) and the
records that rank an icon's files."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DENSITY_DPI", "density_qualifier"]

#: qualifier -> density value; ``nodpi`` and ``anydpi`` are markers, not dots per inch.
DENSITY_DPI: Mapping[str, int] = MappingProxyType({
    "ldpi": 120, "mdpi": 160, "tvdpi": 213, "hdpi": 240, "xhdpi": 320, "xxhdpi": 480,
    "xxxhdpi": 640, "anydpi": 0xFFFE, "nodpi": 0xFFFF,
})
_QUALIFIERS = {dpi: name for name, dpi in DENSITY_DPI.items()}


def density_qualifier(value: int) -> str:
    """The qualifier of a density value: its name, else ``<value>dpi`` as aapt2 prints it."""
    return _QUALIFIERS.get(value, f"{value}dpi")
