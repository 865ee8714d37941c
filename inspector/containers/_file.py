"""An artifact file held open for reads at offsets: what the zip and xar readers share."""

from __future__ import annotations

import os
from types import TracebackType
from typing import BinaryIO, Self

from inspector.errors import ArtifactError

__all__ = ["ArtifactFile"]


class ArtifactFile:
    """The open file, its path and the warnings met while reading; use as a context manager.

    An OSError on opening is an ArtifactError naming the file. Subclasses parse in their
    ``__init__`` after calling this one, and close the file themselves if that parse fails.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.warnings: list[str] = []
        try:
            self._fh: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise ArtifactError(f"cannot open ({exc.strerror or exc})", path=self.path) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def read_raw(self, offset: int, size: int) -> bytes:
        """``size`` bytes of the file itself at ``offset`` (fewer at its end)."""
        if offset < 0 or size < 0:
            raise ArtifactError(f"bad offset {offset} or size {size}", path=self.path)
        self._fh.seek(offset)
        return self._fh.read(size)
