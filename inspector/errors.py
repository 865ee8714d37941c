"""The one exception root of inspector, and the errors the CLI turns into exit codes."""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "InspectorError",
    "InternalError",
    "InvalidField",
    "OutputError",
    "UnknownFormatError",
    "UnsupportedFormatError",
    "UsageError",
]


class InspectorError(Exception):
    """Root of every error inspector raises on purpose; the CLI catches only this."""


class UsageError(InspectorError):
    """The caller asked for something that cannot be done (bad option, bad value)."""


class InvalidField(UsageError):
    """A value a library object cannot hold. ``field`` names it as the library or the service
    spells it (``notifyLanguage``, ``upload_url``), never as a flag: the command line maps fields
    to its flags. ``message`` says what was expected (as packaging's ``InvalidMetadata``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ArtifactError(InspectorError):
    """An artifact cannot be read: it names the file, the member inside it, and the problem.

    Byte-level readers under ``inspector.containers`` often do not know the file's path; they
    raise with ``path=None`` and the layer that opened the file fills it in with :meth:`at`.
    """

    def __init__(self, problem: str, *, path: str | None = None, member: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path
        self.member = member

    def at(self, path: object) -> ArtifactError:
        """Return this error with ``path`` filled in (unless it already names a file)."""
        if self.path is None:
            self.path = str(path)
        return self

    def in_member(self, member: str) -> ArtifactError:
        """Return this error with ``member`` filled in (unless it already names one)."""
        if self.member is None:
            self.member = member
        return self

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.member) if p]
        return ": ".join([*parts, self.problem])


class UnknownFormatError(ArtifactError):
    """The file is none of the formats inspector knows (APK, AAB, IPA, PKG, provisioning profile)."""


class UnsupportedFormatError(ArtifactError):
    """The format was recognised but inspector cannot read it (yet)."""


class OutputError(InspectorError):
    """A result could not be written (a full disk, a read-only or vanished target)."""


class InternalError(ArtifactError):
    """A bug met while reading one file: the CLI makes it that file's result and goes on."""
