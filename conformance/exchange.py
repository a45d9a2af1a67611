"""A recorded request and response, with secrets redacted, as reports show them."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from .redaction import REDACTED, SECRET_HEADERS, harvest, redact, redact_text

__all__ = ["Exchange", "redact_headers", "redact_text"]

_MAX_BODY = 4000


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else redact(v)) for k, v in headers.items()}


def _body_text(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    # Redacted before the cut (no secret left half-shown there), over a bounded stretch.
    body = redact(body[:_MAX_BODY + 1024]) + body[_MAX_BODY + 1024:]
    if len(body) > _MAX_BODY:
        body = body[:_MAX_BODY] + f"... ({len(body) - _MAX_BODY} more characters)"
    return body


@dataclass(frozen=True, kw_only=True)
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str

    @classmethod
    def build(
        cls,
        *,
        method: str,
        url: str,
        request_headers: dict[str, str],
        request_body: bytes | str | None,
        status: int | None,
        response_headers: dict[str, str],
        response_body: bytes | str | None,
    ) -> Exchange:
        # Every credential this exchange carries is a secret of the run from now on.
        harvest(url=url, headers=request_headers, request_body=request_body,
                response_body=response_body)
        return cls(
            method=method,
            url=redact(url),
            request_headers=redact_headers(dict(request_headers)),
            request_body=_body_text(request_body),
            status=status,
            response_headers=redact_headers(dict(response_headers)),
            response_body=_body_text(response_body),
        )

    @property
    def curl(self) -> str:
        parts = ["curl", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            if name.lower() in {"content-length", "host", "accept-encoding", "connection", "user-agent"}:
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body:
            parts += ["--data-binary", shlex.quote(self.request_body)]
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": {"method": self.method, "url": self.url, "headers": self.request_headers,
                        "body": self.request_body},
            "response": {"status": self.status, "headers": self.response_headers, "body": self.response_body},
            "curl": self.curl,
        }

    def json_body(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None
