"""The access log (reference_impl/edge.py): uvicorn's line per response, batched per loop turn."""

from __future__ import annotations

import asyncio
import io
import os

import httpx

from reference_impl.cli import _parser, _settings_from
from reference_impl.edge import Edge


async def _app(scope, receive, send):
    status = 404 if scope["path"].startswith("/missing") else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _requests(app, *paths: str) -> list[httpx.Response]:
    async def go():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50422))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            responses = [await client.get(path) for path in paths]
            await asyncio.sleep(0)  # the batch is written when the loop turns
            return responses
    return asyncio.run(go())


def test_one_line_per_response_in_uvicorns_format() -> None:
    log = io.StringIO()
    responses = _requests(Edge(_app, log=log), "/api/v1/health", "/missing?x=1")
    assert [r.headers["x-content-type-options"] for r in responses] == ["nosniff", "nosniff"]
    assert log.getvalue().splitlines() == [
        f'INFO:     [{os.getpid()}] 127.0.0.1:50422 - "GET /api/v1/health HTTP/1.1" 200 OK',
        f'INFO:     [{os.getpid()}] 127.0.0.1:50422 - "GET /missing?x=1 HTTP/1.1" 404 Not Found',
    ]


def test_a_client_cannot_forge_a_log_line() -> None:
    log = io.StringIO()
    _requests(Edge(_app, log=log), "/a%0AINFO:%20forged", "/b?q=%0A")
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and not any(line.startswith("INFO: forged") for line in lines)
    # Raw control bytes in a query (an HTTP client refuses to send them; a socket can).
    raw = {"type": "http", "method": "GET", "path": "/b", "query_string": b"q=\n\x1b[2J",
           "http_version": "1.1", "client": ("127.0.0.1", 1)}
    line = Edge(_app, log=log)._line(raw, 200)
    assert line.count("\n") == 1 and "\x1b" not in line and "q=\\x0a\\x1b[2J" in line


def test_no_log_and_no_nosniff_when_told() -> None:
    [response] = _requests(Edge(_app, nosniff=False, log=None), "/api/v1/health")
    assert "x-content-type-options" not in response.headers


def test_serve_logs_by_default_and_not_with_no_access_log() -> None:
    assert _settings_from(_parser().parse_args([])).access_log is True
    assert _settings_from(_parser().parse_args(["--no-access-log"])).access_log is False
