"""Conversations: create, read, list and search, update, delete, titles, summaries, read markers."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, NotFound
from ..store import Store
from . import texts
from .common import decode_cursor, new_id, now, page_of

__all__ = ["create", "get", "owned", "shape", "list_page", "update", "delete", "delete_many",
           "generate_title", "summary", "mark_read"]


def owned(store: Store, user_id: str, conversation_id: str) -> dict[str, Any]:
    """The user's conversation, or 404 whether it is missing or someone else's."""
    row = store.one("SELECT * FROM conversations WHERE id = ? AND user_id = ?",
                    conversation_id, user_id)
    if row is None:
        raise NotFound("Conversation not found")
    return row


# The list view's derived fields, computed by the same query that reads the conversation (one
# round trip per page, not three per conversation). Only the owner reads a conversation, so
# the owner's read marker is the one that counts.
SUMMARY = (
    "conversations.*, "
    "(SELECT m.content FROM messages m WHERE m.conversation_id = conversations.id"
    " ORDER BY m.seq DESC LIMIT 1) AS last_content, "
    "(SELECT m.created_at FROM messages m WHERE m.conversation_id = conversations.id"
    " ORDER BY m.seq DESC LIMIT 1) AS last_at, "
    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.seq >"
    " COALESCE((SELECT r.message_seq FROM read_markers r WHERE r.user_id = conversations.user_id"
    " AND r.conversation_id = conversations.id), 0)) AS unread"
)


def shape(row: dict[str, Any], match: dict[str, str] | None = None) -> dict[str, Any]:
    """The contract's Conversation, from a row selected with SUMMARY."""
    last_content = row["last_content"]
    return {
        "id": row["id"], "title": row["title"], "status": row["status"],
        "chatbot_id": row["chatbot_id"], "model": row["model"], "metadata": row["metadata"],
        "is_anonymized": bool(row["is_anonymized"]), "deanonymization_mapping": row["mapping"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "last_message_at": row["last_at"],
        "last_message_preview": last_content[:200] if last_content is not None else None,
        "unread_count": row["unread"], "match": match,
    }


def create(store: Store, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    stamp = now()
    row = {"id": new_id(), "user_id": user_id, "title": body.get("title"), "status": "active",
           "chatbot_id": body.get("chatbot_id"), "model": body.get("model"),
           "metadata": body.get("metadata") or {},
           "is_anonymized": int(bool(body.get("is_anonymized"))), "mapping": {},
           "created_at": stamp, "updated_at": stamp}
    with store.transaction() as conn:
        store.insert(conn, "conversations", row)
    return get(store, user_id, row["id"])


def get(store: Store, user_id: str, conversation_id: str) -> dict[str, Any]:
    row = store.one(f"SELECT {SUMMARY} FROM conversations WHERE id = ? AND user_id = ?",
                    conversation_id, user_id)
    if row is None:
        raise NotFound("Conversation not found")
    return shape(row)


# `q` is found with instr() on lower(): the same ASCII-only case folding as LIKE, but instr()
# compares whole values, where LIKE stops at a NUL (`q=%00` once matched everything).
_HAS = "instr(lower({0}), lower(?)) > 0"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """SQLite's lower(): ASCII letters only."""
    return text.translate(_ASCII_LOWER)


def _found(q: str, text: str | None) -> bool:
    return text is not None and _fold(q) in _fold(text)


def _excerpt(text: str, q: str) -> str:
    at = max(_fold(text).find(_fold(q)), 0)
    start = max(at - 60, 0)
    return text[start:start + 200]


def list_page(store: Store, user_id: str, limit: int, cursor: str | None,
              status: str | None = None, chatbot_id: str | None = None,
              q: str | None = None) -> dict[str, Any]:
    after = decode_cursor(cursor)
    sql, args = f"SELECT {SUMMARY} FROM conversations WHERE user_id = ?", [user_id]
    if status is not None:
        sql, args = sql + " AND status = ?", [*args, status]
    if chatbot_id is not None:
        sql, args = sql + " AND chatbot_id = ?", [*args, chatbot_id]
    if q is not None:
        # Correlated per conversation of this user (walked newest first, stopping at the
        # page's end), never a scan of every user's messages.
        sql += (f" AND ({_HAS.format('title')} OR EXISTS (SELECT 1 FROM messages m WHERE"
                f" m.conversation_id = conversations.id AND ({_HAS.format('m.content')}"
                f" OR {_HAS.format('m.original')})))")
        args += [q, q, q]
    rows = store.page(sql, args, after, limit, newest_first=True)

    def one(row: dict[str, Any]) -> dict[str, Any]:
        match = None
        if q is not None:
            hit = store.one("SELECT id, content, original FROM messages WHERE conversation_id = ?"
                            f" AND ({_HAS.format('content')} OR {_HAS.format('original')}) "
                            "ORDER BY seq LIMIT 1", row["id"], q, q)
            if hit:
                text = hit["content"] if _found(q, hit["content"]) else hit["original"] or ""
                match = {"message_id": hit["id"], "excerpt": _excerpt(text, q)}
        return shape(row, match)

    return page_of(rows, limit, one)


def update(store: Store, user_id: str, conversation_id: str, body: dict[str, Any]
           ) -> dict[str, Any]:
    owned(store, user_id, conversation_id)
    changes = {k: body[k] for k in ("title", "status", "metadata") if k in body}
    changes["updated_at"] = now()
    with store.transaction() as conn:
        store.update(conn, "conversations", conversation_id, changes)
    return get(store, user_id, conversation_id)


def _delete_rows(store: Store, conn, conversation_ids: list[str]) -> list[str]:
    """Delete conversations with everything they own; returns the freed blob hashes."""
    shas: list[str] = []
    for cid in conversation_ids:
        msg_ids = [r["id"] for r in store.all(
            "SELECT id FROM messages WHERE conversation_id = ?", cid)]
        for mid in msg_ids:
            shas += [r["sha256"] for r in store.all(
                "SELECT sha256 FROM attachments WHERE message_id = ?", mid)]
            conn.execute("DELETE FROM attachments WHERE message_id = ?", (mid,))
            conn.execute("DELETE FROM reply_events WHERE message_id = ?", (mid,))
        conn.execute("DELETE FROM messages WHERE conversation_id = ?", (cid,))
        conn.execute("DELETE FROM share_messages WHERE snapshot_id IN "
                     "(SELECT snapshot_id FROM shares WHERE conversation_id = ?)", (cid,))
        conn.execute("DELETE FROM shares WHERE conversation_id = ?", (cid,))
        conn.execute("DELETE FROM read_markers WHERE conversation_id = ?", (cid,))
        conn.execute("DELETE FROM conversations WHERE id = ?", (cid,))
    return shas


def delete(store: Store, user_id: str, conversation_id: str) -> None:
    owned(store, user_id, conversation_id)
    with store.transaction() as conn:
        shas = _delete_rows(store, conn, [conversation_id])
    for sha in set(shas):
        store.drop_blob_if_unused(sha)


def delete_many(store: Store, user_id: str, ids: list[str], chatbot: str | None
                ) -> dict[str, Any]:
    """Delete the listed conversations (of one chatbot, if given); report each id once."""
    ids = list(dict.fromkeys(ids))
    with store.transaction() as conn:
        found = {r["id"]: r for r in store.all(
            f"SELECT id, chatbot_id FROM conversations WHERE user_id = ? AND id IN "
            f"({','.join('?' * len(ids))})", user_id, *ids)}
        targets = [i for i in ids if i in found
                   and (chatbot is None or found[i]["chatbot_id"] == chatbot)]
        not_found = [i for i in ids if i not in targets]
        shas = _delete_rows(store, conn, targets)
    for sha in set(shas):
        store.drop_blob_if_unused(sha)
    return {"deleted_ids": targets, "not_found_ids": not_found}


# A page of messages per turn of the event loop: two of the contract's longest (32,000
# characters) are about 3 ms of counting words, and 2,000 messages of 16 KB a second in all.
_TOPIC_PAGE = 2


async def _read_all(store: Store, conversation_id: str
                    ) -> tuple[texts.Topics, int, int, Any, Any]:
    """Word counts, message count, characters (messages joined by a space), first and last
    instants of a conversation, read in slices."""
    topics, count, chars, first, last = texts.Topics(), 0, -1, None, None
    async for rows in store.pages("SELECT seq, content, created_at FROM messages "
                                  "WHERE conversation_id = ?", [conversation_id], _TOPIC_PAGE):
        for m in rows:
            topics.add(m["content"])
            chars += 1 + len(m["content"])
        if rows:
            count += len(rows)
            first = first or rows[0]["created_at"]
            last = rows[-1]["created_at"]
    return topics, count, max(chars, 0), first, last


async def generate_title(store: Store, user_id: str, conversation_id: str,
                         body: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    owned(store, user_id, conversation_id)
    topics, _, chars, _, _ = await _read_all(store, conversation_id)
    if not chars:
        topics.add((body or {}).get("message", ""))
    title = texts.title(topics.top(3), lang)
    with store.transaction() as conn:
        owned(store, user_id, conversation_id)  # not deleted meanwhile
        store.update(conn, "conversations", conversation_id,
                     {"title": title, "updated_at": now()})
    return get(store, user_id, conversation_id)


async def summary(store: Store, user_id: str, conversation_id: str, max_length: int, lang: str
                  ) -> dict[str, Any]:
    owned(store, user_id, conversation_id)
    topics, count, _, first, last = await _read_all(store, conversation_id)
    top = topics.top(5)
    return {
        "conversation_id": conversation_id,
        "summary": texts.summary(count, top, lang)[:max_length],
        "key_topics": top, "message_count": count,
        "first_message_at": first, "last_message_at": last,
    }


def mark_read(store: Store, user_id: str, conversation_id: str, message_id: str | None
              ) -> dict[str, Any]:
    owned(store, user_id, conversation_id)
    with store.transaction() as conn:
        if message_id is not None:
            target = store.one("SELECT seq, id FROM messages WHERE id = ? AND conversation_id = ?",
                               message_id, conversation_id)
            if target is None:  # the body's reference, not the path: 409
                raise Conflict("Message not found in this conversation")
        else:
            target = store.one("SELECT seq, id FROM messages WHERE conversation_id = ? "
                               "ORDER BY seq DESC LIMIT 1", conversation_id)
        current = store.one("SELECT * FROM read_markers WHERE user_id = ? AND conversation_id = ?",
                            user_id, conversation_id)
        # The marker never moves backwards.
        if target and (current is None or target["seq"] > current["message_seq"]):
            conn.execute("INSERT OR REPLACE INTO read_markers VALUES (?, ?, ?, ?, ?)",
                         (user_id, conversation_id, target["seq"], target["id"], now()))
    marker = store.one("SELECT * FROM read_markers WHERE user_id = ? AND conversation_id = ?",
                       user_id, conversation_id)
    seq = marker["message_seq"] if marker else 0
    unread = store.one("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND seq > ?",
                       conversation_id, seq)["n"]
    return {"conversation_id": conversation_id,
            "last_read_message_id": marker["message_id"] if marker else None,
            "last_read_at": marker["read_at"] if marker else None, "unread_count": unread}
