"""A streaming Server-Sent Events reader of the suite's own.

Schemathesis reads a whole stream before checking it; order, timing and the final event of a
live stream need a client that sees each event as it arrives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml

from .client import Client, record
from .errors import ConnectionProblem
from .exchange import Exchange

__all__ = ["Event", "Stream", "read_stream", "per_event_view", "FINAL_EVENTS", "ITEM_SCHEMA"]

ITEM_SCHEMA = "x-item-schema"  # beside an event stream's body schema: one event's schema
FINAL_EVENTS = frozenset({"reply.completed", "reply.failed"})
MAX_EVENTS = 5000


@dataclass(frozen=True, kw_only=True)
class Event:
    event: str
    id: str | None
    data: str


@dataclass(kw_only=True)
class Stream:
    status: int
    content_type: str
    events: list[Event] = field(default_factory=list)
    first_event_after: float | None = None
    timed_out: bool = False
    exchange: Exchange | None = None

    @property
    def names(self) -> list[str]:
        return [e.event for e in self.events]


def _parse(lines: list[str]) -> Event | None:
    name, event_id, data = "message", None, []
    for line in lines:
        if line.startswith(":"):
            continue  # comment / keep-alive
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "id":
            event_id = value
        elif key == "data":
            data.append(value)
    if not data and name == "message":
        return None
    return Event(event=name, id=event_id, data="\n".join(data))


def read_stream(client: Client, method: str, path: str, *, deadline: float = 30.0,
                headers: dict[str, str] | None = None, **kwargs: Any) -> Stream:
    """Read events until the server closes the stream, MAX_EVENTS, or `deadline` seconds."""
    started = time.monotonic()
    try:
        with client.stream(method, path, headers=headers, **kwargs) as raw:
            stream = Stream(status=raw.status_code,
                            content_type=raw.headers.get("content-type", "").split(";")[0].strip().lower())
            if stream.content_type != "text/event-stream":
                raw.read()
                stream.exchange = record(raw)
                return stream
            pending: list[str] = []
            body: list[str] = []
            for line in raw.iter_lines():
                body.append(line)
                if time.monotonic() - started > deadline or len(stream.events) >= MAX_EVENTS:
                    stream.timed_out = True
                    break
                if line:
                    pending.append(line)
                    continue
                event = _parse(pending)
                pending = []
                if event is not None:
                    if stream.first_event_after is None:
                        stream.first_event_after = time.monotonic() - started
                    stream.events.append(event)
            if pending:
                event = _parse(pending)
                if event is not None:
                    stream.events.append(event)
            stream.exchange = record(raw, body="\n".join(body).encode())
            return stream
    except httpx.TimeoutException:
        return Stream(status=0, content_type="", timed_out=True)
    except httpx.TransportError as exc:
        raise ConnectionProblem(f"{method} {client.base_url}{path} failed while streaming: {exc}") from exc


def per_event_view(spec_path: str) -> dict[str, Any]:
    """The contract with each event stream's `x-item-schema` as its schema.

    The contract's `schema` of `text/event-stream` accepts both readings of a stream schema
    (the whole body as text, one parsed event); the suite judges events by the per-event one
    alone (OpenAPI 3.2's `itemSchema`), so a wrong event is reported against `ReplyEvent`
    rather than as "valid under none of" the two readings.
    """
    with open(spec_path, encoding="utf-8") as fh:
        contract = yaml.safe_load(fh)
    for item in contract.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if ITEM_SCHEMA in media:
                        media["schema"] = media.pop(ITEM_SCHEMA)
                        # Examples are SSE text; Schemathesis would check them as one event.
                        media.pop("examples", None)
    return contract

