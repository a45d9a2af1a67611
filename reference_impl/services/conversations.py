"""Conversations: create, read, list and search, update, delete, titles, summaries, read markers."""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, NotFound
from ..store import Store
from ..turns import next_turn
from . import texts
from .common import decode_cursor, new_id, now, page_of

__all__ = ["create", "get", "owned", "shape", "list_page", "update", "delete", "delete_many",
           "generate_title", "summary", "mark_read"]


def owned(store: Store, user_id: str, conversation_id: str) -> dict[str, Any]:
    """The user's conversation, or 404 whether it is missing or someone else's."""
    row = store.conversations.owned(user_id, conversation_id)
    if row is None:
        raise NotFound("Conversation not found")
    return row


def shape(row: dict[str, Any], match: dict[str, str] | None = None) -> dict[str, Any]:
    """The contract's Conversation, from a row of `store.conversations.summary` or `page`."""
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
    with store.transaction():
        store.conversations.add(row)
    return get(store, user_id, row["id"])


def get(store: Store, user_id: str, conversation_id: str) -> dict[str, Any]:
    row = store.conversations.summary(user_id, conversation_id)
    if row is None:
        raise NotFound("Conversation not found")
    return shape(row)


# The store finds `q` with ASCII-only case folding; the excerpt is found the same way.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """The store's case folding: ASCII letters only."""
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
    rows = store.conversations.page(user_id, decode_cursor(cursor), limit, status, chatbot_id, q)

    def one(row: dict[str, Any]) -> dict[str, Any]:
        match = None
        if q is not None:
            hit = store.conversations.first_match(row["id"], q)
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
    with store.transaction():
        store.conversations.change(conversation_id, changes)
    return get(store, user_id, conversation_id)


# Rows per transaction of a conversation's delete (its messages, with their attachments and
# reply events, or its share's snapshot): one transaction per turn of the loop (turns.py).
_ERASE_ROWS = 16


async def delete(store: Store, user_id: str, conversation_id: str) -> None:
    await delete_many(store, user_id, [conversation_id], None, missing=NotFound)


async def delete_many(store: Store, user_id: str, ids: list[str], chatbot: str | None, *,
                      missing: type[NotFound] | None = None) -> dict[str, Any]:
    """Delete the listed conversations (of one chatbot, if given); report each id once.

    The conversations are gone in one transaction (they leave their owner); what they hold goes
    a slice per transaction, one per turn of the loop, so 2,000 messages neither hold the loop
    nor the write lock for long. If the server stops half-way, a live one finishes (recovery.py).
    `missing`: raised when none of `ids` is the user's (deleting one conversation: 404).
    """
    ids = list(dict.fromkeys(ids))
    with store.transaction():
        found = store.conversations.chatbots(user_id, ids)
        targets = [i for i in ids if i in found and (chatbot is None or found[i] == chatbot)]
        if missing is not None and not targets:
            raise missing("Conversation not found")
        store.conversations.start_delete(targets, store.writer, now())
    for cid in targets:
        await erase(store, cid)
    return {"deleted_ids": targets, "not_found_ids": [i for i in ids if i not in targets]}


async def erase(store: Store, conversation_id: str) -> None:
    """What a conversation whose delete has started holds, a slice per turn of the loop."""
    shas: set[str] = set()
    while True:
        more, deleted = store.conversations.erase_slice(conversation_id, _ERASE_ROWS)
        shas.update(deleted)
        if not more:
            break
        await next_turn()
    for sha in shas:
        store.drop_blob_if_unused(sha)


# A message per page and about 8,000 characters of it per turn of the event loop (turns.py):
# counting words is about 0.4 ms of it (py-spy on the bench's title case: two whole messages
# of 16 KB per turn held the loop for 2-3 ms each, three times the readers' p99 alone).
_TOPIC_PAGE = 1
_TOPIC_PIECE = 8_000


async def _read_all(store: Store, conversation_id: str
                    ) -> tuple[texts.Topics, int, int, Any, Any]:
    """Word counts, message count, characters (messages joined by a space), first and last
    instants of a conversation, read in slices."""
    topics, count, chars, first, last = texts.Topics(), 0, -1, None, None
    async for rows in store.messages.texts(conversation_id, _TOPIC_PAGE):
        for m in rows:
            for n, piece in enumerate(texts.pieces(m["content"], _TOPIC_PIECE)):
                if n:
                    await next_turn()
                topics.add(piece)
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
    with store.transaction():
        owned(store, user_id, conversation_id)  # not deleted meanwhile
        store.conversations.change(conversation_id, {"title": title, "updated_at": now()})
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
    with store.transaction():
        if message_id is not None:
            target = store.messages.in_conversation(message_id, conversation_id)
            if target is None:  # the body's reference, not the path: 409
                raise Conflict("Message not found in this conversation")
        else:
            target = store.messages.newest(conversation_id)
        current = store.conversations.marker(user_id, conversation_id)
        # The marker never moves backwards.
        if target and (current is None or target["seq"] > current["message_seq"]):
            store.conversations.set_marker(user_id, conversation_id, target["seq"], target["id"],
                                           now())
    marker = store.conversations.marker(user_id, conversation_id)
    seq = marker["message_seq"] if marker else 0
    unread = store.conversations.unread(conversation_id, seq)
    return {"conversation_id": conversation_id,
            "last_read_message_id": marker["message_id"] if marker else None,
            "last_read_at": marker["read_at"] if marker else None, "unread_count": unread}
