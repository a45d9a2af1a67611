"""Semantic versioning for the contract's consumers: what a set of changes asks of the version.

- major: some change breaks clients (a client written against the old version may fail);
- minor: no client breaks, but servers must change (new operations, fields, statuses), or
  something is added (an optional response field);
- patch: neither side must change (prose, examples, clarifications).
"""

from __future__ import annotations

import re
from typing import Iterable

from .changes import Change, Effect

__all__ = ["BUMPS", "parse", "actual_bump", "required_bump", "bump_allows", "next_version"]

BUMPS = ("none", "patch", "minor", "major")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def parse(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(str(version))
    if not match:
        raise ValueError(f"info.version {version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    return int(match[1]), int(match[2]), int(match[3])


def actual_bump(old: str, new: str) -> str:
    """The step from old to new: none, patch, minor, major, or 'downgrade'."""
    before, after = parse(old), parse(new)
    if after == before:
        return "none"
    if after < before:
        return "downgrade"
    if after[0] != before[0]:
        return "major"
    return "minor" if after[1] != before[1] else "patch"


def required_bump(changes: Iterable[Change]) -> str:
    need = "none"
    for change in changes:
        if change.breaks_clients:
            level = "major"
        elif change.breaks_servers or change.effect is Effect.NEW_FIELD:
            level = "minor"
        else:
            level = "patch"
        if BUMPS.index(level) > BUMPS.index(need):
            need = level
    return need


def bump_allows(actual: str, required: str) -> bool:
    """Whether a version step covers what the changes need."""
    return actual != "downgrade" and BUMPS.index(actual) >= BUMPS.index(required)


def next_version(version: str, step: str) -> str:
    """The version one `step` after `version` (`none`: the same)."""
    major, minor, patch = parse(version)
    if step == "major":
        return f"{major + 1}.0.0"
    if step == "minor":
        return f"{major}.{minor + 1}.0"
    if step == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version
