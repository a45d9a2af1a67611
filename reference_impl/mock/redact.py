"""Secrets out of what the journal shows and the proxy records: one list, one replacement.

A secret is the value of a field named in SECRET_FIELDS, wherever it appears: a JSON object
at any depth (a password, a provider's API key, an access token, a stream ticket), a form
field (createToken's password) or a query parameter (`?ticket=`). Headers are never kept.
A body cut short (the journal keeps its first bytes) is redacted by pattern, so a secret
cut in half is still replaced.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["SECRET_FIELDS", "REDACTED", "redact_value", "redact_text", "query_view",
           "body_view", "is_json", "is_text"]

SECRET_FIELDS = frozenset({"password", "api_key", "access_token", "refresh_token", "ticket",
                           "client_secret", "token"})
REDACTED = "[redacted]"
_NAMES = "|".join(sorted(SECRET_FIELDS))
_JSON_FIELD = re.compile(rf'("(?:{_NAMES})"\s*:\s*)"(?:[^"\\]|\\.)*"?')
_FORM_FIELD = re.compile(rf"(?:^|(?<=[&?]))((?:{_NAMES})=)[^&]*")


def is_json(media_type: str) -> bool:
    media_type = media_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def is_text(media_type: str) -> bool:
    media_type = media_type.split(";")[0].strip().lower()
    return media_type.startswith("text/") or media_type == "application/x-www-form-urlencoded" \
        or is_json(media_type)


def redact_value(value: Any) -> Any:
    """A parsed JSON value with every secret field's value replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_FIELDS and value[k] is not None else redact_value(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def redact_text(text: str) -> str:
    """Secret fields replaced in JSON-ish or form-encoded text that may be cut short."""
    return _FORM_FIELD.sub(rf"\1{REDACTED}", _JSON_FIELD.sub(rf'\1"{REDACTED}"', text))


def query_view(query: str) -> str:
    if not any(f"{name}=" in query for name in SECRET_FIELDS):
        return query
    return _FORM_FIELD.sub(rf"\1{REDACTED}", query)


def _text(media_type: str, data: bytes, complete: bool) -> str:
    text = data.decode("utf-8", "replace")
    if is_json(media_type) and complete:
        try:
            return json.dumps(redact_value(json.loads(text)), ensure_ascii=False)
        except ValueError:
            pass  # not JSON after all: redacted as text below
    if media_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded" \
            and complete:
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, REDACTED if k in SECRET_FIELDS else v) for k, v in pairs], safe="[]")
    return redact_text(text)


def body_view(body: Any) -> dict[str, Any]:
    """A journal `Body` as the admin API shows it: text with secrets redacted, or a size."""
    media_type, data, size = body
    if isinstance(media_type, bytes):
        media_type = media_type.decode("latin-1")
    view: dict[str, Any] = {"media_type": media_type, "size": size, "truncated": len(data) < size}
    if not size:
        view["text"] = ""
    elif is_text(media_type):
        view["text"] = _text(media_type, data, complete=len(data) == size)
    else:
        view["text"] = None  # binary or multipart: shown by size only
    return view
