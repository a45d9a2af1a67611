"""The outermost mock layer: admin routes, `Prefer`, `X-Mock-Session`, and the journal.

The hot path (no `Prefer`, no `X-Mock-Session`, not under /__mock/) costs one scan of the header
list, one `send` wrapper recording the status, and one journal append.
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
from .journal import Journal
from .sessions import DEFAULT, SessionPool, valid_name

__all__ = ["MockLayer", "ADMIN_PREFIX", "CAPTURE_LIMIT"]

ADMIN_PREFIX = "/__mock/"
CAPTURE_LIMIT = 2 * 1024 * 1024  # bytes of a response kept for checking; beyond, not checked


class MockLayer:
    def __init__(self, app: ASGIApp, *, admin: ASGIApp, pool: SessionPool, journal: Journal,
                 checker: Any = None, check_rate: float = 0.0) -> None:
        self.app = app
        self.admin = admin
        self.pool = pool
        self.journal = journal
        self.checker = checker            # () -> ResponseChecker, built on first use
        self.check_rate = check_rate      # share of responses checked for the journal, 0..1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
            return
        prefer_values: list[str] | None = None
        session_name = None
        for key, value in scope["headers"]:
            if key == b"prefer":
                (prefer_values := prefer_values or []).append(value.decode("latin-1"))
            elif key == b"x-mock-session":
                session_name = value.decode("latin-1").strip()
        if session_name == DEFAULT:
            session_name = None
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

            async def recording_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if capture is not None:
                        response_headers.update((k.decode("latin-1").lower(), v.decode("latin-1"))
                                                for k, v in message.get("headers", []))
                    if applied:
                        message = {**message, "headers": [*message.get("headers", []),
                                                          (b"preference-applied", applied)]}
                elif capture is not None and message["type"] == "http.response.body":
                    if sum(map(len, capture)) < CAPTURE_LIMIT:
                        capture.append(message.get("body", b""))
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
                    await self.app(scope, receive, recording_send)
                finally:
                    if stream_token is not None:
                        prefer_mod.STREAM.reset(stream_token)
            violations = None
            if capture is not None and self.checker is not None:
                violations = self._check(scope, status, response_headers, capture)
            self.journal.record(session_name or DEFAULT, time.time(), scope["method"],
                                scope["path"], scope.get("query_string", b"").decode("latin-1"),
                                status, (time.perf_counter() - started) * 1000, violations)
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
