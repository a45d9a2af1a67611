"""Conversations with their list view's derived fields, deletion of everything they own, and
read markers."""

from __future__ import annotations

from typing import Any

from .base import Repository

__all__ = ["Conversations"]

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


# A conversation held by the process working on it, a slice per transaction (being deleted, or a
# clone being copied), belongs to no user: its user_id is HELD + the writer's name (found by its
# first characters: a range of text would depend on PostgreSQL's collation). If the writer
# stops, the sweep erases it (recovery.py). The prefix's name is older than clones.
HELD = "deleting:"
_IS_HELD = f"substr(user_id, 1, {len(HELD)}) = '{HELD}'"


class Conversations(Repository):
    def owned(self, user_id: str, conversation_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM conversations WHERE id = ? AND user_id = ?",
                           conversation_id, user_id)

    def by_id(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation, unless a writer holds it (being deleted or copied)."""
        return self.db.one(f"SELECT * FROM conversations WHERE id = ? AND NOT {_IS_HELD}",
                           conversation_id)

    def summary(self, user_id: str, conversation_id: str) -> dict[str, Any] | None:
        """The user's conversation with `last_content`, `last_at` and `unread`."""
        return self.db.one(f"SELECT {SUMMARY} FROM conversations WHERE id = ? AND user_id = ?",
                           conversation_id, user_id)

    def page(self, user_id: str, after: int | None, limit: int, status: str | None = None,
             chatbot_id: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
        """Newest first, rows as `summary`; `q` in the title or a message (either text)."""
        db = self.db
        sql, args = f"SELECT {SUMMARY} FROM conversations WHERE user_id = ?", [user_id]
        if status is not None:
            sql, args = sql + " AND status = ?", [*args, status]
        if chatbot_id is not None:
            sql, args = sql + " AND chatbot_id = ?", [*args, chatbot_id]
        if q is not None:
            # Correlated per conversation of this user (walked newest first, stopping at the
            # page's end), never a scan of every user's messages.
            sql += (f" AND ({db.contains('title')} OR EXISTS (SELECT 1 FROM messages m WHERE"
                    f" m.conversation_id = conversations.id AND ({db.contains('m.content')}"
                    f" OR {db.contains('m.original')})))")
            args += [q, q, q]
        return db.page(sql, args, after, limit, newest_first=True)

    def first_match(self, conversation_id: str, q: str) -> dict[str, Any] | None:
        """The oldest message holding `q` (id, content, original)."""
        db = self.db
        return db.one("SELECT id, content, original FROM messages WHERE conversation_id = ?"
                      f" AND ({db.contains('content')} OR {db.contains('original')}) "
                      "ORDER BY seq LIMIT 1", conversation_id, q, q)

    def add(self, row: dict[str, Any], ignore: bool = False) -> None:
        self.db.insert("conversations", row, ignore=ignore)

    def add_held(self, row: dict[str, Any], writer: str) -> None:
        """A conversation being made a slice per transaction (a clone): nobody's until
        `hand_over`; if `writer` stops first, the sweep erases it and what it holds."""
        self.db.insert("conversations", {**row, "user_id": HELD + writer})

    def hand_over(self, conversation_id: str, user_id: str) -> None:
        """A conversation made by `add_held` becomes the user's, whole, in one transaction."""
        self.db.run("UPDATE conversations SET user_id = ? WHERE id = ?", user_id, conversation_id)

    def change(self, conversation_id: str, changes: dict[str, Any]) -> None:
        self.db.update("conversations", conversation_id, changes)

    def chatbots(self, user_id: str, ids: list[str]) -> dict[str, str | None]:
        """Which of `ids` are the user's: id -> chatbot_id."""
        if not ids:
            return {}
        rows = self.db.all(f"SELECT id, chatbot_id FROM conversations WHERE user_id = ? AND id IN "
                           f"({','.join('?' * len(ids))})", user_id, *ids)
        return {r["id"]: r["chatbot_id"] for r in rows}

    def start_delete(self, conversation_ids: list[str], writer: str, past: str) -> None:
        """Inside the caller's transaction: the conversations leave their owner (every read
        goes through the owner, so they are gone at once), their share links stop answering
        (`past`: an instant they expired at) and their read markers go. What they hold is
        deleted a slice at a time by `erase_slice`: by `writer`, or if it stops, by the sweep
        (recovery.py)."""
        for cid in conversation_ids:
            self.db.run("UPDATE conversations SET user_id = ? WHERE id = ?",
                        HELD + writer, cid)
            self.db.run("UPDATE shares SET user_id = ?, expires_at = ? WHERE conversation_id = ?",
                        HELD + writer, past, cid)
            self.db.run("DELETE FROM read_markers WHERE conversation_id = ?", cid)

    def held(self) -> list[dict[str, Any]]:
        """id and writer of each conversation a writer holds: its delete or its copy has started
        and not finished."""
        return [{"id": r["id"], "writer": r["user_id"][len(HELD):]} for r in self.db.all(
            f"SELECT id, user_id FROM conversations WHERE {_IS_HELD}")]

    def erase_slice(self, conversation_id: str, size: int) -> tuple[bool, list[str]]:
        """One transaction of a started delete (or of undoing an unfinished copy): `size` rows
        of its shares' snapshots, or else `size` messages with their attachments and reply
        events, or else the share and the conversation rows. Whether more is left, and the hashes of the attachments deleted
        (their bytes may now be unused)."""
        db = self.db
        with db.transaction():
            if db.run("DELETE FROM share_messages WHERE seq IN (SELECT seq FROM share_messages "
                      "WHERE snapshot_id IN (SELECT snapshot_id FROM shares WHERE "
                      "conversation_id = ?) ORDER BY seq LIMIT ?)", conversation_id, size):
                return True, []
            ids = [r["id"] for r in db.all("SELECT id FROM messages WHERE conversation_id = ? "
                                           "ORDER BY seq LIMIT ?", conversation_id, size)]
            if ids:
                among = f"IN ({','.join('?' * len(ids))})"
                shas = [r["sha256"] for r in db.all(
                    f"SELECT sha256 FROM attachments WHERE message_id {among}", *ids)]
                for table in ("attachments", "reply_events"):
                    db.run(f"DELETE FROM {table} WHERE message_id {among}", *ids)
                db.run(f"DELETE FROM messages WHERE id {among}", *ids)
                return True, shas
            db.run("DELETE FROM shares WHERE conversation_id = ?", conversation_id)
            db.run("DELETE FROM conversations WHERE id = ?", conversation_id)
            return False, []

    # -- read markers ---------------------------------------------------------------------------

    def marker(self, user_id: str, conversation_id: str) -> dict[str, Any] | None:
        """The user's read marker: message_seq, message_id, read_at."""
        return self.db.one("SELECT * FROM read_markers WHERE user_id = ? AND conversation_id = ?",
                           user_id, conversation_id)

    def set_marker(self, user_id: str, conversation_id: str, message_seq: int, message_id: str,
                   read_at: str) -> None:
        """Inside the caller's transaction: the marker now stands at this message."""
        self.db.run("DELETE FROM read_markers WHERE user_id = ? AND conversation_id = ?",
                    user_id, conversation_id)
        self.db.insert("read_markers", {"user_id": user_id, "conversation_id": conversation_id,
                                        "message_seq": message_seq, "message_id": message_id,
                                        "read_at": read_at})

    def unread(self, conversation_id: str, after_seq: int) -> int:
        return self.db.one("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND "
                           "seq > ?", conversation_id, after_seq)["n"]
