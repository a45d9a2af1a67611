"""Isolated mock sessions: `X-Mock-Session: <name>` gets its own copy of the seeded state.

Each session is an in-memory SQLite database (plus its own folder of file bytes) cloned from a
template seeded once from the fixtures, so parallel test runs never see each other's writes.
No header, or the name `default`, means the server's shared state.

Bounds: at most `max_sessions` sessions (least recently used evicted first, with its snapshots
and journal) and `MAX_SNAPSHOTS` named snapshots per session. `max_sessions=0` turns sessions
and snapshots off: with several worker processes each would hold its own, different copy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ApiError, NotFound
from ..store import Store

__all__ = ["SessionPool", "Session", "DEFAULT", "MAX_SESSIONS", "MAX_SNAPSHOTS", "valid_name"]

DEFAULT = "default"
MAX_SESSIONS = 32
MAX_SNAPSHOTS = 16
_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")


def valid_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ApiError(f"Invalid {kind} name {name[:80]!r}: 1-64 characters from "
                       "A-Z a-z 0-9 . _ ~ -", status=400)
    return name


@dataclass
class Session:
    name: str
    state: Any                     # app.State: its own store and reply runner
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    snapshots: "OrderedDict[str, tuple[Store, float]]" = field(default_factory=OrderedDict)


class SessionPool:
    """Named sessions, created on first use, bounded with LRU eviction."""

    def __init__(self, default_state: Any, *, seed: Callable[[Store], Any],
                 make_state: Callable[[Store], Any], max_sessions: int = MAX_SESSIONS,
                 on_evict: Callable[[str], None] | None = None) -> None:
        self.default = Session(DEFAULT, default_state)
        self._seed = seed                  # loads the fixtures into a store
        self._make_state = make_state      # a State around a store (its own reply runner)
        self.max_sessions = max_sessions
        self._on_evict = on_evict or (lambda name: None)
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._template: Store | None = None
        self._root = Path(tempfile.mkdtemp(prefix="chat-contract-sessions-"))
        self._lock = threading.RLock()

    def _new_store(self, label: str) -> Store:
        return Store(None, Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self._root)))

    def template(self) -> Store:
        """The fixtures, seeded once on first need (start-up does not pay for it)."""
        with self._lock:
            if self._template is None:
                template = self._new_store("template")
                self._seed(template)
                self._template = template
            return self._template

    def state(self, name: str) -> Any:
        """The state requests of session `name` use; the session is created on first use."""
        if name == DEFAULT:
            return self.default.state
        return self.session(name, create=True).state

    def session(self, name: str, create: bool = False) -> Session:
        with self._lock:
            if name == DEFAULT:
                return self.default
            found = self._sessions.get(name)
            if found is None:
                self._require_enabled()
                if not create:
                    raise NotFound(f"No mock session named {name!r}")
                valid_name("session", name)
                store = self._new_store("session")
                self.template().copy_to(store)
                found = self._sessions[name] = Session(name, self._make_state(store))
                while len(self._sessions) > self.max_sessions:
                    old, evicted = self._sessions.popitem(last=False)
                    self._discard(evicted)
                    self._on_evict(old)
            self._sessions.move_to_end(name)
            found.last_used = time.time()
            return found

    def sessions(self) -> list[Session]:
        with self._lock:
            return [self.default, *self._sessions.values()]

    def reset(self, name: str) -> Session:
        """Back to the fixtures; a session that does not exist yet is created."""
        session = self.session(name, create=True)
        self.template().copy_to(session.state.store)
        return session

    def drop(self, name: str) -> None:
        if name == DEFAULT:
            raise ApiError("The default session cannot be deleted; reset it instead", status=409)
        with self._lock:
            session = self._sessions.pop(name, None)
        if session is None:
            raise NotFound(f"No mock session named {name!r}")
        self._discard(session)
        self._on_evict(name)

    def _require_enabled(self) -> None:
        if self.max_sessions == 0:
            raise ApiError("Mock sessions and snapshots need a server with one worker process "
                           "(each worker would keep its own copy)", status=400)

    def snapshot(self, name: str, snapshot: str) -> float:
        self._require_enabled()
        valid_name("snapshot", snapshot)
        session = self.session(name, create=True)
        with self._lock:
            if snapshot not in session.snapshots and len(session.snapshots) >= MAX_SNAPSHOTS:
                raise ApiError(f"Session {name!r} holds {MAX_SNAPSHOTS} snapshots already; "
                               "delete one first", status=409)
            old = session.snapshots.pop(snapshot, None)
            store = old[0] if old else self._new_store("snapshot")
            session.state.store.copy_to(store)
            taken = time.time()
            session.snapshots[snapshot] = (store, taken)
        return taken

    def restore(self, name: str, snapshot: str) -> None:
        session = self.session(name)
        found = session.snapshots.get(snapshot)
        if found is None:
            raise NotFound(f"No snapshot {snapshot!r} in session {name!r}")
        found[0].copy_to(session.state.store)

    def delete_snapshot(self, name: str, snapshot: str) -> None:
        session = self.session(name)
        with self._lock:
            found = session.snapshots.pop(snapshot, None)
        if found is None:
            raise NotFound(f"No snapshot {snapshot!r} in session {name!r}")
        _close(found[0])

    def _discard(self, session: Session) -> None:
        # A request still running in an evicted session keeps its store object alive; only the
        # folder of file bytes goes, so such a request may miss an attachment's bytes.
        for store, _ in session.snapshots.values():
            _close(store)
        session.snapshots.clear()
        shutil.rmtree(session.state.store.data_dir, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def _close(store: Store) -> None:
    store.close()
    shutil.rmtree(store.data_dir, ignore_errors=True)
