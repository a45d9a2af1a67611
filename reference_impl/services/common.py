"""Shared rules: ids, times, cursors, languages and the contract shapes of stored rows."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from ..errors import RequestValidationError, field_error
from ..store import Store

__all__ = ["new_id", "now", "encode_cursor", "decode_cursor", "page_of", "language",
           "message_out", "attachment_out", "parse_instant"]


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> str:
    """UTC, fixed width with microseconds, so stored strings sort like the instants."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> str:
    value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CURSOR = re.compile(r"^s([0-9]{1,18})$")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The seq a cursor points after; a cursor this server did not issue is a 422."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _CURSOR.match(text)
    if not match:
        raise RequestValidationError([field_error(["query", "cursor"], "Invalid cursor",
                                                  "value_error")])
    return int(match.group(1))


def page_of(rows: list[dict[str, Any]], limit: int, shape) -> dict[str, Any]:
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [shape(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1]["seq"]) if more else None}


def language(accept_language: str | None) -> str:
    """`fr` when French is preferred over English, else the default `en` (RFC 9110 q-values)."""
    best, best_q = "en", 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag in ("en", "fr") and q > best_q:
            best, best_q = tag, q
    return best


def attachment_out(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "message_id", "filename", "content_type", "size_bytes",
                                "sha256", "created_at")}


def message_out(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    attachments = store.all("SELECT * FROM attachments WHERE message_id = ? ORDER BY seq "
                            "LIMIT 100", row["id"])
    return {
        "id": row["id"], "conversation_id": row["conversation_id"],
        "parent_id": row["parent_id"], "role": row["role"], "content": row["content"],
        "deanonymized_content": row["original"], "status": row["status"],
        "model": row["model"], "input_tokens": row["input_tokens"],
        "output_tokens": row["output_tokens"], "reactions": row["reactions"],
        "feedback": row["feedback"], "metadata": row["metadata"],
        "attachments": [attachment_out(a) for a in attachments],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
    }
