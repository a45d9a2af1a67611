"""Messages: threaded by parent_id, read a page or a slice at a time."""

from __future__ import annotations

from typing import Any, AsyncIterator

from .base import Repository

__all__ = ["Messages"]

_PUBLIC = "SELECT seq, id, parent_id, role, content, created_at FROM messages "


class Messages(Repository):
    def owned(self, user_id: str, message_id: str) -> dict[str, Any] | None:
        """The message, when its conversation is the user's."""
        return self.db.one("SELECT m.* FROM messages m JOIN conversations c ON "
                           "c.id = m.conversation_id WHERE m.id = ? AND c.user_id = ?",
                           message_id, user_id)

    def by_id(self, message_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM messages WHERE id = ?", message_id)

    def status(self, message_id: str) -> str | None:
        row = self.db.one("SELECT status FROM messages WHERE id = ?", message_id)
        return None if row is None else row["status"]

    def in_conversation(self, message_id: str, conversation_id: str) -> dict[str, Any] | None:
        """seq and id of the message, if it is in that conversation."""
        return self.db.one("SELECT seq, id FROM messages WHERE id = ? AND conversation_id = ?",
                           message_id, conversation_id)

    def newest(self, conversation_id: str) -> dict[str, Any] | None:
        """seq and id of the conversation's newest message."""
        return self.db.one("SELECT seq, id FROM messages WHERE conversation_id = ? "
                           "ORDER BY seq DESC LIMIT 1", conversation_id)

    def contents(self, conversation_id: str) -> list[str]:
        """Every message's text, oldest first."""
        return [r["content"] for r in self.db.all(
            "SELECT content FROM messages WHERE conversation_id = ? ORDER BY seq",
            conversation_id)]

    def last_seq(self, conversation_id: str) -> int:
        return self.db.one("SELECT max(seq) AS seq FROM messages WHERE conversation_id = ?",
                           conversation_id)["seq"] or 0

    def page(self, conversation_id: str, after: int | None, limit: int,
             before: str | None = None, parent_id: str | None = None) -> list[dict[str, Any]]:
        """Oldest first; `before` an instant as stored, `parent_id` the replies to one."""
        sql, args = "SELECT * FROM messages WHERE conversation_id = ?", [conversation_id]
        if before is not None:
            sql, args = sql + " AND created_at < ?", [*args, before]
        if parent_id is not None:
            sql, args = sql + " AND parent_id = ?", [*args, parent_id]
        return self.db.page(sql, args, after, limit)

    def texts(self, conversation_id: str, size: int) -> AsyncIterator[list[dict[str, Any]]]:
        """seq, content and created_at of every message, `size` per page, the loop served
        between pages."""
        return self.db.pages("SELECT seq, content, created_at FROM messages "
                             "WHERE conversation_id = ?", [conversation_id], size)

    def public_pages(self, conversation_id: str, up_to: int, size: int
                     ) -> AsyncIterator[list[dict[str, Any]]]:
        """What a share's snapshot holds of each message up to seq `up_to`, `size` per query."""
        return self.db.pages(_PUBLIC + "WHERE conversation_id = ? AND seq <= ?",
                             [conversation_id, up_to], size)

    def public_first(self, conversation_id: str, most: int) -> list[dict[str, Any]]:
        """As `public_pages`, the first `most` messages in one query (fixtures, at start-up)."""
        return self.db.all(_PUBLIC + "WHERE conversation_id = ? ORDER BY seq LIMIT ?",
                           conversation_id, most)

    def streaming_ids(self) -> list[str]:
        """Assistant messages whose reply is being written (or was, by a stopped server)."""
        return [r["id"] for r in self.db.all("SELECT id FROM messages WHERE status = 'streaming'")]

    def add(self, row: dict[str, Any], ignore: bool = False) -> None:
        self.db.insert("messages", row, ignore=ignore)

    def change(self, message_id: str, changes: dict[str, Any]) -> None:
        self.db.update("messages", message_id, changes)

    def delete(self, message_id: str, parent_id: str | None) -> list[str]:
        """Delete a message, its attachments and reply events, inside the caller's transaction;
        its direct replies now answer `parent_id`. The hashes of the attachments deleted."""
        db = self.db
        shas = [r["sha256"] for r in db.all("SELECT sha256 FROM attachments WHERE message_id = ?",
                                            message_id)]
        db.run("UPDATE messages SET parent_id = ? WHERE parent_id = ?", parent_id, message_id)
        db.run("DELETE FROM attachments WHERE message_id = ?", message_id)
        db.run("DELETE FROM reply_events WHERE message_id = ?", message_id)
        db.run("DELETE FROM messages WHERE id = ?", message_id)
        return shas
