"""The request journal: the last `LIMIT` requests of each session, in memory.

An entry is appended as one tuple (a deque with maxlen drops the oldest), so recording costs
well under a microsecond; the dicts the admin API returns are built only when read.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

__all__ = ["Journal", "LIMIT"]

LIMIT = 1000
_FIELDS = ("seq", "time", "session", "method", "path", "query", "status", "latency_ms",
           "checked", "violations")


def _rfc3339(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._entries: dict[str, deque] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()  # the proxy and tests may record from threads

    def record(self, session: str, when: float, method: str, path: str, query: str,
               status: int, latency_ms: float, violations: list[str] | None) -> None:
        """`violations` None means the response was not checked against the contract."""
        entries = self._entries.get(session)
        if entries is None:
            with self._lock:
                entries = self._entries.setdefault(session, deque(maxlen=self.limit))
        entries.append((next(self._seq), when, session, method, path, query, status,
                        round(latency_ms, 3), violations is not None, violations or []))

    def read(self, session: str | None = None, limit: int = 100,
             violations_only: bool = False) -> list[dict[str, Any]]:
        """Newest first; one session, or all of them merged."""
        if session is None:
            rows = sorted(itertools.chain.from_iterable(list(d) for d in
                                                        list(self._entries.values())),
                          key=lambda e: e[0], reverse=True)
        else:
            rows = list(reversed(self._entries.get(session, ())))
        if violations_only:
            rows = [r for r in rows if r[-1]]
        # The time is kept as a float (cheap to record) and written as RFC 3339 when read, as
        # every other time of both contracts is.
        return [dict(zip(_FIELDS, row[:1] + (_rfc3339(row[1]),) + row[2:])) for row in rows[:limit]]

    def clear(self, session: str | None = None) -> None:
        if session is None:
            self._entries.clear()
        else:
            self._entries.pop(session, None)

    def forget(self, session: str) -> None:
        self._entries.pop(session, None)
