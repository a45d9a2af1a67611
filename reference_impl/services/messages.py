"""Messages: threaded by parent_id; deleting one re-attaches its replies to its parent."""

from __future__ import annotations

from typing import Any

from ..assistant import count_tokens
from ..errors import Conflict, NotFound
from ..store import Store
from . import conversations
from .anonymize import anonymize
from .common import attachments_of, decode_cursor, message_out, new_id, now, page_of, parse_instant

__all__ = ["owned", "add", "create", "get", "list_page", "update", "delete"]


def owned(store: Store, user_id: str, message_id: str) -> dict[str, Any]:
    row = store.messages.owned(user_id, message_id)
    if row is None:
        raise NotFound("Message not found")
    return row


def add(store: Store, conversation: dict[str, Any], *, role: str, content: str,
        parent_id: str | None, status: str, model: str | None = None,
        input_tokens: int = 0, output_tokens: int = 0,
        metadata: dict | None = None) -> dict[str, Any]:
    """Insert a message inside the caller's transaction, anonymising when the conversation is."""
    original = None
    if conversation["is_anonymized"]:
        mapping = dict(conversation["mapping"])
        stored = anonymize(content, mapping)
        if mapping != conversation["mapping"]:
            store.conversations.change(conversation["id"], {"mapping": mapping})
            conversation["mapping"] = mapping
        original, content = content, stored
    stamp = now()
    row = {"id": new_id(), "conversation_id": conversation["id"], "parent_id": parent_id,
           "role": role, "content": content, "original": original, "status": status,
           "model": model, "input_tokens": input_tokens, "output_tokens": output_tokens,
           "reactions": [], "feedback": None, "metadata": metadata or {},
           "created_at": stamp, "updated_at": stamp}
    store.messages.add(row)
    store.conversations.change(conversation["id"], {"updated_at": stamp})
    return row


def check_parent(store: Store, conversation_id: str, parent_id: str | None) -> None:
    """A body naming a message that is not in this conversation (missing, elsewhere or another
    user's): 409, as the contract says. The path's conversation exists; the body's reference
    conflicts with what the server holds."""
    if parent_id is None:
        return
    if not store.messages.in_conversation(parent_id, conversation_id):
        raise Conflict("Parent message not found in this conversation")


def create(store: Store, user_id: str, conversation_id: str, body: dict[str, Any]
           ) -> dict[str, Any]:
    with store.transaction():
        conv = conversations.owned(store, user_id, conversation_id)
        check_parent(store, conversation_id, body.get("parent_id"))
        role = body.get("role", "user")
        tokens = count_tokens(body["content"])
        row = add(store, conv, role=role, content=body["content"],
                  parent_id=body.get("parent_id"), status="sent",
                  input_tokens=tokens if role == "user" else 0,
                  output_tokens=tokens if role == "assistant" else 0,
                  metadata=body.get("metadata"))
    # The row as stored (JSON columns as values); a new message has no attachments yet.
    return message_out(store, row, attachments=[])


def get(store: Store, user_id: str, message_id: str) -> dict[str, Any]:
    return message_out(store, owned(store, user_id, message_id))


def list_page(store: Store, user_id: str, conversation_id: str, limit: int,
              cursor: str | None, before: str | None, parent_id: str | None) -> dict[str, Any]:
    conversations.owned(store, user_id, conversation_id)
    rows = store.messages.page(conversation_id, decode_cursor(cursor), limit,
                               None if before is None else parse_instant(before), parent_id)
    attachments = attachments_of(store, [r["id"] for r in rows[:limit]])
    return page_of(rows, limit, lambda r: message_out(store, r, attachments.get(r["id"], [])))


def update(store: Store, user_id: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    with store.transaction():
        row = owned(store, user_id, message_id)
        changes = {k: body[k] for k in ("status", "reactions", "metadata", "feedback")
                   if k in body}
        if "content" in body:
            conv = conversations.owned(store, user_id, row["conversation_id"])
            if conv["is_anonymized"]:
                mapping = dict(conv["mapping"])
                changes["content"] = anonymize(body["content"], mapping)
                changes["original"] = body["content"]
                store.conversations.change(conv["id"], {"mapping": mapping})
            else:
                changes["content"] = body["content"]
        changes["updated_at"] = now()
        store.messages.change(message_id, changes)
    return get(store, user_id, message_id)


def delete(store: Store, user_id: str, message_id: str) -> None:
    with store.transaction():
        row = owned(store, user_id, message_id)
        # Re-attach direct replies to the deleted message's parent: no dangling thread.
        shas = store.messages.delete(message_id, row["parent_id"])
    for sha in set(shas):
        store.drop_blob_if_unused(sha)
