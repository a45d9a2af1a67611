"""The error vocabulary, and its translation into HTTP at the edge.

    ApiError(status, detail)             -> {"detail": "<text>"} with that status
      ├── UndecodableBody                -> 400 (JSON that is not UTF-8, broken multipart)
      ├── Unauthorized                   -> 401 + WWW-Authenticate: Bearer
      ├── NotFound                       -> 404 (also: another user's resource)
      ├── Conflict                       -> 409
      ├── PayloadTooLarge                -> 413
      ├── UnsupportedMediaType           -> 415
      ├── RequestValidationError(errors) -> 422 {"detail": [{"loc", "msg", "type"}, ...]}
      ├── TooManyRequests                -> 429 + Retry-After (sign-in throttling)
      └── ServiceUnavailable             -> 503 + Retry-After (a busy database, a failed reply)

Services raise these; `error_response` renders them. `JsonErrorsMiddleware` wraps the whole
application so that nothing else reaches a client: Connexion's problem+json, Starlette's
plain-text 404/405 and unhandled exceptions all become `{"detail": "<text>"}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ApiError", "UndecodableBody", "Unauthorized", "NotFound", "Conflict", "PayloadTooLarge",
    "UnsupportedMediaType", "RequestValidationError", "TooManyRequests", "ServiceUnavailable",
    "field_error",
    "error_response",
    "JsonErrorsMiddleware",
]

log = logging.getLogger("reference_impl")
# A `loc` part can be a key of the body (pydantic echoes it): the contract bounds it by the
# largest JSON body, so it is never cut in practice.
LOC_PART_LIMIT = 1024 * 1024


class ApiError(Exception):
    status = 400

    def __init__(self, detail: str, *, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.headers = headers or {}

    def body(self) -> Any:
        return {"detail": self.detail}


class UndecodableBody(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self, detail: str = "Not authenticated") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class RequestValidationError(ApiError):
    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Request validation failed")
        # The contract caps the list at 100 entries and each loc at 32 parts.
        self.errors = errors[:100]

    def body(self) -> Any:
        return {"detail": self.errors}


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(ApiError):
    """Transient: the client may retry after `retry_after` seconds (documented on every operation)."""

    status = 503

    def __init__(self, detail: str = "Service temporarily unavailable", retry_after: int = 1
                 ) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


def field_error(loc: list, msg: str, type_: str) -> dict[str, Any]:
    """One FastAPI-shaped validation error, clipped to the contract's bounds."""
    clipped = [p if isinstance(p, int) else str(p)[:LOC_PART_LIMIT] for p in loc[:32]]
    return {"loc": clipped, "msg": msg[:1000], "type": type_[:100]}


def error_response(exc: ApiError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(exc.body(), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    return exc.status, headers, body


async def send_error(send: Send, exc: ApiError) -> None:
    status, headers, body = error_response(exc)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# Headers worth keeping when a foreign error response is rewritten.
_KEPT = {b"allow", b"www-authenticate", b"retry-after", b"access-control-allow-origin",
         b"access-control-allow-credentials", b"access-control-expose-headers", b"vary"}


class JsonErrorsMiddleware:
    """Outermost wrapper: every error a client sees is `{"detail": ...}` JSON."""

    def __init__(self, app: ASGIApp, allow_for=None) -> None:
        self.app = app
        # path -> "GET, POST" from the contract: Starlette's own Allow names only one route.
        self.allow_for = allow_for or (lambda path: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = {"start": None, "chunks": [], "started": False}

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] >= 400 and not ctype.startswith(b"application/json"):
                    state["start"] = message  # foreign error: buffer and rewrite
                    state["path"] = scope.get("path", "")
                    return
                state["started"] = True
                await send(message)
            elif state["start"] is not None:
                state["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._rewrite(send, state["start"], b"".join(state["chunks"]),
                                        self.allow_for(state["path"]))
            else:
                await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not state["started"]:
                await send_error(send, ApiError("Internal server error", status=500))

    @staticmethod
    async def _rewrite(send: Send, start: Message, body: bytes, allow: str | None) -> None:
        status = start["status"]
        detail = ""
        try:
            problem = json.loads(body)
            detail = str(problem.get("detail") or problem.get("title") or "")
        except (ValueError, AttributeError):
            detail = body.decode("utf-8", "replace").strip()
        if not detail:
            detail = {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
        kept = {k: v for k, v in start.get("headers", []) if k.lower() in _KEPT}
        if status == 405 and allow:
            kept[b"allow"] = allow.encode()
        exc = ApiError(detail[:1000], status=status,
                       headers={k.decode(): v.decode() for k, v in kept.items()})
        await send_error(send, exc)
