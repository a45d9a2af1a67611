"""Prefer presets: `Prefer` values the mock applies to a session's requests, set from the admin
API (or the console), so an app can be shown a state without changing what it sends.

A preset names an operation of the contract (or `*`: every operation) and a `Prefer` value,
checked as a request's own would be. A request that sends a `Prefer` header of its own is
left alone: presets apply only to requests without one. Kept in memory, per session name,
for at most MAX_SESSIONS names of MAX_ITEMS presets each; forgotten with their session. On
PostgreSQL, in the database too, for every host (mock/shared_presets.py).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..errors import ApiError
from . import prefer as prefer_mod
from .sessions import valid_name

__all__ = ["Presets", "ANY", "MAX_ITEMS", "MAX_SESSIONS", "MAX_PREFER"]

ANY = "*"
MAX_ITEMS = 64
MAX_SESSIONS = 64
MAX_PREFER = 500  # characters of one preset's Prefer value


class Presets:
    def __init__(self, operations: list[str], operation_of: Callable[[str, str], str | None]
                 ) -> None:
        self.operations = sorted(operations)
        self._known = set(operations) | {ANY}
        self._operation_of = operation_of   # (method, path) -> operationId, or None
        self._by_session: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def for_request(self, session: str, method: str, path: str) -> str | None:
        """The Prefer value a request of `session` gets, or None (one dict lookup when unset)."""
        presets = self._by_session.get(session)
        if not presets:
            return None
        operation = self._operation_of(method, path)
        return presets.get(operation) if operation in presets else presets.get(ANY)

    def get(self, session: str) -> list[dict[str, str]]:
        valid_name("session", session)
        return [{"operation": k, "prefer": v}
                for k, v in self._by_session.get(session, {}).items()]

    def put(self, session: str, items: Any) -> list[dict[str, str]]:
        """Replace the session's presets; a 400 names the first one that is not valid."""
        valid_name("session", session)
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ApiError(f"items must be a list of at most {MAX_ITEMS} presets", status=400)
        presets: dict[str, str] = {}
        for n, item in enumerate(items):
            if not isinstance(item, dict) or set(item) != {"operation", "prefer"} \
                    or not all(isinstance(v, str) for v in item.values()):
                raise ApiError(f"items[{n}] must be an object with the strings operation and "
                               "prefer", status=400)
            if item["operation"] not in self._known:
                raise ApiError(f"items[{n}]: {item['operation'][:80]!r} is not an operation "
                               f"of the contract (or {ANY!r} for every operation)", status=400)
            if not item["prefer"].strip() or len(item["prefer"]) > MAX_PREFER:
                raise ApiError(f"items[{n}]: prefer must hold 1 to {MAX_PREFER} characters",
                               status=400)
            prefer_mod.parse([item["prefer"]])  # a bad value is the PreferError's 400
            presets[item["operation"]] = item["prefer"]
        self._keep(session, presets)
        return self.get(session)

    def _keep(self, session: str, presets: dict[str, str]) -> None:
        with self._lock:
            if presets and session not in self._by_session \
                    and len(self._by_session) >= MAX_SESSIONS:
                raise too_many()
            if presets:
                self._by_session[session] = presets
            else:
                self._by_session.pop(session, None)

    def forget(self, session: str) -> None:
        with self._lock:
            self._by_session.pop(session, None)

    def close(self) -> None:
        """Nothing to stop (mock/shared_presets.py stops its reader)."""


def too_many() -> ApiError:
    return ApiError(f"Presets are kept for at most {MAX_SESSIONS} sessions; clear another "
                    "session's first", status=409)
