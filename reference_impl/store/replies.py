"""A reply's stored events (position = SSE id), and the prices its cost is estimated with."""

from __future__ import annotations

import json
from typing import Any

from .base import Repository

__all__ = ["Replies"]

FINAL = ("reply.completed", "reply.failed")


class Replies(Repository):
    def append(self, message_id: str, position: int, event: str, data: str) -> None:
        """Store one event, in a transaction of its own."""
        with self.db.transaction():
            self.db.run("INSERT INTO reply_events (message_id, position, event, data) "
                        "VALUES (?, ?, ?, ?)", message_id, position, event, data)

    def after(self, message_id: str, position: int) -> list[dict[str, Any]]:
        """The events after `position`, in order."""
        return self.db.all("SELECT * FROM reply_events WHERE message_id = ? AND position > ?"
                           " ORDER BY position", message_id, position)

    def final(self, message_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM reply_events WHERE message_id = ? AND event IN (?, ?)",
                           message_id, *FINAL)

    def has_events(self, message_id: str) -> bool:
        return bool(self.db.one("SELECT 1 AS x FROM reply_events WHERE message_id = ? LIMIT 1",
                                message_id))

    def end_failed(self, message_id: str, detail: str, at: str) -> bool:
        """End a reply still `streaming`: a final `reply.failed` after its last event and the
        message `failed`, in one transaction. False if it was not streaming (any more)."""
        db = self.db
        with db.transaction():
            row = db.one("SELECT status FROM messages WHERE id = ?", message_id)
            if row is None or row["status"] != "streaming":
                return False
            last = db.one("SELECT MAX(position) AS p FROM reply_events WHERE message_id = ?",
                          message_id)["p"]
            db.run("INSERT INTO reply_events (message_id, position, event, data) "
                   "VALUES (?, ?, ?, ?)", message_id, 0 if last is None else last + 1,
                   "reply.failed", json.dumps({"detail": detail, "message_id": message_id},
                                              separators=(",", ":")))
            db.run("UPDATE messages SET status = 'failed', updated_at = ? WHERE id = ?",
                   at, message_id)
        return True

    # -- prices ---------------------------------------------------------------------------------

    def price(self, model: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM prices WHERE model = ?", model)

    def add_price(self, row: dict[str, Any]) -> None:
        self.db.insert("prices", row, ignore=True)
