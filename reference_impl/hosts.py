"""The names this server answers to: a request with another `Host` answers 400 (DNS rebinding).

A page on `rebind.evil.example`, whose name its owner makes resolve to 127.0.0.1, is
same-origin with itself: the browser lets it call the server and read the answers, and CORS
never applies. The one thing that differs is the `Host` header it sends, so the server checks
it before anything else. Allowed by default: the local names (`localhost`, `127.0.0.1`,
`[::1]`), on any port; `chat-contract serve` adds the name given to `--host`, the host of each
`--cors-origin`, and each `--allowed-host` (`*`: no check). A request without `Host` (HTTP/1.0
from a tool; a browser always sends one) is served.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HostGuard", "LOCAL_HOSTS", "allowed_hosts", "host_name"]

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = {"0.0.0.0", "::", ""}
# name[:port] or [IPv6][:port]; anything else (userinfo, two ports, spaces) is not a Host.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]@/\s]+))(?::[0-9]{1,5})?")


def host_name(value: str) -> str | None:
    """The name a Host header value gives, lowercased, without port or final dot."""
    match = _HOST.fullmatch(value)
    if match is None:
        return None
    return (match.group("v6") or match.group("name")).lower().rstrip(".") or None


def allowed_hosts(host: str, cors_origins: Iterable[str], extra: Iterable[str]
                  ) -> tuple[str, ...] | None:
    """The names `chat-contract serve --host H --cors-origin O --allowed-host A` answers to."""
    extra = list(extra)
    if "*" in extra:
        return None
    names = list(LOCAL_HOSTS)
    if host.strip("[]") in _WILDCARDS:
        names += _this_machine()  # every address: the machine's own names and addresses
    else:
        names.append(host)
    names += [urlsplit(origin).hostname or "" for origin in cors_origins]
    names += extra
    found = (host_name(n) or host_name(f"[{n}]") for n in names)
    return tuple(dict.fromkeys(n for n in found if n))


def _this_machine() -> list[str]:
    names = [socket.gethostname(), socket.getfqdn()]
    try:
        names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    except OSError:
        pass
    return names


class HostGuard:
    """400 `{"detail": ...}` for a request whose Host is not allowed (None: every Host)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None) -> None:
        self.app = app
        self.allowed = None if allowed is None else frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed is not None and scope["type"] in ("http", "websocket"):
            host = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
            if host is not None and host_name(host.decode("latin-1")) not in self.allowed:
                await _refuse(scope, send, host.decode("latin-1"))
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, host: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    detail = (f"This server does not answer to the host {host[:100]!r} (a page may be reaching "
              "it through DNS rebinding); start it with --allowed-host NAME to allow a name")
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
