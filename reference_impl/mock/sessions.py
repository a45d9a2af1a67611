"""Isolated mock sessions: `X-Mock-Session: <name>` gets its own copy of the seeded state.

Each session is an in-memory SQLite database (plus its own folder of file bytes) cloned from a
template seeded once from the fixtures, so parallel test runs never see each other's writes.
No header, or the name `default`, means the server's shared state.

A session costs nothing until its first authenticated write: until then its requests read the
template itself (`view()`, read-only: `PRAGMA query_only`), and a request that fails
authentication creates nothing (app.ContractMiddleware asks for the copy only after
authentication and validation; createToken only after the password matched).

Bounds: at most `max_sessions` sessions, holding at most `max_bytes` of SQLite pages together
(snapshots included), and MAX_SNAPSHOTS snapshots per session. A session is evicted (least
recently used first, with its snapshots and journal) only when it is idle: no request running
in it and none for `idle_after` seconds. When no session is idle, a new one is refused with a
503 and a Retry-After, and when the sessions hold `max_bytes`, so is any write but a DELETE:
a session in use is never dropped. `max_sessions=0` turns sessions and snapshots off: with
several worker processes each would hold its own, different copy.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ApiError, NotFound, ServiceUnavailable
from ..store import Store

__all__ = ["SessionPool", "Session", "DEFAULT", "MAX_SESSIONS", "MAX_SNAPSHOTS", "MAX_BYTES",
           "IDLE_AFTER", "valid_name"]

DEFAULT = "default"
MAX_SESSIONS = 32
MAX_SNAPSHOTS = 16
MAX_BYTES = 256 * 1024 * 1024  # SQLite pages of every session and snapshot together
IDLE_AFTER = 60.0              # seconds without a request before a session may be evicted
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


def _bytes(store: Store) -> int:
    return store.size_bytes()


class SessionPool:
    """Named sessions, created on their first authenticated write, bounded, idle ones evicted."""

    def __init__(self, default_state: Any, *, seed: Callable[[Store], Any],
                 make_state: Callable[[Store], Any], max_sessions: int = MAX_SESSIONS,
                 on_evict: Callable[[str], None] | None = None, max_bytes: int = MAX_BYTES,
                 idle_after: float = IDLE_AFTER, clock: Callable[[], float] = time.time) -> None:
        self.default = Session(DEFAULT, default_state)
        self._seed = seed                  # loads the fixtures into a store
        self._make_state = make_state      # a State around a store (its own reply runner)
        self.max_sessions = max_sessions
        self.max_bytes, self.idle_after, self.clock = max_bytes, idle_after, clock
        self._on_evict = on_evict or (lambda name: None)
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._template: Store | None = None
        self._view: Any = None
        self._running: Counter[str] = Counter()  # requests in progress, per session name
        self._root = Path(tempfile.mkdtemp(prefix="chat-contract-sessions-"))
        self._lock = threading.RLock()

    def _new_store(self, label: str) -> Store:
        return Store(None, Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self._root)))

    def template(self) -> Store:
        """The fixtures, seeded once on first need (start-up does not pay for it); read-only."""
        with self._lock:
            if self._template is None:
                template = self._new_store("template")
                self._seed(template)
                template.make_read_only()  # a write here would be a bug
                self._template = template
            return self._template

    def view(self) -> Any:
        """The state a session reads before its first write: the template's, read-only."""
        with self._lock:
            if self._view is None:
                self._view = self._make_state(self.template())
            return self._view

    # -- what requests use (mock/layer.py, app.ContractMiddleware) ------------------------------

    def require_enabled(self) -> None:
        if self.max_sessions == 0:
            raise ApiError("Mock sessions and snapshots need a server with one worker process "
                           "(each worker would keep its own copy)", status=400)

    def running(self, name: str, delta: int) -> None:
        """A request in session `name` starts (+1) or ends (-1): a running session is in use."""
        with self._lock:
            self._running[name] += delta
            if self._running[name] <= 0:
                del self._running[name]

    def existing(self, name: str) -> Session | None:
        """The session if it exists (marked used), else None: nothing is created."""
        with self._lock:
            found = self._sessions.get(name)
            if found is not None:
                self._sessions.move_to_end(name)
                found.last_used = self.clock()
            return found

    def state_for_read(self, name: str) -> Any:
        found = self.existing(name)
        return found.state if found is not None else self.view()

    def state_for_write(self, name: str, method: str) -> Any:
        """The session's own state, created now if needed; 503 when the bounds say no."""
        with self._lock:
            found = self.existing(name)
            if method != "DELETE" and self.size_bytes() >= self.max_bytes:
                raise self._full()
            if found is None:
                found = self._create(name)
            return found.state

    def session(self, name: str, create: bool = False) -> Session:
        """For the admin API: a session by name (`create`: made if missing, as a write would)."""
        if name == DEFAULT:
            return self.default
        with self._lock:
            found = self.existing(name)
            if found is None:
                self.require_enabled()
                if not create:
                    raise NotFound(f"No mock session named {name!r}")
                found = self._create(name)
            return found

    def _create(self, name: str) -> Session:
        self.require_enabled()
        valid_name("session", name)
        while len(self._sessions) >= self.max_sessions \
                or self.size_bytes() + _bytes(self.template()) > self.max_bytes:
            self._evict_idle()
        store = self._new_store("session")
        self.template().copy_to(store)
        now = self.clock()
        found = self._sessions[name] = Session(name, self._make_state(store), now, now)
        return found

    def _evict_idle(self) -> None:
        """Drop the least recently used idle session, or refuse with a 503 when none is idle."""
        now = self.clock()
        for name, session in self._sessions.items():
            if not self._running.get(name) and now - session.last_used >= self.idle_after:
                del self._sessions[name]
                self._discard(session)
                self._on_evict(name)
                return
        if not self._sessions:
            raise self._full()
        raise self._all_in_use(len(self._sessions),
                               min(s.last_used for s in self._sessions.values()))

    def _all_in_use(self, count: int, least_recent_use: float) -> ServiceUnavailable:
        soonest = least_recent_use + self.idle_after - self.clock()
        return ServiceUnavailable(
            f"All {count} mock sessions are in use (a session is evicted only "
            f"after {self.idle_after:g} s without requests); drop one (DELETE "
            "/__mock/sessions/{name}) or retry later", max(1, math.ceil(soonest)))

    def _full(self) -> ServiceUnavailable:
        mib = self.max_bytes / 1024 / 1024
        return ServiceUnavailable(
            f"The mock sessions hold their limit of {mib:g} MiB; drop or reset a session "
            "(/__mock/sessions/{name}) or delete what it holds", 60)

    def size_bytes(self) -> int:
        """SQLite pages of every session and snapshot (the shared state is not counted)."""
        with self._lock:
            return sum(_bytes(s.state.store) + sum(_bytes(st) for st, _ in s.snapshots.values())
                       for s in self._sessions.values())

    def sessions(self) -> list[Session]:
        with self._lock:
            return [self.default, *self._sessions.values()]

    # -- the admin API ---------------------------------------------------------------------------

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

    def snapshot(self, name: str, snapshot: str) -> float:
        self.require_enabled()
        valid_name("snapshot", snapshot)
        session = self.session(name, create=True)
        with self._lock:
            if snapshot not in session.snapshots and len(session.snapshots) >= MAX_SNAPSHOTS:
                raise ApiError(f"Session {name!r} holds {MAX_SNAPSHOTS} snapshots already; "
                               "delete one first", status=409)
            if snapshot not in session.snapshots and name != DEFAULT \
                    and self.size_bytes() + _bytes(session.state.store) > self.max_bytes:
                raise self._full()
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
        # Only idle sessions are evicted; a request that still held its store object keeps it
        # alive, but the folder of file bytes goes.
        for store, _ in session.snapshots.values():
            _close(store)
        session.snapshots.clear()
        shutil.rmtree(session.state.store.data_dir, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def _close(store: Store) -> None:
    store.close()
    shutil.rmtree(store.data_dir, ignore_errors=True)
