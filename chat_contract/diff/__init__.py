"""`chat-contract diff`: what changed between two versions of the contract, for whom.

Layers: `schemas.py` compares JSON Schemas, `operations.py` walks operations (parameters,
bodies, media types, responses, headers, security, SSE events), `changes.py` turns each
change's effect into a verdict for clients and for servers, `versions.py` says which semantic
version step the changes need, `render.py` writes them, `cli.py` is the command.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat_contract.consumer_profile import ConsumerProfile

from .changes import Change, Effect, Position
from .consumer import breaks_consumer
from .operations import Document, compare_operations
from .versions import actual_bump, bump_allows, required_bump

__all__ = ["Change", "DiffResult", "Effect", "Position", "compare"]


@dataclass(frozen=True)
class DiffResult:
    old: dict  # {"title", "version", "sha256", "source"}
    new: dict
    changes: list[Change]
    consumer: ConsumerProfile | None = None  # judged for this consumer too, when given

    @property
    def breaking_for_consumer(self) -> list[Change]:
        if self.consumer is None:
            return []
        return [c for c in self.changes if breaks_consumer(c, self.consumer)]

    @property
    def breaking_for_clients(self) -> list[Change]:
        return [c for c in self.changes if c.breaks_clients]

    @property
    def breaking_for_servers(self) -> list[Change]:
        return [c for c in self.changes if c.breaks_servers]

    @property
    def required_bump(self) -> str:
        return required_bump(self.changes)

    @property
    def actual_bump(self) -> str:
        return actual_bump(self.old["version"], self.new["version"])

    @property
    def allowed(self) -> bool:
        """No change breaks clients, or the version takes a major step."""
        return not self.breaking_for_clients or self.actual_bump == "major"

    @property
    def version_agrees(self) -> bool:
        """The version step is exactly what the changes need (the release rule)."""
        if self.required_bump == "none":
            return self.actual_bump == "none"
        return self.actual_bump == self.required_bump

    @property
    def version_covers(self) -> bool:
        return bump_allows(self.actual_bump, self.required_bump)

    def as_dict(self) -> dict:
        changes = [c.as_dict() for c in self.changes]
        if self.consumer is not None:
            for data, change in zip(changes, self.changes):
                data["consumer"] = "breaking" if breaks_consumer(change, self.consumer) else "compatible"
        return {
            "old": self.old,
            "new": self.new,
            "version_step": self.actual_bump,
            "required_step": self.required_bump,
            "allowed": self.allowed,
            "summary": {
                "changes": len(self.changes),
                "breaking_for_clients": len(self.breaking_for_clients),
                "breaking_for_servers": len(self.breaking_for_servers),
            },
            "consumer": None if self.consumer is None else {
                "name": self.consumer.consumer, "operations": sorted(self.consumer.operations),
                "breaking": len(self.breaking_for_consumer)},
            "changes": changes,
        }


def compare(old: dict, new: dict, old_identity: dict | None = None, new_identity: dict | None = None,
            consumer: ConsumerProfile | None = None) -> DiffResult:
    """Compare two parsed OpenAPI documents."""
    def identity(doc: dict, given: dict | None) -> dict:
        info = doc.get("info") or {}
        return given or {"title": str(info.get("title", "")), "version": str(info.get("version", "")),
                         "sha256": "", "source": ""}

    changes = compare_operations(Document(old), Document(new))
    return DiffResult(identity(old, old_identity), identity(new, new_identity), changes, consumer)
