"""Attachments: bytes kept exactly as uploaded, in the data directory, named by their sha256."""

from __future__ import annotations

import hashlib
from typing import Any

from ..errors import NotFound
from ..store import Store
from . import messages
from .common import attachment_out, decode_cursor, new_id, now, page_of

__all__ = ["create", "list_page", "get", "content", "delete"]


def owned(store: Store, user_id: str, attachment_id: str) -> dict[str, Any]:
    row = store.attachments.owned(user_id, attachment_id)
    if row is None:
        raise NotFound("Attachment not found")
    return row


def create(store: Store, user_id: str, message_id: str, filename: str, content_type: str,
           data: bytes) -> dict[str, Any]:
    messages.owned(store, user_id, message_id)
    sha = hashlib.sha256(data).hexdigest()
    store.write_blob(sha, data)
    row = {"id": new_id(), "message_id": message_id, "filename": filename[:255] or "file",
           "content_type": content_type[:255], "size_bytes": len(data), "sha256": sha,
           "created_at": now()}
    with store.transaction():
        messages.owned(store, user_id, message_id)  # still there inside the transaction
        store.attachments.add(row)
    return attachment_out(row)


def list_page(store: Store, user_id: str, message_id: str, limit: int, cursor: str | None
              ) -> dict[str, Any]:
    messages.owned(store, user_id, message_id)
    rows = store.attachments.page(message_id, decode_cursor(cursor), limit)
    return page_of(rows, limit, attachment_out)


def get(store: Store, user_id: str, attachment_id: str) -> dict[str, Any]:
    return attachment_out(owned(store, user_id, attachment_id))


def content(store: Store, user_id: str, attachment_id: str) -> tuple[bytes, str, str]:
    row = owned(store, user_id, attachment_id)
    data = store.read_blob(row["sha256"])
    if data is None:
        raise NotFound("Attachment content not found")
    return data, row["content_type"], row["filename"]


def delete(store: Store, user_id: str, attachment_id: str) -> None:
    with store.transaction():
        row = owned(store, user_id, attachment_id)
        store.attachments.delete(attachment_id)
    store.drop_blob_if_unused(row["sha256"])
