"""What a FastAPI app must add to its defaults to meet the contract. Each piece is small and apart.

1. `accepts(...)`: 415 for a body in a media type the operation does not take. FastAPI tries to
   read any body as the declared model and answers 422 instead.
2. `BodyLimit`: 413 as JSON over 1 MiB (uploads 5 MiB). FastAPI sets no limit; Starlette's
   and uvicorn's answers are plain text.
3. Strict scalars, `uniqueItems`, `minProperties` and RFC 3339 date-times: see scalars.py and
   models.py (`strict=True`, `unique(...)`, `Patch`, `DateTime`).
4. Secrets: `hide_input_in_errors=True` on models holding a `writeOnly` field (models.py).
"""

from __future__ import annotations

import json
import re

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 5 * 1024 * 1024
# A multipart upload carries its part headers and boundaries besides the file.
UPLOAD_OVERHEAD = 64 * 1024
_UPLOAD_PATH = re.compile(r"^/api/v1/messages/[^/]+/attachments$")


def accepts(*media_types: str):  # noqa: ANN201
    """A route dependency: a body in another media type answers 415 (an empty body is left to
    FastAPI, which answers 422 for a required one)."""
    async def check(request: Request) -> None:
        declared = request.headers.get("content-type")
        if declared is None and request.headers.get("content-length", "0") == "0" \
                and "transfer-encoding" not in request.headers:
            return
        media = (declared or "").split(";")[0].strip().lower()
        if media not in media_types:
            raise HTTPException(415, f"Unsupported media type {media or 'none'}; "
                                     f"expected {', '.join(media_types)}")
    return check


class BodyLimit:
    """413 `{"detail": ...}` for a body over the contract's limit, declared or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_LIMIT + UPLOAD_OVERHEAD if _UPLOAD_PATH.match(scope["path"]) else JSON_LIMIT
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"Request body exceeds {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
