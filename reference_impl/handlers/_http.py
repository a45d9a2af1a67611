"""What every handler shares: the request context and JSON responses."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..services.common import language
from ..validation import ParsedRequest

__all__ = ["json_response", "no_content", "parts", "lang_of"]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status,
                    headers=headers, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def parts(context: dict[str, Any]) -> tuple[Any, str | None, ParsedRequest]:
    """The store, the signed-in user's id (None on public operations) and the request."""
    user = context.get("user")
    return context["state"].store, (user["id"] if user else None), context["call"]


def lang_of(call: ParsedRequest) -> str:
    return language(call.headers.get("Accept-Language"))
