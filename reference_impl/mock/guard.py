"""Who may use the admin API under /__mock/: the holder of the token printed at start-up.

A page on another origin once wiped every user's data with a simple cross-site
`POST text/plain`, and anyone could read the journal (every user's paths and share ids). Two
locks, as Jupyter does it (docs/mock-controls.md, "Who may use the admin API"):

- every admin request carries `X-Mock-Token: <token>`; the token is printed when the server
  starts, or set with CHAT_CONTRACT_MOCK_TOKEN. A non-simple header, so a browser cannot
  send it cross-origin without a preflight, and a page cannot know its value anyway;
- a request whose `Origin` is not the server's own is refused before the token is looked at,
  so even a page holding the token cannot drive the admin API from another origin.

The admin API's own OpenAPI document, the health check and the console's static page
(mock/console.py) stay open to anyone: they hold no data, and load balancers poll the health
check without a token. What the console shows, it reads with the token.
"""

from __future__ import annotations

import hmac
import os
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ApiError, send_error

__all__ = ["AdminGuard", "admin_token", "TOKEN_HEADER", "TOKEN_VARIABLE"]

TOKEN_HEADER = "X-Mock-Token"
TOKEN_VARIABLE = "CHAT_CONTRACT_MOCK_TOKEN"
# Open to anyone: they describe, report liveness or are a static page, and hold no data.
OPEN_PATHS = {"/__mock/openapi.yaml", "/__mock/health", "/__mock/console"}


def admin_token(explicit: str | None = None) -> str:
    """The token: given, else from the environment (shared by workers), else a fresh one."""
    return explicit or os.environ.get(TOKEN_VARIABLE) or secrets.token_urlsafe(24)


class AdminGuard:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        if origin is not None and origin != _own_origin(scope, headers):
            await send_error(send, ApiError(
                "The admin API refuses requests from pages on other origins", status=403))
            return
        given = headers.get(TOKEN_HEADER.lower().encode(), b"")
        if not hmac.compare_digest(given, self.token):
            await send_error(send, ApiError(
                f"The admin API needs the {TOKEN_HEADER} header printed at start-up",
                status=401, headers={"WWW-Authenticate": TOKEN_HEADER}))
            return
        await self.app(scope, receive, send)


def _own_origin(scope: Scope, headers: dict[bytes, bytes]) -> bytes:
    host = headers.get(b"host")
    if host is None:
        server = scope.get("server") or ("", None)
        host = f"{server[0]}:{server[1]}".encode()
    return scope.get("scheme", "http").encode() + b"://" + host
