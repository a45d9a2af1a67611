"""Share links: a snapshot of a conversation, readable without a token until revoked or expired."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import NotFound
from ..store import Store
from ..turns import next_turn
from . import conversations
from .common import decode_cursor, new_id, now, page_of

__all__ = ["upsert", "get", "list_page", "delete", "public", "clone", "new_share_id",
           "seed_snapshot", "snapshot_name", "snapshot_writer"]


_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # as common.now(): fixed width, sorts like the instants


def new_share_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 URL-safe characters


def snapshot_name(writer: str) -> str:
    """A new snapshot's id, naming the process writing it: if that process stops before a
    share refers to the snapshot (or after the share let go of it, while it is dropped), a
    live one drops what it wrote (recovery.py)."""
    return f"{writer}.{new_id()}"


def snapshot_writer(snapshot_id: str) -> str:
    """The process that wrote a snapshot ('' for snapshots older than these names)."""
    return snapshot_id.rpartition(".")[0]


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "conversation_id": row["conversation_id"], "title": row["title"],
            "public_path": f"/api/v1/public/shares/{row['id']}", "created_at": row["created_at"],
            "snapshot_at": row["snapshot_at"], "expires_at": row["expires_at"]}


def _copy(store: Store, snapshot_id: str, messages: list[dict[str, Any]]) -> None:
    """Add `messages` (rows of `messages`, in order) to a snapshot, inside the caller's
    transaction: only what the public may see, plus attachment hashes so a clone can copy the
    bytes."""
    attachments: dict[str, list[dict[str, Any]]] = {m["id"]: [] for m in messages}
    for a in store.attachments.of_messages(list(attachments)):
        attachments[a["message_id"]].append(a)
    for m in messages:
        atts = attachments[m["id"]][:100]
        public = {"id": m["id"], "parent_id": m["parent_id"], "role": m["role"],
                  "content": m["content"], "created_at": m["created_at"],
                  "attachments": [{k: a[k] for k in ("id", "filename", "content_type",
                                                     "size_bytes")} for a in atts]}
        store.shares.add_message(snapshot_id, {a["id"]: a["sha256"] for a in atts},
                                 json.dumps(public, ensure_ascii=False, separators=(",", ":")))


_MOST = 10_000  # the contract's bound on a PublicShare's messages
# Messages copied per transaction, or read for a public answer, per turn of the loop: four of
# 16 KB are about half a millisecond (py-spy on the bench's share and public-read cases:
# sixteen per turn were 3.5 and 20-28 times the readers' p99 alone).
_COPY_PAGE = 4


def seed_snapshot(store: Store, conversation_id: str) -> tuple[str, int]:
    """A snapshot of a fixture conversation, in the caller's transaction (start-up, seed.py)."""
    snapshot_id = new_id()
    rows = store.messages.public_first(conversation_id, _MOST)
    if rows:
        _copy(store, snapshot_id, rows)
    return snapshot_id, len(rows)


async def _snapshot(store: Store, conversation_id: str) -> tuple[str, int]:
    """Copy the conversation as it is now into a new snapshot, a slice per transaction.

    Nothing refers to the snapshot until the caller's final transaction does, so a reader
    never sees a half-made one; if the copy fails, what it wrote goes.
    """
    snapshot_id, count = snapshot_name(store.writer), 0
    last = store.messages.last_seq(conversation_id)
    try:
        async for rows in store.messages.public_pages(conversation_id, last, _COPY_PAGE):
            rows = rows[:_MOST - count]
            if rows:
                with store.transaction():
                    _copy(store, snapshot_id, rows)
                count += len(rows)
            if count >= _MOST:
                break
    except BaseException:
        await _drop_snapshot(store, snapshot_id)
        raise
    return snapshot_id, count


async def _drop_snapshot(store: Store, snapshot_id: str) -> None:
    await store.shares.drop_snapshot(snapshot_id)


async def upsert(store: Store, user_id: str, conversation_id: str, body: dict[str, Any] | None
                 ) -> tuple[dict[str, Any], bool]:
    days = (body or {}).get("expiry_days")
    conversations.owned(store, user_id, conversation_id)
    instant = datetime.now(timezone.utc)
    snapshot_id, count = await _snapshot(store, conversation_id)
    unused = snapshot_id  # the snapshot this request leaves unreferenced, dropped at the end
    try:
        with store.transaction():
            conv = conversations.owned(store, user_id, conversation_id)  # not deleted meanwhile
            stamp = instant.strftime(_FORMAT)
            # Exactly `days` after the snapshot, from the same instant.
            expires = None if days is None else (instant + timedelta(days=days)).strftime(_FORMAT)
            changes = {"title": conv["title"], "snapshot_id": snapshot_id, "message_count": count,
                       "snapshot_at": stamp, "expires_at": expires}
            existing = store.shares.of_conversation(conversation_id)
            if existing and existing["expires_at"] is not None and existing["expires_at"] <= stamp:
                # An expired link stays dead: sharing again mints a new id, so whoever held the
                # old link does not get the conversation back.
                store.shares.delete(existing["id"])
                store.shares.add({"id": new_share_id(), "conversation_id": conversation_id,
                                  "user_id": user_id, "created_at": stamp, **changes})
            elif existing:
                store.shares.change(existing["id"], changes)
            else:
                store.shares.add({"id": new_share_id(), "conversation_id": conversation_id,
                                  "user_id": user_id, "created_at": stamp, **changes})
            unused = existing["snapshot_id"] if existing else None
    finally:
        if unused is not None:
            await _drop_snapshot(store, unused)
    row = store.shares.of_conversation(conversation_id)
    return _out(row), existing is None or row["id"] != existing["id"]


