"""What a FastAPI app must add to its defaults to meet the contract. Each piece is small and apart.

1. `accepts(...)`: 415 for a body in a media type the operation does not take. FastAPI tries to
   read any body as the declared model and answers 422 instead.
2. `BodyLimit`: 413 as JSON over 1 MiB (uploads 5 MiB). FastAPI sets no limit; Starlette's
   and uvicorn's answers are plain text.
3. Strict scalars, `uniqueItems`, `minProperties` and RFC 3339 date-times: see scalars.py and
   models.py (`strict=True`, `unique(...)`, `Patch`, `DateTime`).
4. Secrets: `hide_input_in_errors=True` on models holding a `writeOnly` field (models.py).
5. `JsonLimits`: 422 for what Python's `json` accepts but the contract's "Limits" do not (lone
   surrogates, nesting deeper than 32, numbers beyond 64-bit integers or finite doubles), before
   FastAPI reads the body: its own 422 for a lone surrogate cannot be encoded and drops the
   connection.
6. `NoSniff`: `X-Content-Type-Options: nosniff` on every response, errors included.
7. `safe_upload(...)`: 422 for an upload whose filename or part content type holds a control
   character (they are stored and sent back in headers).
8. `SignInThrottle`: 429 + Retry-After after 10 failed sign-ins for a username in 60 seconds.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from typing import Any

from fastapi import HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
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


# -- JSON input limits ---------------------------------------------------------------------------

MAX_DEPTH = 32   # containers inside the body; deeper answers 422 `too_deep`
MAX_ERRORS = 100  # the contract's bound on a 422's `detail` list
_SURROGATE = re.compile("[\ud800-\udfff]")


class _OutOfRange:
    """Where the parser met a number the contract does not allow (reported at its `loc`)."""


def _integer(text: str) -> object:
    # Checked on the text: int() refuses more than 4,300 digits with a ValueError of its own.
    if len(text.lstrip("-")) > 19:
        return _OutOfRange()
    value = int(text)
    return value if -2 ** 63 <= value < 2 ** 63 else _OutOfRange()


def _float(text: str) -> object:
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange()


def _error(loc: list, kind: str, msg: str) -> dict[str, Any]:
    return {"type": kind, "loc": loc, "msg": msg}


def json_errors(body: bytes) -> list[dict[str, Any]]:
    """FastAPI-shaped errors for a JSON body beyond the contract's limits, in document order.

    Invalid JSON is left to FastAPI (its own `json_invalid` 422). `json.loads` on bytes decodes
    as FastAPI does (`surrogatepass`), so encoded surrogates are caught here too.
    """
    try:
        value = json.loads(body, parse_int=_integer, parse_float=_float,
                           parse_constant=lambda _: _OutOfRange())
    except RecursionError:
        return [_error(["body"], "too_deep", f"JSON nested deeper than {MAX_DEPTH} levels")]
    except ValueError:  # not JSON, or not UTF-8: FastAPI's to answer
        return []
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, list, int]] = [(value, ["body"], 0)]
    while stack and len(errors) < MAX_ERRORS:
        item, loc, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                errors.append(_error(loc, "string_unicode", "Input should be a string of Unicode "
                                     "scalar values (no lone surrogates)"))
        elif isinstance(item, _OutOfRange):
            errors.append(_error(loc, "number_out_of_range", "Input should be a finite number "
                                 "within 64-bit integer range"))
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                errors.append(_error(loc, "too_deep", f"Input nests deeper than {MAX_DEPTH} levels"))
                continue
            pairs = list(item.items() if isinstance(item, dict) else enumerate(item))
            for key, _ in pairs:
                if isinstance(key, str) and _SURROGATE.search(key):
                    errors.append(_error(loc + [key.encode("utf-8", "replace").decode()],
                                         "string_unicode", "Keys should be strings of Unicode "
                                         "scalar values (no lone surrogates)"))
            stack.extend((child, loc + [key], depth + 1) for key, child in reversed(pairs))
    return errors[:MAX_ERRORS]


class JsonLimits:
    """Reads a JSON body once, answers 422 for `json_errors`, else hands the bytes on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # disconnected: nothing to check
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        errors = json_errors(body) if body else []
        if errors:
            await _json_response(send, 422, {"detail": errors})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _json_response(send: Send, status: int, content: object) -> None:
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# -- response headers ----------------------------------------------------------------------------

class NoSniff:
    """`X-Content-Type-Options: nosniff` on every response, whichever layer answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, with_header if scope["type"] == "http" else send)


# -- uploads -------------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[^\x00-\x1f\x7f]*)?")


def safe_upload(file: UploadFile, field: str = "file") -> UploadFile:
    """The upload, or a 422 at ["body", field]: its filename and media type are stored and sent
    back in headers, where a control character breaks the response."""
    errors = []
    if file.filename is not None and _UNSAFE_NAME.search(file.filename):
        errors.append(_error(["body", field], "value_error",
                             "Filename should not contain control characters"))
    if file.content_type is not None and not _MEDIA_TYPE.fullmatch(file.content_type):
        errors.append(_error(["body", field], "value_error",
                             "Part content type should be a media type (type/subtype, RFC 6838)"))
    if errors:
        raise RequestValidationError(errors)
    return file


# -- sign-in throttling --------------------------------------------------------------------------

class SignInThrottle:
    """At most `failures` sign-in attempts per username in `window` seconds reach the password
    check; beyond, 429 whatever the password until the oldest attempt ages out. The attempt is
    counted before the check, under a lock, so parallel guesses (the route runs in FastAPI's
    thread pool) cannot all pass a count taken before any of them failed. Unknown usernames
    count the same, so a 429 says nothing about which exist; a success forgets the attempts."""

    def __init__(self, failures: int = 10, window: float = 60.0, tracked: int = 10_000) -> None:
        self.failures, self.window, self.tracked = failures, window, tracked
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, username: str) -> None:
        """Count an attempt for `username`, or raise 429 when the window holds `failures`."""
        key = username.casefold()
        with self._lock:
            times = self._recent(key)
            if len(times) >= self.failures:
                wait = max(1, math.ceil(times[0] + self.window - time.monotonic()))
                raise HTTPException(429, "Too many failed sign-ins; retry later",
                                    headers={"Retry-After": str(wait)})
            times.append(time.monotonic())
            self._seen[key] = times
            if len(self._seen) > self.tracked:  # bounded: forget the oldest-tracked username
                self._seen.pop(next(iter(self._seen)))

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._seen.pop(username.casefold(), None)

    def _recent(self, key: str) -> deque[float]:
        times = self._seen.pop(key, None) or deque(maxlen=self.failures)
        while times and times[0] <= time.monotonic() - self.window:
            times.popleft()
        if times:
            self._seen[key] = times  # re-inserted: dict order is least recently failing first
        return times
