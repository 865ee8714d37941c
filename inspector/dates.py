"""Days to an expiry, the one definition shared by certificates, profiles and records."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["days_left", "expired"]


def days_left(moment: datetime, now: datetime) -> int:
    """Whole days from ``now`` until ``moment``, counted toward zero: the one definition.

    Positive while ``moment`` is ahead, negative once it has passed: 511.6 days ago is ``-511``,
    which the text report prints as "EXPIRED 511 days ago". Less than a day either way is 0;
    whether it has passed is ``now >= moment`` (see :func:`expired`).
    """
    delta = moment - now
    whole = abs(delta).days
    return whole if delta >= timedelta(0) else -whole


def expired(moment: datetime, now: datetime) -> bool:
    """Whether ``moment`` (a not-after or expiration date) has been reached at ``now``."""
    return now >= moment
