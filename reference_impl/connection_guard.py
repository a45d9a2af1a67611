"""Slow and idle clients are timed out, and open connections are capped (issue 18, #9).

uvicorn times out only an idle keep-alive connection (after a response). A client that opens a
connection and sends nothing, trickles its request headers a byte at a time (slowloris) or
trickles its body kept its connection, and its file descriptor, for good: 300 such connections
locked every client out of a server limited to 256 descriptors.

uvicorn's own HTTP protocols (httptools when installed, else h11), with three additions:

- **header deadline** (`header_timeout`): from the connection's start, or from the first byte of
  a next request on a kept-alive connection, to the end of the request's headers;
- **body deadline** (`body_timeout`): from the end of the headers to the end of the body;
- **connection cap** (`max_connections`): a connection beyond it is answered 503 at once and
  closed, before a descriptor more is spent on reading it. The default stays below the
  process's descriptor limit, so the cap is reached before `accept` fails.

A missed deadline answers 408 `{"detail": ...}` and closes the connection when no response has
started, and just closes it otherwise. uvicorn's `timeout_keep_alive` covers the idle time
between requests. A request line or header the parser refuses answers the contract's
`{"detail": ...}` 400 instead of uvicorn's plain text.

The limits are module state (`configure`): uvicorn imports the protocol by name in each worker
process, where the app factory (`cli.build_app_from_env`) configures them from the same flags.
"""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass, replace
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["Limits", "configure", "limits", "protocol", "default_max_connections",
           "TARGET_EXTENSION"]

TARGET_EXTENSION = "chat_contract.request_target"  # scope["extensions"]: the target as sent

_DESCRIPTOR_RESERVE = 64  # the database, attachments, the helper's pipes, logs


def default_max_connections() -> int:
    """1,000, or fewer when the process may open fewer descriptors."""
    try:
        import resource  # POSIX only
    except ImportError:
        return 1000
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(16, min(1000, soft - _DESCRIPTOR_RESERVE))


@functools.lru_cache(maxsize=1)
def _default_cap() -> int:
    return default_max_connections()


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 0  # 0: default_max_connections()


_limits = Limits()


def configure(**values: Any) -> Limits:
    global _limits
    _limits = replace(_limits, **values)
    return _limits


def limits() -> Limits:
    return _limits


def _response(status: bytes, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n"
            b"x-content-type-options: nosniff\r\n\r\n" + body)


class _Guard:
    """Mixed into a uvicorn HTTP protocol: the deadlines and the cap."""

    transport: asyncio.Transport
    connections: set
    cycle: Any
    loop: asyncio.AbstractEventLoop

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._timer: asyncio.TimerHandle | None = None
        self._phase: str | None = None  # "headers" or "body": what the timer waits for
        self._seen_cycle: Any = None  # the latest request whose headers were complete
        cap = _limits.max_connections or _default_cap()
        if len(self.connections) > cap:
            transport.write(_response(b"503 Service Unavailable",
                                      "Too many open connections; try again shortly"))
            transport.close()
            return
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self._phase is None and (self.cycle is None or self.cycle.response_complete):
            self._arm("headers")  # the first bytes of a next request
        super().data_received(data)  # type: ignore[misc]
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._follow()  # h11 parses a pipelined request only now

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_response(b"400 Bad Request", msg))
            self.transport.close()

    def _follow(self) -> None:
        """Headers complete: the body's deadline replaces theirs; body complete: no deadline."""
        cycle = self.cycle
        if cycle is None:
            return
        if cycle is not self._seen_cycle:
            self._seen_cycle = cycle
            if cycle.more_body:
                self._arm("body")
            else:
                self._disarm()
        elif self._phase == "body" and not cycle.more_body:
            self._disarm()

    def _arm(self, phase: str) -> None:
        self._disarm()
        seconds = _limits.header_timeout if phase == "headers" else _limits.body_timeout
        self._phase = phase
        self._timer = self.loop.call_later(seconds, self._late)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._phase = None

    def _late(self) -> None:
        phase, self._timer, self._phase = self._phase, None, None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if phase == "body" and (cycle is None or not cycle.more_body):
            return
        # A response of our own only where none is under way on this connection.
        idle = cycle is None or cycle.response_complete or (
            phase == "body" and not cycle.response_started)
        if idle:
            self.transport.write(_response(b"408 Request Timeout",
                                           f"Request {phase} not received in time"))
        self.transport.close()


class GuardedH11Protocol(_Guard, H11Protocol):
    pass


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional: h11 then, as uvicorn's "auto" does
    GuardedHttpToolsProtocol = None
else:
    class GuardedHttpToolsProtocol(_Guard, HttpToolsProtocol):  # type: ignore[no-redef]
        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            # httptools keeps only the path of an absolute-form target ("http://other/x"):
            # the request target as sent, for those who must refuse it (the proxy). h11 keeps
            # it whole in raw_path already.
            self.scope.setdefault("extensions", {})[TARGET_EXTENSION] = bytes(self.url)


def protocol(http: str = "auto") -> str:
    """The guarded protocol for uvicorn's `http` setting, by import name (workers import it)."""
    if http == "h11" or GuardedHttpToolsProtocol is None:
        return f"{__name__}:GuardedH11Protocol"
    return f"{__name__}:GuardedHttpToolsProtocol"
