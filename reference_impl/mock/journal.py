"""The request journal: the last `LIMIT` requests of each session, in memory, bounded in bytes.

An entry is appended as one tuple, so recording costs about a microsecond; the dicts the admin
API returns are built only when read.

An entry also keeps the first BODY_LIMIT bytes of the request and response bodies, with their
media types, for the console (mock/console.html); `entry(seq)` returns them with secrets
redacted (mock/redact.py). They are redacted when read, not when recorded: a request pays for
keeping a reference to bytes it already holds, not for parsing them.

Bounds: an entry's path and query are cut at FIELD_LIMIT characters each (a note says how many
more there were), its violations at 20 of 500 characters each; the journal as a whole keeps at
most `max_bytes` (MAX_BYTES: the strings it holds plus a fixed estimate per entry and per
session), dropping the oldest entries of all sessions first, and a session whose last entry
goes is forgotten. Requests refused before they had a valid session name are not recorded
(mock/layer.py).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .redact import body_view, query_view

__all__ = ["Journal", "Body", "LIMIT", "MAX_BYTES", "FIELD_LIMIT", "BODY_LIMIT", "listed"]

LIMIT = 1000
MAX_BYTES = 8 * 1024 * 1024
FIELD_LIMIT = 2048            # characters of a path or a query kept
BODY_LIMIT = 8192             # bytes of a request or response body kept
ENTRY_COST = 400              # bytes an entry costs besides its strings (tuple, floats, order)
SESSION_COST = 1200           # bytes a session's own deque and dict slot cost
_VIOLATIONS, _VIOLATION_CHARS = 20, 500
_NONE: list[str] = []  # shared by entries without violations (never changed)
_FIELDS = ("seq", "time", "session", "method", "path", "query", "status", "latency_ms",
           "checked", "violations")


class Body(NamedTuple):
    """A body as recorded: its media type, its first BODY_LIMIT bytes, and its whole size.

    mock/layer.py records plain tuples in this order, the media type as the bytes it came as.
    """

    media_type: str | bytes = ""
    data: bytes = b""
    size: int = 0

    @classmethod
    def of(cls, media_type: str, data: bytes) -> "Body":
        return cls(media_type, data[:BODY_LIMIT], len(data))


_EMPTY = Body()


def _rfc3339(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clip(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    return f"{text[:most]}...[{len(text) - most} more characters truncated]"


def listed(row: tuple) -> dict[str, Any]:
    # The time is kept as a float (cheap to record) and written as RFC 3339 when read, as
    # every other time of both contracts is; a stream ticket in a query is redacted.
    out = dict(zip(_FIELDS, row[:1] + (_rfc3339(row[1]),) + row[2:10]))
    out["query"] = query_view(out["query"])
    return out


class Journal:
    def __init__(self, limit: int = LIMIT, max_bytes: int = MAX_BYTES) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._max_order = max(1, max_bytes // ENTRY_COST)  # entries, stale places included
        self._entries: dict[str, deque] = {}
        self._order: deque[tuple[int, str]] = deque()  # (seq, session), oldest first
        self._bytes = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # the proxy and tests may record from threads

    def record(self, session: str, when: float, method: str, path: str, query: str,
               status: int, latency_ms: float, violations: list[str] | None,
               request: Body = _EMPTY, response: Body = _EMPTY) -> None:
        """`violations` None means the response was not checked against the contract."""
        if len(path) > FIELD_LIMIT or len(query) > FIELD_LIMIT:
            path, query = _clip(path, FIELD_LIMIT), _clip(query, FIELD_LIMIT)
        found = _NONE
        size = ENTRY_COST + len(path) + len(query) + len(request[1]) + len(response[1])
        if violations:
            found = [_clip(v, _VIOLATION_CHARS) for v in violations[:_VIOLATIONS]]
            size += sum(map(len, found))
        self._keep(session, when, method, path, query, status, latency_ms,
                   violations is not None, found, request, response, size)

    def _keep(self, session: str, when: float, method: str, path: str, query: str,
              status: int, latency_ms: float, checked: bool, found: list[str], request: Body,
              response: Body, size: int) -> None:
        with self._lock:
            entries = self._entries.get(session)
            if entries is None:
                entries = self._entries[session] = deque()
                self._bytes += SESSION_COST + len(session)
            seq = next(self._seq)
            entries.append((seq, when, session, method, path, query, status,
                            round(latency_ms, 3), checked, found, request, response, size))
            self._order.append((seq, session))
            self._bytes += size
            if len(entries) > self.limit:
                self._bytes -= entries.popleft()[-1]  # its place in _order is skipped later
            while self._bytes > self.max_bytes or len(self._order) > self._max_order:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        seq, session = self._order.popleft()
        entries = self._entries.get(session)
        if entries and entries[0][0] == seq:
            self._bytes -= entries.popleft()[-1]
            if not entries:
                self._forget(session)

    def _forget(self, session: str) -> None:
        entries = self._entries.pop(session, None)
        if entries is not None:
            self._bytes -= SESSION_COST + len(session) + sum(e[-1] for e in entries)

    def size_bytes(self) -> int:
        """What the journal holds, by its own estimate (the figure held under `max_bytes`)."""
        return self._bytes

    def read(self, session: str | None = None, limit: int = 100,
             violations_only: bool = False) -> list[dict[str, Any]]:
        """Newest first; one session, or all of them merged."""
        with self._lock:
            if session is None:
                rows = sorted(itertools.chain.from_iterable(self._entries.values()),
                              key=lambda e: e[0], reverse=True)
            else:
                rows = list(reversed(self._entries.get(session, ())))
        if violations_only:
            rows = [r for r in rows if r[9]]
        return [listed(row) for row in rows[:limit]]

    def entry(self, seq: int) -> dict[str, Any] | None:
        """One entry with its request and response bodies, secrets redacted; None if gone."""
        with self._lock:
            row = next((e for entries in self._entries.values() for e in entries
                        if e[0] == seq), None)
        if row is None:
            return None
        return {**listed(row), "request": body_view(row[10]), "response": body_view(row[11])}

    def clear(self, session: str | None = None) -> None:
        with self._lock:
            for name in list(self._entries) if session is None else [session]:
                self._forget(name)
            if session is None:
                self._order.clear()

    def forget(self, session: str) -> None:
        with self._lock:
            self._forget(session)

    def close(self) -> None:
        """Nothing to write anywhere (mock/shared_journal.py writes its last entries)."""
