"""Answers `Prefer: code= / example= / dynamic=` from the contract instead of the handler.

It sits after ContractMiddleware, so a chosen response is only ever given to a request that
passed authentication and validation: `Prefer: code=200` never hides a missing token or an
invalid body (see docs/mock-controls.md, "Auth and Prefer"). The handler is not run, so the
state is not changed.
"""

from __future__ import annotations

from typing import Any, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from . import dynamic
from .canned import SSE, Catalogue, render_body, render_events

__all__ = ["PreferResponder"]


class PreferResponder:
    def __init__(self, app: ASGIApp, *, catalogue: Callable[[], Catalogue],
                 operation_for: dict[str, str]) -> None:
        self.app = app
        self.catalogue = catalogue            # built on first use
        self.operation_for = operation_for    # handler name -> operationId

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefs = scope.get("mock.prefer")
        if prefs is None or not prefs.wants_response:
            await self.app(scope, receive, send)
            return
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        operation_id = self.operation_for.get(routing.get("operation_id") or "")
        if operation_id is None:
            await self.app(scope, receive, send)
            return
        call = scope["extensions"]["connexion_context"]["call"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        catalogue = self.catalogue()
        documented = catalogue.documented(operation_id, prefs)
        wants_stream = isinstance(call.body, dict) and call.body.get("stream") is True
        media_type = catalogue.media_type(documented, headers.get("accept", ""), wants_stream)
        found, value = catalogue.example(operation_id, documented, media_type,
                                         prefs.example)
        if media_type is not None and (prefs.dynamic or not found):
            media = documented.media[media_type]
            schema = media.get("x-item-schema") or media["schema"]  # one event of a stream
            value = dynamic.generate(catalogue.contract, schema or {}, prefs.seed,
                                     as_stream=media_type == SSE)
        elif media_type == SSE and prefs.example is None:
            value = list(documented.media[SSE]["examples"].values())  # the documented events
        out_headers = catalogue.headers(documented, prefs)
        await _send(send, documented.status, media_type, value, out_headers)


async def _send(send: Send, status: int, media_type: str | None, value: Any,
                headers: dict[str, str]) -> None:
    if media_type is None:
        body = b""
    elif media_type == SSE:
        body = render_events(value if isinstance(value, list) else [value])
    else:
        body = render_body(value, media_type)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if media_type is not None:
        raw.append((b"content-type", media_type.encode()))
    if status not in (204, 304):
        raw.append((b"content-length", str(len(body)).encode()))
    else:
        body = b""
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
