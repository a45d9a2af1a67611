"""Prefer presets on PostgreSQL: set through any host, applied by every host.

A request still finds its preset with one dict lookup (mock/presets.py): each host keeps a
copy of the `mock_presets` table, read again every REFRESH_EVERY seconds by a thread. So a
preset put through host A applies to the requests host A serves at once, and to those of the
other hosts at most REFRESH_EVERY seconds (plus one SELECT) later. The cap on sessions with
presets is checked in the database, under one lock, for all hosts.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..store.mock_presets import PresetTable
from .presets import MAX_SESSIONS, Presets, too_many
from .sessions import valid_name

__all__ = ["SharedPresets", "REFRESH_EVERY"]

REFRESH_EVERY = 1.0  # seconds between a host's reads of every session's presets


class SharedPresets(Presets):
    def __init__(self, operations: list[str], operation_of: Callable[[str, str], str | None],
                 table: PresetTable) -> None:
        super().__init__(operations, operation_of)
        self.table = table
        self._generation = 0  # changes this host made (the reader does not undo one)
        self._stopped = threading.Event()
        self._reader = threading.Thread(target=self._read_every, daemon=True,
                                        name="mock-presets-reader")
        self._reader.start()

    def _read_every(self) -> None:
        while True:
            with self._lock:
                generation = self._generation
            try:
                every = self.table.every()
            except Exception:  # noqa: BLE001 - the database away: keep what we have
                every = None
            with self._lock:
                # Not over a change this host made while the SELECT ran: read again next time.
                if every is not None and generation == self._generation:
                    self._by_session = every  # one assignment: a request sees old or new
            if self._stopped.wait(REFRESH_EVERY):
                return

    def get(self, session: str) -> list[dict[str, Any]]:
        valid_name("session", session)
        return [{"operation": k, "prefer": v} for k, v in self.table.of(session).items()]

    def _keep(self, session: str, presets: dict[str, str]) -> None:
        if not self.table.put(session, presets, MAX_SESSIONS):
            raise too_many()
        with self._lock:  # this host applies them at once
            self._generation += 1
            every = dict(self._by_session)
            if presets:
                every[session] = presets
            else:
                every.pop(session, None)
            self._by_session = every

    def forget(self, session: str) -> None:
        self.table.forget(session)
        with self._lock:
            self._generation += 1
            self._by_session = {k: v for k, v in self._by_session.items() if k != session}

    def close(self) -> None:
        self._stopped.set()
        self._reader.join(timeout=10)  # done before the store it uses is closed
