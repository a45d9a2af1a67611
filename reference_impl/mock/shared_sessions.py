"""Mock sessions on PostgreSQL: every host of the database serves the same named sessions.

The same rules as mock/sessions.py (a session costs nothing until its first authenticated
write; reads before it see the template, read-only; at most `max_sessions` sessions and
`max_bytes` together; only an idle session is evicted, and when none is a new one is
refused with a 503 and a Retry-After), held in the database rather than in one process:

- a session, a snapshot and the template are schemas, named in a registry
  (store/mock_sessions.py); creating, evicting, dropping, snapshotting and restoring run
  under the registry's lock, so the caps hold across hosts;
- a session's request marks it used in the registry (one UPDATE, which also says where it
  lives and what all sessions hold); a host refreshes that mark every TICK seconds for the
  sessions it has requests running in, so a long stream served by host A keeps its session
  from being evicted by host B. A session is idle after `idle_after` seconds without a
  request on any host, by the database's clock (hosts' clocks may differ);
- sizes are measured (pg_total_relation_size) when a copy is made and at most TICK seconds
  after a session's writes.

Each host keeps a State per session it has served (its reply runner), found by the schema
the registry names: a session dropped and made again by another host is a new schema.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ..errors import ApiError, NotFound
from ..store.mock_sessions import SessionRegistry
from .sessions import DEFAULT, MAX_SNAPSHOTS, Session, SessionPool, valid_name

__all__ = ["SharedSessionPool", "TICK"]

TICK = 1.0  # seconds between a host's refreshes of its sessions' last use and size


class SharedSessionPool(SessionPool):
    """Named sessions in schemas of the shared database; see the module's docstring."""

    def __init__(self, default_state: Any, *, registry: SessionRegistry, fixtures_key: str,
                 **options: Any) -> None:
        super().__init__(default_state, **options)
        self.registry = registry
        self._fixtures_key = fixtures_key
        self._states: dict[str, tuple[str, Any]] = {}  # name -> (schema, State) on this host
        self._written: set[str] = set()   # sessions to measure at the next tick
        self._used: set[str] = set()      # sessions whose requests ended since the last tick
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None

    def template(self) -> Any:
        with self._lock:
            if self._template is None:
                self._template = self.registry.template(self._fixtures_key, self._seed)
            return self._template

    # -- what requests use ------------------------------------------------------------------------

    def running(self, name: str, delta: int) -> None:
        super().running(name, delta)
        with self._lock:
            self._used.add(name)
        self._start_ticking()

    def existing(self, name: str) -> Session | None:
        row = self.registry.touch(name)
        return None if row is None else self._session(row)

    def state_for_read(self, name: str) -> Any:
        row = self.registry.touch(name)
        if row is None:
            with self._lock:
                self._states.pop(name, None)
            return self.view()
        return self._state(row)

    def state_for_write(self, name: str, method: str) -> Any:
        row = self.registry.touch(name)
        if method != "DELETE" and row is not None and row["total_bytes"] >= self.max_bytes:
            raise self._full()
        if row is None:
            row = self._create(name)
        with self._lock:
            self._written.add(name)
        self._start_ticking()
        return self._state(row)

    def session(self, name: str, create: bool = False) -> Session:
        if name == DEFAULT:
            return Session(DEFAULT, self.default.state, self.default.created_at,
                           self.default.last_used, self._snapshots(DEFAULT))
        found = self.existing(name)
        if found is None:
            self.require_enabled()
            if not create:
                raise NotFound(f"No mock session named {name!r}")
            found = self._session(self._create(name))
        return found

    def sessions(self) -> list[Session]:
        by_session: dict[str, list[dict[str, Any]]] = {}
        for snap in self.registry.snapshots():
            by_session.setdefault(snap["session"], []).append(snap)
        return [self.session(DEFAULT), *(self._session(row, by_session.get(row["name"], []))
                                         for row in self.registry.all_sessions())]

    def size_bytes(self) -> int:
        return self.registry.totals()[1]

    # -- sessions as schemas ----------------------------------------------------------------------

    def _schema(self, name: str, create: bool = False) -> str:
        if name == DEFAULT:
            return self.default.state.store.schema
        self.session(name, create)  # 404, or made now
        return self.registry.get(name)["schema_name"]

    def _state(self, row: dict[str, Any]) -> Any:
        with self._lock:
            cached = self._states.get(row["name"])
            if cached is None or cached[0] != row["schema_name"]:
                if len(self._states) >= 2 * self.max_sessions:  # names other hosts evicted
                    self._states.clear()
                store = self.default.state.store.in_schema(row["schema_name"])
                cached = self._states[row["name"]] = (row["schema_name"], self._make_state(store))
            return cached[1]

    def _session(self, row: dict[str, Any], snaps: list[dict[str, Any]] | None = None
                 ) -> Session:
        # Listed, not served: the admin API reads names and times only.
        snapshots = self._snapshots(row["name"]) if snaps is None else _by_name(snaps)
        return Session(row["name"], None, row["created_at"], row["last_used"], snapshots)

    def _snapshots(self, session: str) -> "OrderedDict[str, tuple[Any, float]]":
        return _by_name(self.registry.snapshots(session))

    def _create(self, name: str) -> dict[str, Any]:
        """Session `name` made from the template under the registry's lock: the caps checked
        against every host's sessions, an idle one evicted if need be, or a 503."""
        self.require_enabled()
        valid_name("session", name)
        template = self.template()
        needs = template.size_bytes()
        evicted: list[str] = []
        with self.registry.locked():
            row = self.registry.get(name)  # another request or host made it meanwhile
            while row is None:
                count, total = self.registry.totals()
                if count < self.max_sessions and total + needs <= self.max_bytes:
                    row = self.registry.add(name, template.schema)
                    break
                with self._lock:
                    busy = list(self._running)
                victim = self.registry.oldest_idle(self.idle_after, busy)
                if victim is None:
                    if count == 0:
                        raise self._full()
                    raise self._all_in_use(count, self.clock() - self.registry.idle_for())
                self.registry.remove(victim["name"])
                evicted.append(victim["name"])
        for gone in evicted:  # committed: forgotten here too
            self._forget(gone)
        return row

    def _forget(self, name: str) -> None:
        with self._lock:
            self._states.pop(name, None)
        self._on_evict(name)

    # -- the admin API ---------------------------------------------------------------------------

    def reset(self, name: str) -> Session:
        target = self._schema(name, create=True)
        with self.registry.locked():
            self.registry.fill(target, self.template().schema)
        return self.session(name)

    def drop(self, name: str) -> None:
        if name == DEFAULT:
            raise ApiError("The default session cannot be deleted; reset it instead", status=409)
        with self.registry.locked():
            row = self.registry.remove(name)
        if row is None:
            raise NotFound(f"No mock session named {name!r}")
        self._forget(name)

    def snapshot(self, name: str, snapshot: str) -> float:
        self.require_enabled()
        valid_name("snapshot", snapshot)
        source = self._schema(name, create=True)
        with self.registry.locked():
            replaced = self.registry.snapshot(name, snapshot) is not None
            if not replaced and len(self.registry.snapshots(name)) >= MAX_SNAPSHOTS:
                raise ApiError(f"Session {name!r} holds {MAX_SNAPSHOTS} snapshots already; "
                               "delete one first", status=409)
            if not replaced and name != DEFAULT:
                size = self.default.state.store.in_schema(source).size_bytes()
                if self.registry.totals()[1] + size > self.max_bytes:
                    raise self._full()
            return self.registry.add_snapshot(name, snapshot, source)

    def restore(self, name: str, snapshot: str) -> None:
        target = self._schema(name)
        with self.registry.locked():
            found = self.registry.snapshot(name, snapshot)
            if found is None:
                raise NotFound(f"No snapshot {snapshot!r} in session {name!r}")
            self.registry.fill(target, found["schema_name"])

    def delete_snapshot(self, name: str, snapshot: str) -> None:
        self._schema(name)  # 404 for a session that does not exist
        with self.registry.locked():
            if not self.registry.remove_snapshot(name, snapshot):
                raise NotFound(f"No snapshot {snapshot!r} in session {name!r}")

    # -- the tick --------------------------------------------------------------------------------

    def _start_ticking(self) -> None:
        if self._ticker is None:
            with self._lock:
                if self._ticker is None and not self._stopped.is_set():
                    self._ticker = threading.Thread(target=self._tick, daemon=True,
                                                    name="mock-sessions-tick")
                    self._ticker.start()

    def _tick(self) -> None:
        while not self._stopped.wait(TICK):
            with self._lock:
                written, self._written = self._written, set()
                used, self._used = self._used | set(self._running), set()
            try:
                self.registry.measure(sorted(written))
                self.registry.touch_all(sorted(used))
            except Exception:  # noqa: BLE001 - the database away for a moment: next tick
                with self._lock:
                    self._written |= written

    def close(self) -> None:
        self._stopped.set()
        if self._ticker is not None:  # done before the store it uses is closed
            self._ticker.join(timeout=10)
        super().close()


def _by_name(rows: list[dict[str, Any]]) -> "OrderedDict[str, tuple[Any, float]]":
    return OrderedDict((r["name"], (r["schema_name"], r["taken_at"])) for r in rows)
