"""A consumer profile: what one frontend really used of the contract, recorded by
`chat-contract serve` or `chat-contract proxy` (`--consumer-profiles DIR`).

Per operation (by operationId): the parameters it sent (`query limit`, `path conversation_id`),
the request body fields it sent (`metadata.team`, `items[].id`), the statuses it saw, the
response fields it received per status (a field never received cannot have been read), and, for
event streams, the events it consumed with the fields of their `data`. Field paths are written
as the diff writes them: `.` between names, `[]` for an array's items.

The file is YAML; a team may prune it by hand (a field the frontend receives but never reads).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConsumerProfile", "OperationUse", "field_paths", "profile_name"]

MAX_DEPTH = 10
MAX_FIELDS = 500  # per operation and kind: a hostile body cannot grow a profile without bound
MAX_ITEMS = 20  # array items looked at


@dataclass
class OperationUse:
    parameters: set[str] = field(default_factory=set)
    request_fields: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    response_fields: dict[str, set[str]] = field(default_factory=dict)
    events: dict[str, set[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameters": sorted(self.parameters),
            "request_fields": sorted(self.request_fields),
            "statuses": sorted(self.statuses),
            "response_fields": {s: sorted(f) for s, f in sorted(self.response_fields.items())},
            "events": {e: sorted(f) for e, f in sorted(self.events.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "OperationUse":
        return cls(
            parameters=set(data.get("parameters") or ()),
            request_fields=set(data.get("request_fields") or ()),
            statuses={str(s) for s in data.get("statuses") or ()},
            response_fields={str(s): set(f or ()) for s, f in (data.get("response_fields") or {}).items()},
            events={str(e): set(f or ()) for e, f in (data.get("events") or {}).items()},
        )


@dataclass
class ConsumerProfile:
    consumer: str
    identified_by: str  # "header X-Consumer", "session", "origin" or "none"
    contract: dict[str, str] = field(default_factory=dict)
    operations: dict[str, OperationUse] = field(default_factory=dict)

    def use(self, operation: str) -> OperationUse:
        return self.operations.setdefault(operation, OperationUse())

    def as_dict(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "identified_by": self.identified_by,
            "contract": dict(self.contract),
            "operations": {op: use.as_dict() for op, use in sorted(self.operations.items())},
        }

    def save(self, path: Path) -> None:
        """Written whole to a temporary file and renamed, so a reader never sees half of it."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(yaml.safe_dump(self.as_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "ConsumerProfile":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"consumer profile {path}: {exc}") from exc
        if not isinstance(data, dict) or "operations" not in data:
            raise ValueError(f"consumer profile {path}: not a profile (no `operations`)")
        return cls(
            consumer=str(data.get("consumer", "")),
            identified_by=str(data.get("identified_by", "")),
            contract=dict(data.get("contract") or {}),
            operations={str(op): OperationUse.from_dict(use or {}) for op, use in data["operations"].items()},
        )


def field_paths(value: Any, out: set[str], prefix: str = "", depth: int = 0) -> None:
    """Every field path in a JSON value, bounded in depth, items and count."""
    if depth > MAX_DEPTH or len(out) >= MAX_FIELDS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if len(out) >= MAX_FIELDS:
                return
            path = f"{prefix}.{key}" if prefix else str(key)
            out.add(path[:300])
            field_paths(item, out, path, depth + 1)
    elif isinstance(value, list):
        path = f"{prefix}[]"
        if prefix:
            out.add(path)
        for item in value[:MAX_ITEMS]:
            field_paths(item, out, path, depth + 1)


def profile_name(consumer: str) -> str:
    """A file name for a consumer: letters, digits, `.`, `_`, `-`; at most 64 characters."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", consumer).strip("._") or "consumer"
    return name[:64]
