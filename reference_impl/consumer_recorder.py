"""Consumer profiles from live traffic (`chat-contract serve | proxy --consumer-profiles DIR`).

An ASGI layer in front of the server or the proxy: for each request it keeps the first bytes of
the request and response bodies, and when the response is complete adds what the frontend used
to that frontend's profile (`chat_contract/consumer_profile.py`), written to
`DIR/<consumer>.yaml` whenever it learns something new. A frontend is named by the `X-Consumer`
header when it sends one, else by its `X-Mock-Session`, else by its `Origin`, else `default`.

Costs are bounded per request whatever it carries: at most REQUEST_BYTES of a request body and
RESPONSE_BYTES of a response body are looked at, field paths are bounded in depth and number
(consumer_profile.py), and at most MAX_CONSUMERS profiles are kept. A new profile is started
only by a successful (2xx) answer: every operation of the contract answers one only to a request
with a credential (a token; a password for sign-in; a share link for a public share), so
requests without credentials cannot take the places of the frontends that sign in.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat_contract.consumer_profile import ConsumerProfile, field_paths, profile_name

from .routing import PathTable

__all__ = ["ConsumerRecorder", "CONSUMER_HEADER"]

CONSUMER_HEADER = "x-consumer"
REQUEST_BYTES = 64 * 1024
RESPONSE_BYTES = 1024 * 1024
MAX_CONSUMERS = 32
log = logging.getLogger(__name__)


class ConsumerRecorder:
    def __init__(self, app: ASGIApp, contract: dict[str, Any], folder: Path, identity: dict[str, str]) -> None:
        self.app = app
        self.folder = folder
        self.identity = identity
        paths = contract.get("paths") or {}
        self.table = PathTable(paths)
        # (template, METHOD) -> (operationId, the (in, name) of its declared parameters)
        self.operations = {(template, method.upper()): (op["operationId"], _declared(contract, item, op))
                           for template, item in paths.items()
                           for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
        self.profiles: dict[str, ConsumerProfile] = {}
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__mock/"):
            await self.app(scope, receive, send)
            return
        request_body: list[bytes] = []
        response_body: list[bytes] = []
        seen = {"status": 0, "type": "", "in": 0, "out": 0}

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and seen["in"] < REQUEST_BYTES:
                chunk = message.get("body", b"")[: REQUEST_BYTES - seen["in"]]
                request_body.append(chunk)
                seen["in"] += len(chunk)
            return message

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type":
                        seen["type"] = value.decode("latin-1").split(";")[0].strip().lower()
            elif message["type"] == "http.response.body" and seen["out"] < RESPONSE_BYTES:
                chunk = message.get("body", b"")[: RESPONSE_BYTES - seen["out"]]
                response_body.append(chunk)
                seen["out"] += len(chunk)
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            if seen["status"]:
                try:
                    self._record(scope, b"".join(request_body), seen["status"], seen["type"], b"".join(response_body))
                except Exception:  # noqa: BLE001 - a profile is a by-product: never fail a request for it
                    log.exception("could not record the consumer profile of %s %s", scope["method"], scope["path"])

    def _record(self, scope: Scope, request_body: bytes, status: int, media: str, response_body: bytes) -> None:
        route = self.table.match(scope["path"])
        if route is None:
            return
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        found = self.operations.get((route.template, method))
        if found is None:
            return
        operation_id, declared = found
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        consumer, identified_by = _consumer(headers)
        with self._lock:
            profile = self.profiles.get(consumer)
            if profile is None:
                if not 200 <= status < 300 or len(self.profiles) >= MAX_CONSUMERS:
                    return
                profile = self.profiles[consumer] = ConsumerProfile(consumer, identified_by, dict(self.identity))
            before = profile.as_dict()
            use = profile.use(operation_id)
            use.parameters |= _parameters(declared, scope, headers)
            if request_body:
                _request_fields(use.request_fields, headers.get("content-type", ""), request_body)
            use.statuses.add(str(status))
            if media == "text/event-stream":
                _events(use.events, response_body)
            elif media.endswith("json") and response_body:
                try:
                    body = json.loads(response_body)
                except ValueError:
                    body = None
                field_paths(body, use.response_fields.setdefault(str(status), set()))
            if profile.as_dict() != before:
                profile.save(self.folder / f"{profile_name(consumer)}.yaml")


def _consumer(headers: dict[str, str]) -> tuple[str, str]:
    for header, how in ((CONSUMER_HEADER, "header X-Consumer"), ("x-mock-session", "session"), ("origin", "origin")):
        value = headers.get(header, "").strip()
        if value:
            return value[:200], how
    return "default", "none"


def _declared(contract: dict, item: dict, op: dict) -> frozenset[tuple[str, str]]:
    """The (in, name) of the parameters an operation declares, its path's and shared ones included."""
    out = set()
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        while isinstance(param, dict) and "$ref" in param:
            node: Any = contract
            for part in param["$ref"].lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            param = node
        if isinstance(param, dict) and "name" in param and "in" in param:
            name = param["name"].lower() if param["in"] == "header" else param["name"]
            out.add((param["in"], name))
    return frozenset(out)


def _parameters(declared: frozenset[tuple[str, str]], scope: Scope, headers: dict[str, str]) -> set[str]:
    """The declared parameters the request carried, as `<in> <name>`."""
    query = {name for name, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)}
    present = {"path": lambda name: True, "query": query.__contains__, "header": headers.__contains__}
    return {f"{where} {name}" for where, name in declared if present.get(where, lambda name: False)(name)}


def _request_fields(out: set[str], content_type: str, body: bytes) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media.endswith("json"):
        try:
            field_paths(json.loads(body), out)
        except ValueError:
            return
    elif media == "application/x-www-form-urlencoded":
        out |= {name for name, _ in parse_qsl(body.decode("latin-1"), keep_blank_values=True)[:50]}


def _events(out: dict[str, set[str]], body: bytes) -> None:
    """The events of an SSE body, with the field paths of their JSON `data`."""
    for block in body.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n\n")[:10_000]:
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()[:100]
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if not data or len(out) >= 50 and name not in out:
            continue
        fields = out.setdefault(name, set())
        try:
            field_paths(json.loads("\n".join(data)), fields)
        except ValueError:
            pass
