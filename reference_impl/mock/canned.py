"""Responses read from the contract: each operation's documented statuses, examples, headers.

`Catalogue` is built from the 3.1 document on the first request that asks for one (so start-up
pays nothing for it); a response then costs a dict lookup and a JSON dump.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .prefer import PreferError, Preferences

__all__ = ["Catalogue", "Documented", "Canned"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SSE = "text/event-stream"
# Values for required response headers whose schema names no example: what a client expects.
_HEADER_DEFAULTS = {"retry-after": "1", "www-authenticate": "Bearer"}


@dataclass
class Documented:
    """One documented status of one operation."""

    status: int
    media: dict[str, dict[str, Any]]          # media type -> {"schema", "examples" (name->value)}
    headers: dict[str, dict[str, Any]]        # header name -> its (dereferenced) object


@dataclass
class Canned:
    """The response chosen for a request: what the responder sends."""

    status: int
    media_type: str | None
    body: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)   # for text/event-stream
    headers: dict[str, str] = field(default_factory=dict)


class Catalogue:
    def __init__(self, contract: dict[str, Any]) -> None:
        self.contract = contract
        self.operations: dict[str, dict[int, Documented]] = {}
        for item in contract["paths"].values():
            for method in _METHODS:
                op = item.get(method)
                if op is not None:
                    self.operations[op["operationId"]] = self._responses(op)

    def deref(self, obj: Any) -> Any:
        while isinstance(obj, dict) and "$ref" in obj:
            node: Any = self.contract
            for part in obj["$ref"].lstrip("#/").split("/"):
                node = node[part]
            obj = node
        return obj

    def _responses(self, op: dict[str, Any]) -> dict[int, Documented]:
        out = {}
        for status, raw in op["responses"].items():
            if not status.isdigit():
                continue  # "default" and ranges are not a status one can ask for
            response = self.deref(raw)
            media = {}
            for media_type, content in (response.get("content") or {}).items():
                examples = {name: self.deref(ex)["value"]
                            for name, ex in (content.get("examples") or {}).items()
                            if "value" in self.deref(ex)}
                if not examples and "example" in content:
                    examples = {"example": content["example"]}
                media[media_type] = {"schema": content.get("schema"), "examples": examples,
                                     "x-item-schema": content.get("x-item-schema")}
            headers = {name: self.deref(h) for name, h in (response.get("headers") or {}).items()}
            out[int(status)] = Documented(int(status), media, headers)
        return out

    def documented(self, operation_id: str, prefs: Preferences) -> Documented:
        """The response the preferences pick; 400 naming what is documented otherwise."""
        responses = self.operations[operation_id]
        statuses = sorted(responses)
        listed = ", ".join(map(str, statuses))
        if prefs.code is None:
            success = [s for s in statuses if 200 <= s < 300]
            return responses[success[0] if success else statuses[0]]
        if prefs.code not in responses:
            raise PreferError(f"Prefer code={prefs.code} is not documented for {operation_id}; "
                              f"documented: {listed}")
        return responses[prefs.code]

    def media_type(self, documented: Documented, accept: str, wants_stream: bool) -> str | None:
        """Content negotiation among the documented media types (JSON unless SSE is asked for)."""
        if not documented.media:
            return None
        types = list(documented.media)
        if SSE in types and (wants_stream or SSE in accept):
            return SSE
        plain = [t for t in types if t != SSE]
        if not plain:
            return SSE
        return next((t for t in plain if t in accept), plain[0])

    def example(self, operation_id: str, documented: Documented, media_type: str | None,
                name: str | None) -> tuple[bool, Any]:
        """(found, value) of the named example, or of the first one when no name is given."""
        if media_type is None:
            if name is not None:
                raise PreferError(f"Prefer example={name}: response {documented.status} of "
                                  f"{operation_id} has no body")
            return True, None
        examples = documented.media[media_type]["examples"]
        if name is None:
            if not examples:
                return False, None
            return True, next(iter(examples.values()))
        if name not in examples:
            names = ", ".join(examples) or "none"
            raise PreferError(f"Prefer example={name} is not documented for {operation_id} "
                              f"{documented.status} {media_type}; documented: {names}")
        return True, examples[name]

    def headers(self, documented: Documented, prefs: Preferences) -> dict[str, str]:
        """Values for every required header of the response (Retry-After, WWW-Authenticate)."""
        out = {}
        for name, header in documented.headers.items():
            if name.lower() == "retry-after" and prefs.retry_after is not None:
                out[name] = str(prefs.retry_after)
            elif header.get("required"):
                out[name] = _header_value(name, self.deref(header.get("schema") or {}), header)
        return out


def _header_value(name: str, schema: dict[str, Any], header: dict[str, Any]) -> str:
    if "example" in header:
        return str(header["example"])
    if name.lower() in _HEADER_DEFAULTS:
        return _HEADER_DEFAULTS[name.lower()]
    if schema.get("type") == "integer":
        return str(max(schema.get("minimum", 0), 0))
    if "enum" in schema:
        return str(schema["enum"][0])
    return "mock"


def render_body(value: Any, media_type: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if media_type.startswith("application/json") or not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return value.encode()


def render_events(events: list[dict[str, Any] | str]) -> bytes:
    out = []
    for event in events:
        if isinstance(event, str):  # a documented example: the event's SSE text
            out.append(event.rstrip("\n") + "\n\n")
            continue
        lines = [f"id: {event['id']}"] if "id" in event else []
        lines.append(f"event: {event['event']}")
        lines += [f"data: {line}" for line in str(event.get("data", "")).split("\n")]
        out.append("\n".join(lines) + "\n\n")
    return "".join(out).encode()
