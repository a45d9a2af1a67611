"""What every response gets on its way out: `X-Content-Type-Options: nosniff`, and its line in
the access log.

Both happen in one wrapper around `send`, the outermost layer, so they cover every response:
errors, the admin API and Swagger UI included.

- **nosniff.** Attachments come back as uploaded: without it a browser may sniff an uploaded
  HTML or script file and run it in the server's origin.
- **The access log.** uvicorn writes its access log through `logging`: a LogRecord, a caller
  lookup, a formatter and a flush for every request, about 15% of a read's time (py-spy under
  wrk). Here a line is one formatted string added to a batch, and the batch is written once,
  when the event loop turns: uvicorn's text (`INFO:     [pid] 127.0.0.1:50422 - "GET /path
  HTTP/1.1" 200 OK`) on uvicorn's stream (stdout).
"""

from __future__ import annotations

import asyncio
import os
import re
from http import HTTPStatus
from typing import TextIO
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Edge"]

_NOSNIFF = (b"x-content-type-options", b"nosniff")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
# The path is logged percent-encoded and control characters of the query escaped, so a client
# cannot start a log line of its own (a decoded %0A) or hide text behind escape sequences.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class Edge:
    """`nosniff` on every response (unless told not to: the proxy passes headers through), and
    an access-log line per response on `log` (None: no access log)."""

    def __init__(self, app: ASGIApp, *, nosniff: bool = True, log: TextIO | None = None) -> None:
        self.app = app
        self.nosniff = nosniff
        self.log = log
        colour = log is not None and getattr(log, "isatty", lambda: False)()
        level = "\x1b[32mINFO\x1b[0m:" if colour else "INFO:"  # uvicorn's green on a terminal
        self.prefix = f"{level}     [{os.getpid()}] "
        self._batch: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def edge_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.nosniff:
                    message = {**message, "headers": [*message.get("headers", []), _NOSNIFF]}
                if self.log is not None:
                    self._add(self._line(scope, message["status"]))
            await send(message)
        await self.app(scope, receive, edge_send)

    def _line(self, scope: Scope, status: int) -> str:
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else "-"
        target = quote(scope.get("root_path", "") + scope["path"])
        if scope.get("query_string"):
            query = scope["query_string"].decode("ascii", "backslashreplace")
            target += "?" + _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", query)
        return (f'{self.prefix}{where} - "{scope["method"]} {target} HTTP/{scope["http_version"]}" '
                f"{status} {_PHRASES.get(status, '')}\n")

    def _add(self, line: str) -> None:
        if not self._batch:
            asyncio.get_running_loop().call_soon(self.flush)
        self._batch.append(line)

    def flush(self) -> None:
        lines, self._batch = "".join(self._batch), []
        try:
            self.log.write(lines)
            self.log.flush()
        except (OSError, ValueError):
            pass  # a closed or full stdout must not fail the requests being served
