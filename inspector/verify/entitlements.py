"""The entitlements an executable is signed with, against what its provisioning profile allows.

A device refuses to install an app whose signed entitlements its embedded profile does not grant.
The profile's values may end in ``*`` (``TEAMID.*``, ``TEAMID.com.acme.*``), and a profile granting
``*`` for associated domains grants any domain. What is compared, key by key:

- ``application-identifier`` (``com.apple.application-identifier`` on macOS) and
  ``com.apple.developer.team-identifier``: the signed value must be covered by the profile's;
- ``keychain-access-groups``, ``com.apple.security.application-groups``,
  ``com.apple.developer.associated-domains``: every signed value must be covered by one of the
  profile's;
- ``aps-environment``: the profile must grant push with the same environment;
- ``get-task-allow``: signed true needs the profile's true (a development profile).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from inspector.records.verification import Failure

__all__ = ["SCHEME", "disallowed"]

SCHEME = "entitlements"

_SINGLE = ("application-identifier", "com.apple.application-identifier",
           "com.apple.developer.team-identifier")
_LISTS = ("keychain-access-groups", "com.apple.security.application-groups",
          "com.apple.developer.associated-domains")


def disallowed(signed: Mapping[str, Any], profile: Mapping[str, Any],
               member: str | None = None) -> list[Failure]:
    """One Failure per signed entitlement the profile does not allow, each naming the key."""
    failures = []

    def fail(key: str, message: str) -> None:
        failures.append(Failure(SCHEME, message, member=member, slot=key))

    for key in _SINGLE:
        value = signed.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not _covered(value, profile.get(key)):
            fail(key, f"{key} {_show(value)} is not allowed by the profile's "
                      f"{_show(profile.get(key))}")
    for key in _LISTS:
        value = signed.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        refused = [v for v in values if not isinstance(v, str) or not _covered(v, profile.get(key))]
        if refused:
            fail(key, f"{key} {', '.join(_show(v) for v in refused)} not allowed by the profile's "
                      f"{_show(profile.get(key))}")
    aps = signed.get("aps-environment")
    if aps is not None and aps != profile.get("aps-environment"):
        fail("aps-environment", f"aps-environment {_show(aps)} is not allowed by the profile's "
                                f"{_show(profile.get('aps-environment'))}")
    if signed.get("get-task-allow") is True and profile.get("get-task-allow") is not True:
        fail("get-task-allow", "get-task-allow true (a debuggable build) is not allowed by the "
                               "profile (not a development profile)")
    return failures


def _covered(value: str, allowed: Any) -> bool:
    patterns = allowed if isinstance(allowed, list | tuple) else [allowed]
    return any(isinstance(p, str) and _match(p, value) for p in patterns)


def _match(pattern: str, value: str) -> bool:
    if "*" not in pattern:
        return pattern == value
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value) is not None


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value) if not isinstance(value, str) else value
