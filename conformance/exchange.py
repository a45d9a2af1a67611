"""A recorded request and response, with secrets redacted, as reports show them."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .redaction import REDACTED, SECRET_HEADERS, harvest, redact, redact_text

__all__ = ["Exchange", "redact_headers", "redact_text"]

_MAX_BODY = 4000
_SCANNED = _MAX_BODY + 1024  # redacted before the cut: no secret left half-shown


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else redact(v)) for k, v in headers.items()}


_Body = tuple[str, int]  # the part of a body a report can show, and the body's whole length


def _kept(body: bytes | str | None) -> _Body:
    if body is None:
        return "", 0
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return body[:_SCANNED], len(body)


def _body_text(body: _Body) -> str:
    text, length = body
    # Redacted before the cut (no secret left half-shown there), over a bounded stretch.
    text = redact(text)
    if length > _MAX_BODY:
        text = text[:_MAX_BODY] + f"... ({length - _MAX_BODY} more characters)"
    return text


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """What was sent and answered. Recording harvests its credentials at once; the redacted
    text is made only when a report reads it (most exchanges are never shown, and a run that
    handles thousands of secrets would otherwise redact every one of its requests)."""

    method: str
    raw_url: str
    raw_request_headers: dict[str, str]
    raw_request_body: _Body
    status: int | None
    raw_response_headers: dict[str, str]
    raw_response_body: _Body

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
        return cls(method=method, raw_url=url, raw_request_headers=dict(request_headers),
                   raw_request_body=_kept(request_body), status=status,
                   raw_response_headers=dict(response_headers), raw_response_body=_kept(response_body))

    @cached_property
    def url(self) -> str:
        return redact(self.raw_url)

    @cached_property
    def request_headers(self) -> dict[str, str]:
        return redact_headers(self.raw_request_headers)

    @cached_property
    def request_body(self) -> str:
        return _body_text(self.raw_request_body)

    @cached_property
    def response_headers(self) -> dict[str, str]:
        return redact_headers(self.raw_response_headers)

    @cached_property
    def response_body(self) -> str:
        return _body_text(self.raw_response_body)

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
