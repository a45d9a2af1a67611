"""Shared rules: ids, times, cursors, languages and the contract shapes of stored rows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from ..store import Store

__all__ = ["new_id", "now", "ago", "encode_cursor", "decode_cursor", "page_of", "language", "attachments_of",
           "message_out", "attachment_out", "parse_instant"]


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> str:
    """UTC, fixed width with microseconds, so stored strings sort like the instants."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"  # +00:00


def ago(seconds: float) -> str:
    """The instant `seconds` before now, as `now()` writes instants."""
    instant = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    return instant.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_instant(text: str) -> str:
    value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Cursors are keyset positions (a row's `seq`) written as a number in base-64url digits. Every
# string the contract's Cursor parameter allows (^[A-Za-z0-9_-]+$, up to 200 characters) reads
# as some number, so every such cursor is a position: no cursor is ever rejected, one beyond
# the last row simply gives an empty page. Positions are clamped to SQLite's integer range.
_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(_DIGITS)}
_MAX_POSITION = 2 ** 63 - 1


def encode_cursor(seq: int) -> str:
    digits = ""
    while True:
        seq, rest = divmod(seq, 64)
        digits = _DIGITS[rest] + digits
        if seq == 0:
            return digits


def decode_cursor(cursor: str | None) -> int | None:
    """The keyset position a cursor names (None: from the start)."""
    if cursor is None:
        return None
    position = 0
    for char in cursor:
        # Validation has held the cursor to the alphabet; anything else counts as digit 0.
        position = position * 64 + _VALUE.get(char, 0)
        if position > _MAX_POSITION:
            return _MAX_POSITION
    return position


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


def message_out(store: Store, row: dict[str, Any],
                attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The contract's Message; `attachments` when the caller has read them already."""
    if attachments is None:
        attachments = attachments_of(store, [row["id"]]).get(row["id"], [])
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


def attachments_of(store: Store, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each message's attachments (the first 100, oldest first), in one query for a page."""
    if not message_ids:
        return {}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in store.attachments.of_messages(message_ids):
        bucket = grouped.setdefault(row["message_id"], [])
        if len(bucket) < 100:
            bucket.append(row)
    return grouped
