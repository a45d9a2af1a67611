"""A change between two contracts, and what it means for clients and for servers.

The schema and operation walkers say what a change does to the set of valid messages (an
*effect*); where the message travels (request or response) turns that into two verdicts:
- for clients: may a client written against OLD fail against a server that follows NEW?
- for servers: must a server that conforms to OLD change to conform to NEW?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["Change", "Effect", "Position", "verdicts"]


class Position(str, Enum):
    REQUEST = "request"
    RESPONSE = "response"
    OPERATION = "operation"


class Effect(str, Enum):
    WIDER = "wider"  # NEW accepts every message OLD accepted, and more
    NARROWER = "narrower"  # NEW rejects some messages OLD accepted
    CHANGED = "changed"  # both: some messages gained, some lost
    NEW_FIELD = "new-field"  # an optional field OLD did not describe
    NEW_REQUIRED_FIELD = "new-required-field"  # a required field OLD did not describe
    REMOVED_FIELD = "removed-field"  # a field OLD described is gone
    REMOVED_FIELD_CLOSED = "removed-field-closed"  # gone, and undeclared fields are refused
    BEHAVIOUR = "behaviour"  # what the server does with the same message (a default)
    DOCS = "docs"  # prose, examples: no message changes


# For each effect: (breaks clients, breaks servers) when the message is a request, then
# when it is a response.
_TABLE = {
    Effect.WIDER: ((False, True), (True, False)),
    Effect.NARROWER: ((True, False), (False, True)),
    Effect.CHANGED: ((True, True), (True, True)),
    Effect.NEW_FIELD: ((False, True), (False, False)),
    # a request: clients must send it, servers accept and honour it; a response: servers send it
    Effect.NEW_REQUIRED_FIELD: ((True, True), (False, True)),
    Effect.REMOVED_FIELD: ((True, False), (True, False)),
    # a response: a server that still sends it sends a field the schema now refuses
    Effect.REMOVED_FIELD_CLOSED: ((True, False), (True, True)),
    # a default: what the server does with the same request
    Effect.BEHAVIOUR: ((True, True), (False, False)),
    Effect.DOCS: ((False, False), (False, False)),
}
# Operations themselves: a removed one breaks its clients, a new one is work for servers.
_VERDICTS = {
    Position.REQUEST: {effect: pair[0] for effect, pair in _TABLE.items()},
    Position.RESPONSE: {effect: pair[1] for effect, pair in _TABLE.items()},
    Position.OPERATION: {effect: pair[0] for effect, pair in _TABLE.items()},
}


def verdicts(position: Position, effect: Effect) -> tuple[bool, bool]:
    """(breaks clients, breaks servers) of an effect at a position."""
    return _VERDICTS[position][effect]


@dataclass(frozen=True)
class Change:
    """One change, at one place of one operation."""

    kind: str  # a stable name, e.g. "enum-value-added"
    operation: str  # operationId, or "METHOD /path" when it has none
    where: str  # "request body", "response 200 body", "query parameter limit", ...
    path: tuple[str, ...]  # the field inside the message: ("message", "role"); "[]" = items
    effect: Effect
    position: Position
    message: str
    origin: str = ""  # the component that changed, e.g. "#/components/schemas/Message/role"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def breaks_clients(self) -> bool:
        return verdicts(self.position, self.effect)[0]

    @property
    def breaks_servers(self) -> bool:
        return verdicts(self.position, self.effect)[1]

    @property
    def field(self) -> str:
        """The field as a reader writes it: `items[].role`, `metadata{}`, `<ReplyDeltaEvent>.data`."""
        text = ""
        for segment in self.path:
            if segment in ("[]", "{}"):
                text += segment
            elif segment.startswith("|"):
                text += ("." if text else "") + f"<{segment[1:]}>"
            else:
                text += ("." if text else "") + segment
        return text

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "operation": self.operation,
            "where": self.where,
            "field": self.field,
            "origin": self.origin,
            "message": self.message,
            "effect": self.effect.value,
            "clients": "breaking" if self.breaks_clients else "compatible",
            "servers": "breaking" if self.breaks_servers else "compatible",
        }
