"""The request journal on PostgreSQL (`mock_journal`): what every host served, read by any.

Rows arrive in batches (mock/shared_journal.py writes a host's entries every few tenths of
a second, one INSERT per batch); `trim` keeps the newest `per_session` rows of each session
and at most `max_bytes` of recorded sizes in all.
"""

from __future__ import annotations

from typing import Any

from .base import Repository

__all__ = ["JournalTable", "COLUMNS"]

COLUMNS = ("session", "at", "method", "path", "query", "status", "latency_ms", "violations",
           "request_type", "request_body", "request_size", "response_type", "response_body",
           "response_size", "size_bytes")
_LISTED = "seq, session, at, method, path, query, status, latency_ms, violations"
_ROWS_PER_INSERT = 200


class JournalTable(Repository):
    def append(self, rows: list[tuple]) -> None:
        """Rows in COLUMNS' order, one statement per _ROWS_PER_INSERT (no write lock: the
        state's writers never wait for the journal)."""
        one = f"({', '.join('?' for _ in COLUMNS)})"
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start:start + _ROWS_PER_INSERT]
            self.db.run(f"INSERT INTO mock_journal ({', '.join(COLUMNS)}) VALUES "
                        + ", ".join(one for _ in chunk),
                        *(value for row in chunk for value in row))

    def trim(self, per_session: int, max_bytes: int) -> None:
        """The oldest rows beyond either bound gone."""
        self.db.run("DELETE FROM mock_journal WHERE seq IN (SELECT seq FROM (SELECT seq, "
                    "row_number() OVER (PARTITION BY session ORDER BY seq DESC) AS n, "
                    "sum(size_bytes) OVER (ORDER BY seq DESC) AS total FROM mock_journal) kept "
                    "WHERE n > ? OR total > ?)", per_session, max_bytes)

    def newest(self, session: str | None, limit: int, violations_only: bool
               ) -> list[dict[str, Any]]:
        where = " WHERE violations IS NOT NULL AND violations <> '[]'" if violations_only else ""
        args: list[Any] = []
        if session is not None:
            where += (" AND" if where else " WHERE") + " session = ?"
            args.append(session)
        return self.db.all(f"SELECT {_LISTED} FROM mock_journal{where} ORDER BY seq DESC "
                           "LIMIT ?", *args, limit)

    def entry(self, seq: int) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM mock_journal WHERE seq = ?", seq)

    def clear(self, session: str | None) -> None:
        if session is None:
            self.db.run("DELETE FROM mock_journal")
        else:
            self.db.run("DELETE FROM mock_journal WHERE session = ?", session)

    def size_bytes(self) -> int:
        row = self.db.one("SELECT COALESCE(sum(size_bytes), 0) AS total FROM mock_journal")
        return int(row["total"])
