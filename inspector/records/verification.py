"""Whether a signature verified, and when it did not, what failed and where: one shape for every
format, so the gate, the reports and the summary read verification alike."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Failure", "Verification", "not_checked"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing that did not verify.

    ``scheme`` names what was being verified, in the format's own terms (``v1``, ``v2``, ``v3``,
    ``v3.1``, ``jar``, ``code-signature``, ``resource-seal``, ``entitlements``, ``profile``,
    ``xar``...). The optional fields say where: the signer (its name or 1-based number as the
    report shows it), the archive member, the slot (a digest algorithm, a special slot, a seal),
    the page (a code page or a 1 MiB chunk, counted from 0).
    """

    scheme: str
    message: str
    signer: str | None = None
    member: str | None = None
    slot: str | None = None
    page: int | None = None

    def describe(self) -> str:
        """``v2 signer 1: res/x.png: digest mismatch``: the failure as one line of a report."""
        where = [self.scheme]
        if self.signer is not None:
            where.append(f"signer {self.signer}")
        parts = [" ".join(where)]
        if self.member is not None:
            parts.append(self.member)
        if self.slot is not None:
            parts.append(f"slot {self.slot}")
        if self.page is not None:
            parts.append(f"page {self.page}")
        return ": ".join([*parts, self.message])


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict of one verification (a signer, a scheme, a bundle, a whole artifact).

    ``verified`` is True when everything checked verified, False when something failed
    (``failures`` lists each, never empty then), None when nothing was checked: ``reason`` says
    why (verification turned off, nothing signed, a format inspector does not verify).
    """

    verified: bool | None
    failures: tuple[Failure, ...] = ()
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.verified is False and not self.failures:
            raise ValueError("a failed verification names at least one failure")
        if self.verified is not False and self.failures:
            raise ValueError("failures belong to a failed verification")

    @staticmethod
    def of(failures: tuple[Failure, ...] | list[Failure]) -> Verification:
        """Verified when ``failures`` is empty, failed with them otherwise."""
        return Verification(not failures, tuple(failures))


def not_checked(reason: str) -> Verification:
    """A verification that did not run, and why."""
    return Verification(None, reason=reason)
