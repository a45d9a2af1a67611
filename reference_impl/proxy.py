"""A validating proxy: forwards real traffic to a backend and reports what breaks the contract.

    client -> Proxy -> upstream (any deployment)
                 ├── request:  validation.ContractValidator (the server's own validators;
                 │             JSON bodies over 8 KiB in offload.py's helper process, as the
                 │             server does, so one big body does not stall other requests)
                 ├── response: mock.conformity.ResponseChecker (openapi-core, compiled once)
                 └── both:     X-Contract-Violations headers + the journal (/__mock/journal)

Nothing is blocked or rewritten: a violating request is still forwarded and a violating
response still returned, so the backend team sees its real behaviour, annotated. Event streams
are passed through as they arrive; their headers can only carry what is known before the
body (the request, the status, the headers), per-event findings go to the journal.
"""

from __future__ import annotations

import asyncio
import re
import time
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from .body import read_body
from .connection_guard import TARGET_EXTENSION
from .errors import ApiError, JsonErrorsMiddleware, RequestValidationError, send_error
from .mock.admin import admin_app
from .mock.guard import AdminGuard, admin_token
from .mock.conformity import ResponseChecker
from .mock.journal import BODY_LIMIT, Body, Journal
from .mock.layer import ADMIN_PREFIX, CAPTURE_LIMIT
from .mock.sessions import DEFAULT
from .offload import HelperBusy, Offload
from .proxy_target import UpstreamBase
from .recording import Recorder
from .routing import specificity
from .validation import ContractValidator, OperationSpec

__all__ = ["Proxy", "VIOLATIONS_HEADER", "SUMMARY_HEADER"]

VIOLATIONS_HEADER = "x-contract-violations"
SUMMARY_HEADER = "x-contract-violation"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Hop-by-hop headers (RFC 9110 section 7.6.1) and those httpx recomputes.
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
# The body is forwarded decoded (so it can be checked): its encoding headers no longer apply.
# Date is the proxy server's own (uvicorn stamps every answer; two would break RFC 9110's one).
_DROP_FROM_RESPONSE = _HOP | {"content-encoding", "date"}
MAX_BODY = 6 * 1024 * 1024


