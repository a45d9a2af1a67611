"""Swagger UI with this server in its servers list, out of the way of API requests.

Connexion serves the contract with `servers` replaced by the request's root path (`""` when
mounted at the root), which Swagger UI shows as an empty servers list. The served document
names the server the browser is talking to instead, so "Try it out" says where it sends.

Connexion's Swagger UI middleware routes every request through a router of its own (a copy of
the scope, a mount, its routes) before passing it on. A request MethodGuard matched to a path
of the contract is not for Swagger UI (/docs, /openapi.json): it is passed on at once.
"""

from __future__ import annotations

import typing as t

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from starlette.types import Receive, Scope, Send

from .routing import PATH_KEY

__all__ = ["ServedSwaggerUI"]


class _SwaggerUIAPI(SwaggerUIAPI):
    def _spec_for_prefix(self, request) -> dict:  # noqa: ANN001 - Connexion's signature
        spec = super()._spec_for_prefix(request)
        here = str(request.base_url).rstrip("/") + self._base_path_for_prefix(request)
        return {**spec, "servers": [{"url": here, "description": "this reference server"}]}


class ServedSwaggerUI(SwaggerUIMiddleware):
    def add_api(self, specification, base_path: str | None = None,  # noqa: ANN001
                arguments: dict | None = None, **kwargs: t.Any) -> None:
        api = _SwaggerUIAPI(specification, base_path=base_path, arguments=arguments,
                            default=self.default_fn, **kwargs)
        self.router.mount(api.base_path, app=api.router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if PATH_KEY in scope:  # a contract path: never one of Swagger UI's
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
