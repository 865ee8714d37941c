"""Frozen, typed records of what an artifact holds: one module per family of formats.

``Record`` (the union of every record :func:`inspector.inspect` returns) and ``Certificate`` are
loaded on first use: the union imports every record module, and an APK run reads no Apple record.
Public hints name them as ``inspector.records.Record``, so that ``typing.get_type_hints`` resolves
them when asked, not when the module holding the hint loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from inspector.records.base import FileInfo

if TYPE_CHECKING:
    from inspector.certs import Certificate as Certificate
    from inspector.records.android import AndroidApp
    from inspector.records.apple import IpaApp, ProvisioningProfile
    from inspector.records.pkg import Pkg

    #: Every record :func:`inspector.inspect` returns.
    Record: TypeAlias = AndroidApp | IpaApp | ProvisioningProfile | Pkg

__all__ = ["Certificate", "FileInfo", "Record"]


def __getattr__(name: str) -> Any:
    if name == "Record":
        from inspector.records.android import AndroidApp
        from inspector.records.apple import IpaApp, ProvisioningProfile
        from inspector.records.pkg import Pkg

        value: Any = AndroidApp | IpaApp | ProvisioningProfile | Pkg
    elif name == "Certificate":
        from inspector.certs import Certificate

        value = Certificate
    else:
        raise AttributeError(f"module 'inspector.records' has no attribute {name!r}")
    globals()[name] = value
    return value