class _Operations:
    """Which contract operation a method and path mean, with their path parameters."""

    def __init__(self, contract: dict[str, Any]) -> None:
        self.routes: list[tuple[re.Pattern[str], str, dict[str, str]]] = []
        for template in sorted(contract["paths"], key=specificity):
            item = contract["paths"][template]
            methods = {m.upper(): item[m]["operationId"] for m in _METHODS if m in item}
            pattern = re.sub(r"\\\{([^/]+?)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            self.routes.append((re.compile(f"^{pattern}$"), template, methods))

    def find(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for pattern, _, methods in self.routes:
            match = pattern.match(path)
            if match:
                return methods.get(method), match.groupdict()
        return None, {}


def _summary(violations: list[str]) -> str:
    """One header-safe line: the first violation, and how many more."""
    text = violations[0] + (f" (+{len(violations) - 1} more)" if len(violations) > 1 else "")
    return re.sub(r"[^\x20-\x7e]", "?", text)[:300]


def _request_violations(exc: ApiError) -> list[str]:
    if isinstance(exc, RequestValidationError):
        return [f"request: {'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors]
    return [f"request: {exc.status} {exc.detail}"]


class Proxy:
    def __init__(self, upstream: str, contract: dict[str, Any], *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 60.0, mock_token: str | None = None,
                 recorder: Recorder | None = None) -> None:
        self.mock_token = admin_token(mock_token)
        self.upstream = upstream.rstrip("/")
        self.base = UpstreamBase(upstream)  # the only host requests are sent to
        self.validator = ContractValidator(contract)
        self.offload = Offload(self.validator)  # large JSON bodies: validated off the loop
        self._helper: asyncio.Task | None = None
        self.checker = ResponseChecker(contract)
        self.operations = _Operations(contract)
        self.journal = Journal()
        self.recorder = recorder  # --record FILE: every relayed exchange, secrets redacted
        self.admin = AdminGuard(JsonErrorsMiddleware(admin_app(self.journal, None)),
                                self.mock_token)
        self.client = httpx.AsyncClient(transport=transport, timeout=timeout,
                                        follow_redirects=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
            return
        started = time.perf_counter()
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                   for k, v in scope["headers"]]
        header_map = dict(headers)
        try:
            # Forwarding a truncated body would corrupt the request: refuse it whole instead.
            body = await read_body(receive, header_map, MAX_BODY)
        except ApiError as exc:
            await send_error(send, exc)
            self._record(header_map.get("x-mock-session", DEFAULT), scope,
                         scope.get("query_string", b"").decode("latin-1"), exc.status, started,
                         [str(exc)])
            return
        query = scope.get("query_string", b"").decode("latin-1")
        session = header_map.get("x-mock-session", DEFAULT)
        try:
            url = self.base.url(scope.get("raw_path") or quote(scope["path"]).encode(),
                                query.encode("latin-1"),
                                scope.get("extensions", {}).get(TARGET_EXTENSION))
        except ApiError as exc:
            await send_error(send, exc)
            self._record(session, scope, query, exc.status, started, [f"request: {exc}"])
            return
        violations = await self._check_request(scope, header_map, query, body)
        # Header values go on as the bytes that came (httpx would refuse non-ASCII text).
        request = self.client.build_request(
            scope["method"], url, content=body,
            headers=[(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower()
                     not in _HOP])
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            violations.append(f"upstream unreachable: {type(exc).__name__}")
            await send_error(send, ApiError(f"Upstream {self.upstream} unreachable: {exc}",
                                            status=502))
            self._record(session, scope, query, 502, started, violations,
                         Body.of(header_map.get("content-type", ""), body))
            return
        try:
            answered = await self._relay(scope, header_map, query, response, violations, send)
        finally:
            await response.aclose()
        self._record(session, scope, query, response.status_code, started, violations,
                     Body.of(header_map.get("content-type", ""), body),
                     answered._replace(data=answered.data[:BODY_LIMIT]))
        if self.recorder is not None:
            self._write_recording(scope, header_map, query, response.status_code, body,
                                  answered)

    async def _relay(self, scope: Scope, request_headers: dict[str, str], query: str,
                     response: httpx.Response, violations: list[str], send: Send) -> Body:
        """Pass the response on; what it was (all of it, up to CAPTURE_LIMIT bytes)."""
        out = {k.lower(): v for k, v in response.headers.items()}
        # As the bytes that came (httpx decodes a UTF-8 value, which latin-1 cannot re-encode).
        out_list = [(k, v) for k, v in response.headers.raw
                    if k.decode("latin-1").lower()
                    not in _DROP_FROM_RESPONSE | {"access-control-expose-headers"}]
        if "access-control-allow-origin" in out:
            # A page on another origin (the frontend's dev server) may read the findings too.
            exposed = [out["access-control-expose-headers"]] \
                if "access-control-expose-headers" in out else []
            out_list.append((b"access-control-expose-headers", ", ".join(
                [*exposed, "X-Contract-Violations", "X-Contract-Violation"]).encode()))
        check = (scope["method"], scope["path"], query, request_headers, response.status_code)
        if out.get("content-type", "").startswith("text/event-stream"):
            # Known before the body: status and headers. Events are checked once passed on.
            violations += self.checker.check(*check, out, b"", part="head")
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": out_list + self._headers(violations)})
            kept, size = [], 0
            async for chunk in response.aiter_bytes():
                if size < CAPTURE_LIMIT:
                    kept.append(chunk)
                    size += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            events = b"".join(kept)
            if size < CAPTURE_LIMIT:
                violations += self.checker.check(*check, out, events, part="events")
            return Body(out.get("content-type", ""), events, size)
        body = await response.aread()
        violations += self.checker.check(*check, out, body)
        out_list.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": out_list + self._headers(violations)})
        await send({"type": "http.response.body", "body": body})
        return Body(out.get("content-type", ""), body, len(body))

    @staticmethod
    def _headers(violations: list[str]) -> list[tuple[bytes, bytes]]:
        out = [(VIOLATIONS_HEADER.encode(), str(len(violations)).encode())]
        if violations:
            out.append((SUMMARY_HEADER.encode(), _summary(violations).encode()))
        return out

    async def _check_request(self, scope: Scope, headers: dict[str, str], query: str,
                             body: bytes) -> list[str]:
        operation_id, path_params = self.operations.find(scope["method"], scope["path"])
        if operation_id is None:
            if scope["method"] == "OPTIONS":
                return []  # CORS preflight: not an operation of the contract
            return [f"request: {scope['method']} {scope['path']} is not an operation of the "
                    "contract"]
        op: OperationSpec = self.validator.operations[operation_id]
        media_type = headers.get("content-type", "").split(";")[0].strip().lower() or None
        cookies = {}
        if "cookie" in headers:
            try:
                cookies = {k: m.value for k, m in SimpleCookie(headers["cookie"]).items()}
            except CookieError:
                cookies = {}  # judged as absent; forwarded as sent
        form = None
        try:
            if len(body) > op.body_limit:
                return [f"request: body of {len(body)} bytes exceeds {op.body_limit}"]
            if media_type == "multipart/form-data" and body and media_type in op.body_validators:
                from .app import _parse_multipart  # the server's own parser
                form = await _parse_multipart(scope, body)
            await self.offload.validate(op, path_params, query.encode("latin-1"), headers,
                                        cookies, media_type, body, form)
        except HelperBusy:
            return []  # not judged (the helper could not take the body now): forwarded as sent
        except ApiError as exc:
            return _request_violations(exc)
        finally:
            for value in (form or {}).values():
                if hasattr(value, "close"):
                    await value.close()
        return []


    def _write_recording(self, scope: Scope, headers: dict[str, str], query: str, status: int,
                         body: bytes, answered: Body) -> None:
        operation_id, _ = self.operations.find(scope["method"], scope["path"])
        if operation_id is None:
            return  # not an operation of the contract (a favicon, a CORS preflight)
        self.recorder.write(
            user=self.recorder.user(headers.get("authorization", ""), query),
            method=scope["method"], path=scope["path"], query=query, operation=operation_id,
            status=status, request=(headers.get("content-type", ""), body),
            # A stream longer than CAPTURE_LIMIT was not kept whole: recorded by size only.
            response=(str(answered.media_type),
                      answered.data if len(answered.data) == answered.size else b""))

    def _record(self, session: str, scope: Scope, query: str, status: int, started: float,
                violations: list[str], request: Body = Body(), response: Body = Body()) -> None:
        self.journal.record(session, time.time(), scope["method"], scope["path"], query,
                            status, (time.perf_counter() - started) * 1000, violations,
                            request, response)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The large-body helper starts now, in the background (as the server's does).
                self._helper = asyncio.get_running_loop().create_task(self.offload.start())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._helper is not None:
                    self._helper.cancel()
                self.offload.close()
                if self.recorder is not None:
                    self.recorder.close()
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