def _owned(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    """The user's share link, expired or not; 404 when missing or someone else's."""
    row = store.shares.owned(user_id, share_id)
    if row is None:
        raise NotFound("Share not found")
    return row


def get(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    return _out(_owned(store, user_id, share_id))


def list_page(store: Store, user_id: str, limit: int, cursor: str | None, q: str | None,
              conversation_id: str | None = None) -> dict[str, Any]:
    rows = store.shares.page(user_id, decode_cursor(cursor), limit, q, conversation_id)
    return page_of(rows, limit, _out)


async def delete(store: Store, user_id: str, share_id: str) -> None:
    with store.transaction():
        row = _owned(store, user_id, share_id)
        store.shares.delete(share_id)
    hashes: set[str] = set()
    async for rows in store.shares.snapshot(row["snapshot_id"], size=1000):
        hashes.update(sha for r in rows for sha in r["sha256s"].values())
    await _drop_snapshot(store, row["snapshot_id"])
    for sha in hashes:
        store.drop_blob_if_unused(sha)


def _live(store: Store, share_id: str) -> dict[str, Any]:
    row = store.shares.by_id(share_id)
    if row is None or (row["expires_at"] is not None and row["expires_at"] <= now()):
        raise NotFound("Share not found")
    return row


async def _read(store: Store, share_id: str, public: bool = False
                ) -> tuple[dict[str, Any], list[Any]]:
    """The live share and its snapshot, page by page (a slice per turn of the loop): the rows
    of each page, or with `public` each page's messages as the bytes of the answer, made as the
    page is read (joining and encoding 32 MB at the end held the loop for tens of
    milliseconds).

    A share shared again meanwhile has its old snapshot dropped under the reader: then fewer
    rows than the share counted come back, and the share is read again, from the new one.
    """
    while True:
        row = _live(store, share_id)
        pages, count = [], 0
        snapshot = (store.shares.snapshot_messages(row["snapshot_id"], _COPY_PAGE) if public
                    else store.shares.snapshot(row["snapshot_id"]))
        async for rows in snapshot:
            count += len(rows)
            if not public:
                pages.append(rows)
            elif rows:
                pages.append(("," if pages else "").encode() + ",".join(
                    r["message"] for r in rows).encode())
        if count == row["message_count"]:
            return row, pages


async def public(store: Store, share_id: str) -> list[bytes]:
    """The PublicShare as JSON, in pieces of a page of messages each (up to 10,000 messages of
    32,000 characters: hundreds of megabytes are never one string)."""
    row, pages = await _read(store, share_id, public=True)
    head = json.dumps({"id": row["id"], "title": row["title"], "snapshot_at": row["snapshot_at"],
                       "expires_at": row["expires_at"]}, ensure_ascii=False,
                      separators=(",", ":"))
    return [(head[:-1] + ',"messages":[').encode(), *pages, b"]}"]


async def clone(store: Store, user_id: str, share_id: str) -> dict[str, Any]:
    """A new conversation of the user's, copied from the snapshot a page per transaction.

    The conversation is held by this process (nobody's) until the copy is whole, then handed to
    the user in one transaction, so the clone appears whole or not at all; if the copy fails it
    is erased, and if the process stops half-way the sweep of a live one erases it (recovery.py).
    """
    row, pages = await _read(store, share_id)
    stamp = now()
    conv_id = new_id()
    new_ids: dict[str, str] = {}
    with store.transaction():
        store.conversations.add_held({
            "id": conv_id, "title": row["title"], "status": "active", "chatbot_id": None,
            "model": None, "metadata": {}, "is_anonymized": 0, "mapping": {},
            "created_at": stamp, "updated_at": stamp}, store.writer)
    try:
        for rows in pages:
            with store.transaction():
                for r in rows:
                    m = json.loads(r["message"])
                    new_ids[m["id"]] = new_id()
                    store.messages.add({
                        "id": new_ids[m["id"]], "conversation_id": conv_id,
                        "parent_id": new_ids.get(m["parent_id"]) if m["parent_id"] else None,
                        "role": m["role"], "content": m["content"], "original": None,
                        "status": "completed" if m["role"] == "assistant" else "sent",
                        "model": None, "input_tokens": 0, "output_tokens": 0, "reactions": [],
                        "feedback": None, "metadata": {}, "created_at": stamp,
                        "updated_at": stamp})
                    for a in m["attachments"]:
                        sha = r["sha256s"][a["id"]]
                        if store.has_blob(sha):
                            store.attachments.add({
                                "id": new_id(), "message_id": new_ids[m["id"]],
                                "filename": a["filename"], "content_type": a["content_type"],
                                "size_bytes": a["size_bytes"], "sha256": sha,
                                "created_at": stamp})
            await next_turn()
        with store.transaction():
            store.conversations.hand_over(conv_id, user_id)
    except BaseException:
        await conversations.erase(store, conv_id)
        raise
    return conversations.get(store, user_id, conv_id)
