"""Which contract path a request path means, with OpenAPI's precedence: concrete paths first.

OpenAPI says a concrete path wins over a templated one that also matches (`/conversations/
bulk-delete` over `/conversations/{conversation_id}`). Connexion hands its routes to Starlette,
which takes the first route matching path *and* method, so on its own it would route
`PATCH /conversations/bulk-delete` to `updateConversation`. `PathTable` decides the path first,
then the method: a method the chosen path does not declare is a 405 whose `Allow` lists what
that path does declare. `MethodGuard` applies it to every request before Connexion routes it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, send_error

__all__ = ["PathTable", "MethodGuard", "Route", "specificity"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def specificity(template: str) -> tuple[int, ...]:
    """Sort key: at the first segment where two paths differ, the concrete one comes first."""
    return tuple(1 if "{" in segment else 0 for segment in template.strip("/").split("/"))


class Route(NamedTuple):
    template: str
    methods: frozenset[str]  # upper case, HEAD included wherever GET is
    allow: str               # the `Allow` header value


class PathTable:
    """The contract's paths: an exact lookup for concrete ones, ordered patterns for the rest."""

    def __init__(self, paths: dict[str, Any]) -> None:
        self.concrete: dict[str, Route] = {}
        self.templated: list[tuple[re.Pattern[str], Route]] = []
        for template in sorted(paths, key=specificity):
            declared = [m.upper() for m in _METHODS if m in paths[template]]
            if "GET" in declared and "HEAD" not in declared:
                declared.insert(declared.index("GET") + 1, "HEAD")  # served with every GET
            route = Route(template, frozenset(declared), ", ".join(declared))
            if "{" not in template:
                self.concrete[template] = route
                continue
            # A template parameter is one non-empty path segment.
            pattern = re.escape(template)
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", pattern)
            self.templated.append((re.compile(f"^{pattern}$"), route))

    def match(self, path: str) -> Route | None:
        """The contract path `path` means, or None when it means none."""
        found = self.concrete.get(path)
        if found is not None:
            return found
        for pattern, route in self.templated:
            if pattern.match(path):
                return route
        return None

    def allow(self, path: str) -> str | None:
        found = self.match(path)
        return found.allow if found else None


class MethodGuard:
    """405 with the right `Allow` for a method the matched contract path does not declare."""

    def __init__(self, app: ASGIApp, table: PathTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.table.match(scope["path"])
            if found is not None and scope["method"] not in found.methods:
                await send_error(send, ApiError("Method Not Allowed", status=405,
                                                headers={"Allow": found.allow}))
                return
        await self.app(scope, receive, send)
