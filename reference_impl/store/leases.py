"""Heartbeats of the processes serving a database, and the replies each is writing
(recovery.py)."""

from __future__ import annotations

from .base import Repository

__all__ = ["Leases"]


class Leases(Repository):
    def beat(self, worker: str, at: float) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM workers WHERE id = ?", worker)
            self.db.run("INSERT INTO workers (id, seen_at) VALUES (?, ?)", worker, at)

    def forget_worker(self, worker: str) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM workers WHERE id = ?", worker)

    def claim(self, message_id: str, worker: str) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM reply_leases WHERE message_id = ?", message_id)
            self.db.run("INSERT INTO reply_leases (message_id, worker) VALUES (?, ?)",
                        message_id, worker)

    def release(self, message_id: str) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM reply_leases WHERE message_id = ?", message_id)

    def orphans(self, seen_before: float) -> list[str]:
        """Replies whose worker has not beaten since `seen_before` (or is gone)."""
        return [r["message_id"] for r in self.db.all(
            "SELECT l.message_id FROM reply_leases l LEFT JOIN workers w ON w.id = l.worker"
            " WHERE w.seen_at IS NULL OR w.seen_at < ?", seen_before)]

    def live(self, seen_since: float) -> set[str]:
        """The workers that have beaten since `seen_since`."""
        return {r["id"] for r in self.db.all("SELECT id FROM workers WHERE seen_at >= ?",
                                             seen_since)}

    def forget_workers(self, seen_before: float) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM workers WHERE seen_at < ?", seen_before)

    def abandoned(self, seen_before: float, updated_before: str) -> list[str]:
        """Replies still `streaming`, untouched since `updated_before`, that no worker seen
        since `seen_before` holds."""
        return [r["id"] for r in self.db.all(
            "SELECT m.id FROM messages m LEFT JOIN reply_leases l ON l.message_id = m.id "
            "LEFT JOIN workers w ON w.id = l.worker WHERE m.status = 'streaming' AND "
            "m.updated_at < ? AND (w.seen_at IS NULL OR w.seen_at < ?)",
            updated_before, seen_before)]
