"""The registry of hand-written checks and the context they share."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..cleanup import PREFIX
from ..client import Client, Response
from ..errors import RequirementFailure, Unsupported
from ..profiles import Profile

__all__ = ["Context", "REGISTRY", "SUPPORT_PROBES", "requirement", "support_probe", "expect_status",
           "UNSUPPORTED_STATUSES"]

CheckFunction = Callable[["Context"], None]
REGISTRY: dict[str, CheckFunction] = {}
SUPPORT_PROBES: dict[str, Callable[["Context"], Response]] = {}
# What a deployment that does not implement an optional operation answers.
UNSUPPORTED_STATUSES = frozenset({404, 405, 501})


def requirement(requirement_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check as the judge of one requirement."""

    def decorate(func: CheckFunction) -> CheckFunction:
        if requirement_id in REGISTRY:
            raise RuntimeError(f"two checks claim {requirement_id}")
        REGISTRY[requirement_id] = func
        return func

    return decorate


def support_probe(area: str) -> Callable[[Callable[["Context"], Response]], Callable[["Context"], Response]]:
    """Register the call whose 404/405/501 marks an optional area unsupported."""

    def decorate(func: Callable[["Context"], Response]) -> Callable[["Context"], Response]:
        SUPPORT_PROBES[area] = func
        return func

    return decorate


@dataclass(kw_only=True)
class Context:
    """What every check needs: two signed-in users and the run's profile."""

    user1: Client
    user2: Client
    anonymous: Client
    username: str | None
    password: str | None
    profile: Profile
    spec: dict[str, Any]
    seed: int = 0  # the run's seed: the model layer's sequences follow it
    # Operations of optional areas that are unsupported or not selected.
    excluded_operations: frozenset[str] = frozenset()
    # Operations of optional areas the deployment does not offer (whether selected or not).
    unsupported_operations: frozenset[str] = frozenset()
    # Part of every title and name the checks choose: the PREFIX makes leftovers recognisable.
    unique: str = field(default_factory=lambda: f"{PREFIX}-{uuid.uuid4().hex[:8]}")
    # Every id a creation returned in this run: a server that hands out the same id twice (a
    # static mock, a broken generator) would otherwise pass checks that compare ids.
    created_ids: dict[str, str] = field(default_factory=dict)

    def fresh(self, kind: str, body: dict, response: Response) -> dict:
        """Return a created resource after checking that its id was never handed out before."""
        new_id = body.get("id") if isinstance(body, dict) else None
        if new_id in self.created_ids:
            raise RequirementFailure(
                summary=f"A new {kind} got the id of an earlier {self.created_ids[new_id]}",
                received=new_id, documented="a new id for every created resource", exchange=response.exchange)
        if new_id is not None:
            self.created_ids[new_id] = kind
        return body

    def new_conversation(self, title: str | None = None, client: Client | None = None, **extra: Any) -> dict:
        client = client or self.user1
        body = {"title": title if title is not None else self.unique, **extra}
        response = client.post("/api/v1/conversations", json=body)
        expect_status(response, 201, "Creating a conversation")
        return self.fresh("conversation", response.json(), response)

    def new_message(self, conversation_id: str, content: str, client: Client | None = None) -> dict:
        client = client or self.user1
        response = client.post(f"/api/v1/conversations/{conversation_id}/messages",
                               json={"role": "user", "content": content})
        expect_status(response, 201, "Creating a message")
        return self.fresh("message", response.json(), response)


def expect_status(response: Response, expected: int | Iterable[int], summary: str) -> None:
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if response.status not in allowed:
        raise RequirementFailure(
            summary=f"{summary}: unexpected status",
            received=f"{response.status} {response.raw.text[:300]}",
            documented=" or ".join(map(str, sorted(allowed))),
            exchange=response.exchange,
        )


def expect(condition: bool, *, summary: str, received: Any, documented: Any, response: Response | None = None) -> None:
    if not condition:
        raise RequirementFailure(summary=summary, received=received, documented=documented,
                                 exchange=response.exchange if response is not None else None)


def unsupported_if(response: Response, what: str) -> None:
    if response.status in UNSUPPORTED_STATUSES:
        raise Unsupported(f"{what} answered {response.status}")
