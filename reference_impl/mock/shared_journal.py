"""The request journal on PostgreSQL: every host's requests, read from any host.

Recording costs what it costs in mock/journal.py (a tuple appended in memory); a thread
writes the host's new entries to the `mock_journal` table every FLUSH_EVERY seconds, one
INSERT per batch, then trims the table to the journal's bounds (LIMIT entries per session,
MAX_BYTES in all, by the same estimate of an entry's size). So an entry appears in every
host's journal at most FLUSH_EVERY seconds (plus the INSERT) after its response; a request
never waits on the database for it. Entries a host could not write yet (the database away)
wait in memory, at most `max_bytes` of them, the oldest dropped first.

Entry numbers (`seq`) are the table's: one sequence for all hosts. Reads, `entry`, `clear`
and `forget` go to the table; a clear does not reach entries other hosts still hold unwritten
(at most FLUSH_EVERY seconds of them).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any

from ..store.mock_journal import JournalTable
from .journal import LIMIT, MAX_BYTES, Body, Journal, listed
from .redact import body_view

__all__ = ["SharedJournal", "FLUSH_EVERY"]

FLUSH_EVERY = 0.25  # seconds between a host's writes of its new entries


def _text(media_type: str | bytes) -> str:
    return media_type.decode("latin-1") if isinstance(media_type, bytes) else media_type


class SharedJournal(Journal):
    def __init__(self, table: JournalTable, limit: int = LIMIT, max_bytes: int = MAX_BYTES
                 ) -> None:
        super().__init__(limit, max_bytes)
        self.table = table
        self._pending: deque[tuple] = deque()
        self._pending_bytes = 0
        self._stopped = threading.Event()
        self._writer: threading.Thread | None = None
        self._write_lock = threading.Lock()  # one flush at a time (the thread, or a read)

    def _keep(self, session: str, when: float, method: str, path: str, query: str,
              status: int, latency_ms: float, checked: bool, found: list[str], request: Body,
              response: Body, size: int) -> None:
        with self._lock:
            self._pending.append((next(self._seq), session, when, method, path, query, status,
                                  round(latency_ms, 3), checked, found, request, response, size))
            self._pending_bytes += size
            while self._pending_bytes > self.max_bytes:
                self._pending_bytes -= self._pending.popleft()[-1]
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_every, daemon=True,
                                                name="mock-journal-writer")
                self._writer.start()

    def _write_every(self) -> None:
        while not self._stopped.wait(FLUSH_EVERY):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the database away: the entries wait in memory
                continue

    def flush(self) -> None:
        """Write this host's new entries to the table now, and trim it."""
        with self._write_lock:
            with self._lock:
                batch = list(self._pending)
            if not batch:
                return
            self.table.append([
                (session, when, method, path, query, status, latency_ms,
                 json.dumps(found) if checked else None, _text(request[0]), request[1],
                 request[2], _text(response[0]), response[1], response[2], size)
                for (_, session, when, method, path, query, status, latency_ms, checked, found,
                     request, response, size) in batch])
            last = batch[-1][0]
            with self._lock:  # written: out of memory (new ones may have come meanwhile)
                while self._pending and self._pending[0][0] <= last:
                    self._pending_bytes -= self._pending.popleft()[-1]
            self.table.trim(self.limit, self.max_bytes)

    def size_bytes(self) -> int:
        return self.table.size_bytes() + self._pending_bytes

    def read(self, session: str | None = None, limit: int = 100,
             violations_only: bool = False) -> list[dict[str, Any]]:
        self.flush()  # this host's own entries are there at once
        return [listed(_row(r)) for r in self.table.newest(session, limit, violations_only)]

    def entry(self, seq: int) -> dict[str, Any] | None:
        self.flush()
        row = self.table.entry(seq)
        if row is None:
            return None
        return {**listed(_row(row)),
                "request": body_view((row["request_type"], bytes(row["request_body"]),
                                      row["request_size"])),
                "response": body_view((row["response_type"], bytes(row["response_body"]),
                                       row["response_size"]))}

    def clear(self, session: str | None = None) -> None:
        self.flush()
        self.table.clear(session)

    def forget(self, session: str) -> None:
        self.clear(session)

    def close(self) -> None:
        self._stopped.set()
        if self._writer is not None:  # done before the store it uses is closed
            self._writer.join(timeout=10)
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - stopping: the database may be gone already
            pass


def _row(row: dict[str, Any]) -> tuple:
    """A table row in the order mock/journal.py keeps an entry."""
    violations = row["violations"]
    return (row["seq"], row["at"], row["session"], row["method"], row["path"], row["query"],
            row["status"], row["latency_ms"], violations is not None,
            json.loads(violations) if violations is not None else [])
