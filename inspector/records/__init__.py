"""Frozen, typed records of what an artifact holds: one module per family of formats."""

from inspector.records.base import FileInfo

__all__ = ["FileInfo"]
