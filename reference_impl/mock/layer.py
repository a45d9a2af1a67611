"""The outermost mock layer: admin routes, `Prefer`, `X-Mock-Session`, and the journal.

The hot path (no `Prefer`, no `X-Mock-Session`, not under /__mock/) costs one scan of the header
list, a `receive` and a `send` wrapper keeping the status and the first bytes of each body (the
journal's BODY_LIMIT; references to chunks already in memory), and one journal append.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ApiError, send_error
from . import prefer as prefer_mod
from .conformity import ResponseChecker
from .journal import BODY_LIMIT, Body, Journal
from .presets import Presets
from .sessions import DEFAULT, SessionPool, valid_name

__all__ = ["MockLayer", "ADMIN_PREFIX", "CAPTURE_LIMIT"]

ADMIN_PREFIX = "/__mock/"
CAPTURE_LIMIT = 2 * 1024 * 1024  # bytes of a response kept for checking; beyond, not checked


class _Kept:
    """The first BODY_LIMIT bytes of a body as it passes (references to its chunks)."""

    __slots__ = ("media_type", "chunks", "size")

    def __init__(self, media_type: bytes) -> None:
        self.media_type = media_type
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if chunk:
            if self.size < BODY_LIMIT:
                self.chunks.append(chunk)
            self.size += len(chunk)

    def body(self) -> Body:
        # A plain tuple in Body's order, media type undecoded: decoded when an entry is read.
        if not self.size:
            return (self.media_type, b"", 0)  # type: ignore[return-value]
        data = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        return (self.media_type, data[:BODY_LIMIT], self.size)  # type: ignore[return-value]


class MockLayer:
    def __init__(self, app: ASGIApp, *, admin: ASGIApp, pool: SessionPool, journal: Journal,
                 checker: Any = None, check_rate: float = 0.0, presets: Presets | None = None
                 ) -> None:
        self.app = app
        self.admin = admin
        self.pool = pool
        self.journal = journal
        self.checker = checker            # () -> ResponseChecker, built on first use
        self.check_rate = check_rate      # share of responses checked for the journal, 0..1
        self.presets = presets            # Prefer values set per session from the admin API

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
            return
        prefer_values: list[str] | None = None
        session_name = None
        request_type = b""
        for key, value in scope["headers"]:
            if key == b"prefer":
                (prefer_values := prefer_values or []).append(value.decode("latin-1"))
            elif key == b"x-mock-session":
                session_name = value.decode("latin-1").strip()
            elif key == b"content-type":
                request_type = value
        if session_name == DEFAULT:
            session_name = None
        if prefer_values is None and self.presets is not None:
            preset = self.presets.for_request(session_name or DEFAULT, scope["method"],
                                              scope["path"])
            if preset is not None:
                prefer_values = [preset]
        if session_name is not None:
            try:
                valid_name("session", session_name)
                self.pool.require_enabled()
            except ApiError as exc:
                # Refused before it had a valid session: journalled nowhere, so a flood of
                # names costs nothing (a session's journal is made by its first request).
                await send_error(send, exc)
                return
            # No state yet: app.ContractMiddleware picks it once the request is authenticated.
            scope["mock.session"] = session_name
            self.pool.running(session_name, +1)
        try:
            started = time.perf_counter()
            status = 0
            capture: list[bytes] | None = None
            if self.check_rate and (self.check_rate >= 1 or random.random() < self.check_rate):
                capture = []
            response_headers: dict[str, str] = {}
            applied = None
            stream_token = None
            request_kept = _Kept(request_type)    # the first BODY_LIMIT bytes, for the journal
            response_kept = _Kept(b"")

            async def recording_receive() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    request_kept.add(message.get("body", b""))
                return message

            async def recording_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.body":
                    response_kept.add(message.get("body", b""))
                    if capture is not None and sum(map(len, capture)) < CAPTURE_LIMIT:
                        capture.append(message.get("body", b""))
                elif message["type"] == "http.response.start":
                    status = message["status"]
                    for key, value in message.get("headers", ()):
                        if key == b"content-type":  # ASGI header names are lower case
                            response_kept.media_type = value
                    if capture is not None:
                        response_headers.update((k.decode("latin-1").lower(), v.decode("latin-1"))
                                                for k, v in message.get("headers", []))
                    if applied:
                        message = {**message, "headers": [*message.get("headers", []),
                                                          (b"preference-applied", applied)]}
                await send(message)

            try:
                if prefer_values is not None:
                    prefs = prefer_mod.parse(prefer_values)
                    scope["mock.prefer"] = prefs
                    applied = prefs.applied().encode() or None
                    if prefs.wants_stream_control:
                        stream_token = prefer_mod.STREAM.set(prefs)
                    if prefs.delay_ms:
                        await asyncio.sleep(prefs.delay_ms / 1000)
            except ApiError as exc:
                await send_error(recording_send, exc)
            else:
                try:
                    await self.app(scope, recording_receive, recording_send)
                finally:
                    if stream_token is not None:
                        prefer_mod.STREAM.reset(stream_token)
            violations = None
            if capture is not None and self.checker is not None:
                violations = self._check(scope, status, response_headers, capture)
            self.journal.record(session_name or DEFAULT, time.time(), scope["method"],
                                scope["path"], scope.get("query_string", b"").decode("latin-1"),
                                status, (time.perf_counter() - started) * 1000, violations,
                                request_kept.body(), response_kept.body())
        finally:
            if session_name is not None:
                self.pool.running(session_name, -1)

    def _check(self, scope: Scope, status: int, response_headers: dict[str, str],
               capture: list[bytes]) -> list[str] | None:
        body = b"".join(capture)
        if len(body) >= CAPTURE_LIMIT:
            return None
        checker: ResponseChecker = self.checker()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        return checker.check(scope["method"], scope["path"],
                             scope.get("query_string", b"").decode("latin-1"), headers,
                             status, response_headers, body)
