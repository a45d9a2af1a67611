"""Share links: a snapshot of a conversation, readable without a token until revoked or expired."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import NotFound
from ..store import Store
from . import conversations
from .common import decode_cursor, new_id, now, page_of

__all__ = ["upsert", "get", "list_page", "delete", "public", "clone", "new_share_id"]


_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # as common.now(): fixed width, sorts like the instants


def new_share_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 URL-safe characters


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "conversation_id": row["conversation_id"], "title": row["title"],
            "public_path": f"/api/v1/public/shares/{row['id']}", "created_at": row["created_at"],
            "snapshot_at": row["snapshot_at"], "expires_at": row["expires_at"]}


def _snapshot(store: Store, conversation: dict[str, Any]) -> dict[str, Any]:
    """Only what the public may see, plus attachment hashes so a clone can copy the bytes."""
    rows = store.all("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT 10000",
                     conversation["id"])
    out = []
    for m in rows:
        atts = store.all("SELECT * FROM attachments WHERE message_id = ? ORDER BY seq LIMIT 100",
                         m["id"])
        out.append({"id": m["id"], "parent_id": m["parent_id"], "role": m["role"],
                    "content": m["content"], "created_at": m["created_at"],
                    "attachments": [{"id": a["id"], "filename": a["filename"],
                                     "content_type": a["content_type"],
                                     "size_bytes": a["size_bytes"], "sha256": a["sha256"]}
                                    for a in atts]})
    return {"title": conversation["title"], "messages": out}


def upsert(store: Store, user_id: str, conversation_id: str, body: dict[str, Any] | None
           ) -> tuple[dict[str, Any], bool]:
    days = (body or {}).get("expiry_days")
    with store.transaction() as conn:
        conv = conversations.owned(store, user_id, conversation_id)
        instant = datetime.now(timezone.utc)
        stamp = instant.strftime(_FORMAT)
        # Exactly `days` after the snapshot, from the same instant.
        expires = None if days is None else (instant + timedelta(days=days)).strftime(_FORMAT)
        changes = {"title": conv["title"], "snapshot": _snapshot(store, conv),
                   "snapshot_at": stamp, "expires_at": expires}
        existing = store.one("SELECT id, expires_at FROM shares WHERE conversation_id = ?",
                             conversation_id)
        if existing and existing["expires_at"] is not None and existing["expires_at"] <= stamp:
            # An expired link stays dead: sharing again mints a new id, so whoever held the
            # old link does not get the conversation back.
            conn.execute("DELETE FROM shares WHERE id = ?", (existing["id"],))
            existing = None
        if existing:
            store.update(conn, "shares", existing["id"], changes)
            share_id = existing["id"]
        else:
            share_id = new_share_id()
            store.insert(conn, "shares", {"id": share_id, "conversation_id": conversation_id,
                                          "user_id": user_id, "created_at": stamp, **changes})
    return _out(store.one("SELECT * FROM shares WHERE id = ?", share_id)), existing is None


def _owned(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    """The user's share link, expired or not; 404 when missing or someone else's."""
    row = store.one("SELECT * FROM shares WHERE id = ? AND user_id = ?", share_id, user_id)
    if row is None:
        raise NotFound("Share not found")
    return row


def get(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    return _out(_owned(store, user_id, share_id))


def list_page(store: Store, user_id: str, limit: int, cursor: str | None, q: str | None,
              conversation_id: str | None = None) -> dict[str, Any]:
    sql, args = "SELECT * FROM shares WHERE user_id = ?", [user_id]
    if conversation_id is not None:
        # shares.conversation_id is UNIQUE (indexed): at most one row, found in one lookup.
        sql, args = sql + " AND conversation_id = ?", [*args, conversation_id]
    if q is not None:
        # instr() rather than LIKE, which stops at a NUL (conversations.py does the same).
        sql, args = sql + " AND instr(lower(title), lower(?)) > 0", [*args, q]
    rows = store.page(sql, args, decode_cursor(cursor), limit, newest_first=True)
    return page_of(rows, limit, _out)


def delete(store: Store, user_id: str, share_id: str) -> None:
    with store.transaction() as conn:
        row = _owned(store, user_id, share_id)
        conn.execute("DELETE FROM shares WHERE id = ?", (share_id,))
    for m in row["snapshot"]["messages"]:
        for a in m["attachments"]:
            store.drop_blob_if_unused(a["sha256"])


def _live(store: Store, share_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM shares WHERE id = ?", share_id)
    if row is None or (row["expires_at"] is not None and row["expires_at"] <= now()):
        raise NotFound("Share not found")
    return row


def public(store: Store, share_id: str) -> dict[str, Any]:
    row = _live(store, share_id)
    messages = [{**m, "attachments": [{k: a[k] for k in ("id", "filename", "content_type",
                                                          "size_bytes")}
                                      for a in m["attachments"]]}
                for m in row["snapshot"]["messages"]]
    return {"id": row["id"], "title": row["title"], "snapshot_at": row["snapshot_at"],
            "expires_at": row["expires_at"], "messages": messages}


def clone(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    row = _live(store, share_id)
    stamp = now()
    conv_id = new_id()
    with store.transaction() as conn:
        store.insert(conn, "conversations", {
            "id": conv_id, "user_id": user_id, "title": row["title"], "status": "active",
            "chatbot_id": None, "model": None, "metadata": {}, "is_anonymized": 0,
            "mapping": {}, "created_at": stamp, "updated_at": stamp})
        new_ids: dict[str, str] = {}
        for m in row["snapshot"]["messages"]:
            new_ids[m["id"]] = new_id()
            store.insert(conn, "messages", {
                "id": new_ids[m["id"]], "conversation_id": conv_id,
                "parent_id": new_ids.get(m["parent_id"]) if m["parent_id"] else None,
                "role": m["role"], "content": m["content"], "original": None,
                "status": "completed" if m["role"] == "assistant" else "sent",
                "model": None, "input_tokens": 0, "output_tokens": 0, "reactions": [],
                "feedback": None, "metadata": {}, "created_at": stamp, "updated_at": stamp})
            for a in m["attachments"]:
                if store.blob_path(a["sha256"]).exists():
                    store.insert(conn, "attachments", {
                        "id": new_id(), "message_id": new_ids[m["id"]],
                        "filename": a["filename"], "content_type": a["content_type"],
                        "size_bytes": a["size_bytes"], "sha256": a["sha256"],
                        "created_at": stamp})
    return conversations.get(store, user_id, conv_id)
