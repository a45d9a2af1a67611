"""Which contract path a request path means, with OpenAPI's precedence: concrete paths first.

OpenAPI says a concrete path wins over a templated one that also matches (`/items/search`
over `/items/{item_id}`). Connexion hands its routes to Starlette, which takes the first route
matching path *and* method, so on its own it would route `PATCH /items/search` to the template's
PATCH. `PathTable` decides the path first, then the method: a method the chosen path does not
declare is a 405 whose `Allow` lists what that path does declare. `MethodGuard` applies it to
every request before Connexion routes it, and leaves the contract path it matched in the scope,
where `ConnexionRoutes` finds Connexion's route for it without trying every route in turn.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, send_error

__all__ = ["PathTable", "MethodGuard", "Route", "ConnexionRoutes", "specificity"]

PATH_KEY = "chat_contract.path"  # the scope entry holding the contract path MethodGuard matched

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
            if found is not None:
                if scope["method"] not in found.methods:
                    await send_error(send, ApiError("Method Not Allowed", status=405,
                                                    headers={"Allow": found.allow}))
                    return
                scope[PATH_KEY] = found.template
        await self.app(scope, receive, send)


class ConnexionRoutes:
    """Connexion's router, entered at the route for the contract path MethodGuard matched.

    Starlette's router tries Connexion's 38 routes one after another, a regular expression
    each: about 10% of a read's time (py-spy under wrk). The route is the same one Starlette
    would pick: it still matches the request itself (path parameters, method), and anything
    it does not match fully goes to Connexion's router as before.
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        self.routes = {(route.path, method): route for route in router.routes
                       for method in getattr(route, "methods", None) or ()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get((scope.get(PATH_KEY), scope.get("method")))
        if route is not None:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.setdefault("router", self.router)
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
        await self.router(scope, receive, send)
