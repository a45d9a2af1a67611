"""Attachments' rows (their bytes are the engine's: `write_blob`, `read_blob`)."""

from __future__ import annotations

from typing import Any

from .base import Repository

__all__ = ["Attachments"]


class Attachments(Repository):
    def owned(self, user_id: str, attachment_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT a.* FROM attachments a JOIN messages m ON m.id = a.message_id "
                           "JOIN conversations c ON c.id = m.conversation_id "
                           "WHERE a.id = ? AND c.user_id = ?", attachment_id, user_id)

    def of_messages(self, message_ids: list[str]) -> list[dict[str, Any]]:
        """The attachments of these messages, oldest first, in one query."""
        if not message_ids:
            return []
        marks = ", ".join("?" for _ in message_ids)
        return self.db.all(f"SELECT * FROM attachments WHERE message_id IN ({marks}) "
                           "ORDER BY seq", *message_ids)

    def page(self, message_id: str, after: int | None, limit: int) -> list[dict[str, Any]]:
        return self.db.page("SELECT * FROM attachments WHERE message_id = ?", [message_id],
                            after, limit)

    def add(self, row: dict[str, Any], ignore: bool = False) -> None:
        self.db.insert("attachments", row, ignore=ignore)

    def delete(self, attachment_id: str) -> None:
        self.db.run("DELETE FROM attachments WHERE id = ?", attachment_id)

    def hash_in_use(self, sha256: str) -> bool:
        """An attachment, or a share's snapshot (for cloning), still offers these bytes."""
        db = self.db
        return bool(db.one("SELECT 1 AS x FROM attachments WHERE sha256 = ? LIMIT 1", sha256)
                    or db.one("SELECT 1 AS x FROM share_messages WHERE "
                              f"{db.contains('sha256s')} LIMIT 1", sha256))
