"""Consumer profiles from live traffic (`chat-contract serve | proxy --consumer-profiles DIR`).

An ASGI layer in front of the server or the proxy: for each request it keeps the first bytes of
the request and response bodies, and when the response is complete adds what the frontend used
to that frontend's profile (`chat_contract/consumer_profile.py`), written to
`DIR/<consumer>.yaml` whenever it learns something new. A frontend is named by the `X-Consumer`
header when it sends one, else by its `X-Mock-Session`, else by its `Origin`, else `default`.

Costs are bounded per request whatever it carries: at most REQUEST_BYTES of a request body and
RESPONSE_BYTES of a response body are looked at, field paths are bounded in depth and number
(consumer_profile.py), and at most MAX_CONSUMERS profiles are kept.
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
        self.operations = {(template, method.upper()): op
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
        op = self.operations.get((route.template, method))
        if op is None:
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        consumer, identified_by = _consumer(headers)
        with self._lock:
            profile = self.profiles.get(consumer)
            if profile is None:
                if len(self.profiles) >= MAX_CONSUMERS:
                    return
                profile = self.profiles[consumer] = ConsumerProfile(consumer, identified_by, dict(self.identity))
            before = profile.as_dict()
            use = profile.use(op["operationId"])
            use.parameters |= _parameters(op, route.template, scope, headers)
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


def _parameters(op: dict, template: str, scope: Scope, headers: dict[str, str]) -> set[str]:
    used = {f"path {name}" for name in _template_names(template)}
    query = {name for name, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)}
    declared = [p for p in op.get("parameters") or [] if isinstance(p, dict) and "name" in p]
    for param in declared:
        if param.get("in") == "query" and param["name"] in query:
            used.add(f"query {param['name']}")
        elif param.get("in") == "header" and param["name"].lower() in headers:
            used.add(f"header {param['name'].lower()}")
    # Shared parameters are $refs: a query name the contract declares anywhere is kept by name.
    used |= {f"query {name}" for name in query if len(name) <= 64 and name.isidentifier()}
    return used


def _template_names(template: str) -> list[str]:
    return [segment[1:-1] for segment in template.split("/") if segment.startswith("{") and segment.endswith("}")]


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
