"""Share links and their snapshots: one `share_messages` row per message, written and read in
slices (services/shares.py)."""

from __future__ import annotations

from typing import Any, AsyncIterator

from .base import Repository

__all__ = ["Shares"]


class Shares(Repository):
    def by_id(self, share_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM shares WHERE id = ?", share_id)

    def owned(self, user_id: str, share_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM shares WHERE id = ? AND user_id = ?", share_id, user_id)

    def of_conversation(self, conversation_id: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM shares WHERE conversation_id = ?", conversation_id)

    def page(self, user_id: str, after: int | None, limit: int, q: str | None = None,
             conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Newest first; `q` in the title."""
        sql, args = "SELECT * FROM shares WHERE user_id = ?", [user_id]
        if conversation_id is not None:
            # shares.conversation_id is UNIQUE (indexed): at most one row, found in one lookup.
            sql, args = sql + " AND conversation_id = ?", [*args, conversation_id]
        if q is not None:
            sql, args = sql + f" AND {self.db.contains('title')}", [*args, q]
        return self.db.page(sql, args, after, limit, newest_first=True)

    def add(self, row: dict[str, Any]) -> None:
        self.db.insert("shares", row)

    def change(self, share_id: str, changes: dict[str, Any]) -> None:
        self.db.update("shares", share_id, changes)

    def delete(self, share_id: str) -> None:
        self.db.run("DELETE FROM shares WHERE id = ?", share_id)

    # -- snapshots ------------------------------------------------------------------------------

    def add_message(self, snapshot_id: str, sha256s: dict[str, str], message: str) -> None:
        """One message of a snapshot (`message` its public JSON), inside the caller's
        transaction; `sha256s` maps its attachments' ids to their hashes, for clones."""
        self.db.insert("share_messages", {"snapshot_id": snapshot_id, "sha256s": sha256s,
                                          "message": message})

    def snapshot(self, snapshot_id: str, size: int | None = None
                 ) -> AsyncIterator[list[dict[str, Any]]]:
        """seq, sha256s and message of every row of a snapshot, a page per query."""
        args = (size,) if size else ()
        return self.db.pages("SELECT seq, sha256s, message FROM share_messages "
                             "WHERE snapshot_id = ?", [snapshot_id], *args)

    def snapshot_messages(self, snapshot_id: str, size: int
                          ) -> AsyncIterator[list[dict[str, Any]]]:
        """As `snapshot`, seq and message only (a public read has no use for the hashes)."""
        return self.db.pages("SELECT seq, message FROM share_messages WHERE snapshot_id = ?",
                             [snapshot_id], size)

    async def drop_snapshot(self, snapshot_id: str) -> None:
        await self.db.delete_all("share_messages", "snapshot_id = ?", [snapshot_id])

    def drop_snapshot_now(self, snapshot_id: str) -> None:
        """As `drop_snapshot`, for a thread of its own (recovery.py): no turns of a loop."""
        while self.db.delete_some("share_messages", "snapshot_id = ?", [snapshot_id]):
            pass

    def unreferenced_snapshots(self) -> list[str]:
        """Snapshots no share refers to: being written, being dropped, or left half-written
        or half-dropped by a process that stopped."""
        return [r["snapshot_id"] for r in self.db.all(
            "SELECT DISTINCT snapshot_id FROM share_messages s WHERE NOT EXISTS "
            "(SELECT 1 FROM shares h WHERE h.snapshot_id = s.snapshot_id)")]
