"""Swagger UI with this server in its servers list, out of the way of API requests.

Connexion serves the contract with `servers` replaced by the request's root path (`""` when
mounted at the root), which Swagger UI shows as an empty servers list. The served document
names the server the browser is talking to instead, so "Try it out" says where it sends.

The Authorize dialog is trimmed to what signs a user in here: the password flow's username
and password. The contract's tokens need no client id or secret (createToken ignores them),
so those fields are hidden; a stream ticket is for a browser's own `EventSource`, which
Swagger UI is not, so Swagger UI reads a copy of the document without the `StreamTicket`
scheme (`/openapi.json` itself stays complete, for 3.0-only tools).

Connexion's Swagger UI middleware routes every request through a router of its own (a copy of
the scope, a mount, its routes) before passing it on. A request MethodGuard matched to a path
of the contract is not for Swagger UI (/docs, /openapi.json): it is passed on at once.
"""

from __future__ import annotations

import json
import typing as t

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from .routing import PATH_KEY

__all__ = ["ServedSwaggerUI", "SWAGGER_UI_DOCUMENT", "HIDDEN_SCHEMES"]

SWAGGER_UI_DOCUMENT = "/swagger-ui.json"  # under the Swagger UI path: /docs/swagger-ui.json
HIDDEN_SCHEMES = ("StreamTicket",)
# The password flow's rows Swagger UI 4 always draws (client id, secret and where to send them;
# each is the element whose direct child is the field's label), and its text about scopes (the
# contract's flow has none).
_DIALOG_STYLE = """<style>
.auth-container :has(> label[for="client_id"]),
.auth-container :has(> label[for="client_secret"]),
.auth-container :has(> label[for="password_type"]),
.modal-ux .scope-def { display: none; }
</style>"""


def _without_schemes(spec: dict, hidden: tuple[str, ...]) -> dict:
    """The document without the named security schemes, and the requirements naming them."""
    def keep(requirements: list[dict]) -> list[dict]:
        return [r for r in requirements if not set(r) & set(hidden)]

    schemes = {k: v for k, v in spec["components"]["securitySchemes"].items() if k not in hidden}
    paths = {path: {method: ({**op, "security": keep(op["security"])}
                             if isinstance(op, dict) and "security" in op else op)
                    for method, op in item.items()}
             for path, item in spec["paths"].items()}
    return {**spec, "security": keep(spec.get("security", [])), "paths": paths,
            "components": {**spec["components"], "securitySchemes": schemes}}


class _SwaggerUIAPI(SwaggerUIAPI):
    def _spec_for_prefix(self, request) -> dict:  # noqa: ANN001 - Connexion's signature
        spec = super()._spec_for_prefix(request)
        here = str(request.base_url).rstrip("/") + self._base_path_for_prefix(request)
        return {**spec, "servers": [{"url": here, "description": "this reference server"}]}

    def add_swagger_ui(self) -> None:
        ui_path = self.options.swagger_ui_path.strip().rstrip("/")
        self.router.add_route(methods=["GET"], path=ui_path + SWAGGER_UI_DOCUMENT,
                              endpoint=self._get_swagger_ui_document)
        super().add_swagger_ui()

    async def _get_swagger_ui_document(self, request) -> Response:  # noqa: ANN001
        spec = _without_schemes(self._spec_for_prefix(request), HIDDEN_SCHEMES)
        return Response(json.dumps(spec, default=str), media_type="application/json")

    async def _get_swagger_ui_home(self, req) -> Response:  # noqa: ANN001
        ui_path = self.options.swagger_ui_path.strip().rstrip("/")
        page = self._templates.get_template("index.j2").render(
            openapi_spec_url=self._base_path_for_prefix(req) + ui_path + SWAGGER_UI_DOCUMENT,
            **self.options.swagger_ui_template_arguments)
        return HTMLResponse(page.replace("</head>", _DIALOG_STYLE + "\n</head>", 1))


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
