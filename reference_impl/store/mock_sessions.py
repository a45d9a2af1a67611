"""The mock sessions' registry on PostgreSQL: every host of a database sees the same sessions.

A named session (`X-Mock-Session`) is a schema of its own (`mock_s_<hex>`), a snapshot too
(`mock_n_<hex>`), each made with the state's tables (postgres.STATE_TABLES) and filled by
INSERT ... SELECT from a template schema seeded once per fixtures (`mock_t_<key>`). The
registry (`mock_sessions`, `mock_snapshots`, `mock_templates`, in the server's own schema)
names them, with each one's owner (the host that made it), last use and size. Changes to it
run in `locked()`: one transaction holding one advisory lock, so the caps the rules in
mock/shared_sessions.py check hold across hosts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .postgres import STATE_TABLES, PostgresStore, copy_schema, schema_bytes

__all__ = ["SessionRegistry"]

REGISTRY_KEY = zlib.crc32(b"chat-contract:mock-registry")
# Times are the database's, so hosts whose clocks differ still agree on what is idle.
NOW = "extract(epoch FROM clock_timestamp())"
TEMPLATE_KEY = REGISTRY_KEY + 1


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SessionRegistry:
    """The statements about named sessions, run on the server's own store (`db`)."""

    def __init__(self, db: PostgresStore) -> None:
        self.db = db
        self.owner = _owner()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """A transaction holding the registry's lock: one change of the registry at a time,
        across hosts; the shared state's writers do not wait for it."""
        with self.db.transaction(REGISTRY_KEY):
            yield

    # -- the template ----------------------------------------------------------------------------

    def template(self, key: str, seed: Callable[[PostgresStore], Any]) -> PostgresStore:
        """The template schema for fixtures `key`, seeded by `seed` unless a host did it
        already; older templates are dropped. Read-only."""
        # A change of the fixtures or of the tables is a new template.
        schema = "mock_t_" + hashlib.sha256(f"{key}\n{STATE_TABLES}".encode()).hexdigest()[:24]
        store = self.db.in_schema(schema)
        if not self.db.one("SELECT 1 AS x FROM mock_templates WHERE schema_name = ?", schema):
            with self.db.holding(TEMPLATE_KEY):  # hosts needing it together: the first seeds
                if not self.db.one("SELECT 1 AS x FROM mock_templates WHERE schema_name = ?",
                                   schema):
                    with self.db.transaction(REGISTRY_KEY):  # committed before the seeding
                        self.db.script(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # half made
                        self._make_tables(schema)
                    seed(store)
                    with self.db.transaction(REGISTRY_KEY):
                        for old in self.db.all("SELECT schema_name FROM mock_templates"):
                            self.db.script(f'DROP SCHEMA IF EXISTS "{old["schema_name"]}" CASCADE')
                        self.db.run("DELETE FROM mock_templates")
                        self.db.run("INSERT INTO mock_templates (schema_name, made_at) "
                                    f"VALUES (?, {NOW})", schema)
        store.make_read_only()
        return store

    def _make_tables(self, schema: str) -> None:
        """Schema `schema` with the state's tables, empty (in the caller's transaction)."""
        self.db.script(f'CREATE SCHEMA "{schema}"')
        self.db.run("SELECT set_config('search_path', ?, true)", schema)
        self.db.script(STATE_TABLES)
        self.db.run("SELECT set_config('search_path', ?, true)", self.db.schema)

    # -- sessions (the writes in `locked()`) ------------------------------------------------------

    def touch(self, name: str) -> dict[str, Any] | None:
        """Mark session `name` used now; its row and the bytes of every session and snapshot
        (the default state's snapshots aside), or None: one statement, no lock."""
        return self.db.one(
            f"UPDATE mock_sessions SET last_used = greatest(last_used, {NOW}) WHERE name = ? "
            "RETURNING name, schema_name, owner, created_at, last_used, size_bytes, "
            "(SELECT COALESCE(sum(size_bytes), 0) FROM mock_sessions) + "
            "(SELECT COALESCE(sum(size_bytes), 0) FROM mock_snapshots "
            "WHERE session <> 'default') AS total_bytes", name)

    def touch_all(self, names: list[str]) -> None:
        """Sessions in use on this host (long requests): not idle, for every host."""
        if names:
            self.db.run(f"UPDATE mock_sessions SET last_used = greatest(last_used, {NOW}) "
                        "WHERE name = ANY(?::text[])", names)

    def measure(self, names: list[str]) -> None:
        """Each session's size as it is now (after its writes)."""
        for name in names:
            row = self.db.one("SELECT schema_name FROM mock_sessions WHERE name = ?", name)
            if row is not None:
                self.db.run("UPDATE mock_sessions SET size_bytes = ? WHERE name = ?",
                            schema_bytes(self.db, row["schema_name"]), name)

    def get(self, name: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM mock_sessions WHERE name = ?", name)

    def all_sessions(self) -> list[dict[str, Any]]:
        return self.db.all("SELECT * FROM mock_sessions ORDER BY last_used")

    def snapshots(self, session: str | None = None) -> list[dict[str, Any]]:
        if session is None:
            return self.db.all("SELECT * FROM mock_snapshots ORDER BY taken_at")
        return self.db.all("SELECT * FROM mock_snapshots WHERE session = ? ORDER BY taken_at",
                           session)

    def totals(self) -> tuple[int, int]:
        """Sessions, and the bytes of all sessions and snapshots (the default's aside)."""
        row = self.db.one("SELECT (SELECT count(*) FROM mock_sessions) AS n, "
                          "(SELECT COALESCE(sum(size_bytes), 0) FROM mock_sessions) + "
                          "(SELECT COALESCE(sum(size_bytes), 0) FROM mock_snapshots "
                          "WHERE session <> 'default') AS total")
        return int(row["n"]), int(row["total"])

    def oldest_idle(self, idle_after: float, busy: list[str]) -> dict[str, Any] | None:
        """The least recently used session unused for `idle_after` seconds, not in `busy`."""
        return self.db.one(f"SELECT * FROM mock_sessions WHERE last_used <= {NOW} - ? "
                           "AND NOT (name = ANY(?::text[])) ORDER BY last_used LIMIT 1",
                           idle_after, busy)

    def idle_for(self) -> float:
        """Seconds since the least recently used session's last use."""
        row = self.db.one(f"SELECT {NOW} - min(last_used) AS age FROM mock_sessions")
        return row["age"] or 0.0

    def add(self, name: str, source: str) -> dict[str, Any]:
        """A new session `name`: a schema filled from schema `source` (the template)."""
        schema = self._copy_of(source, "mock_s_")
        self.db.run("INSERT INTO mock_sessions (name, schema_name, owner, created_at, last_used, "
                    f"size_bytes) VALUES (?, ?, ?, {NOW}, {NOW}, ?)", name, schema, self.owner,
                    schema_bytes(self.db, schema))
        return self.get(name)

    def remove(self, name: str) -> dict[str, Any] | None:
        """Session `name`, its snapshots and their schemas gone; its row, or None."""
        row = self.db.one("DELETE FROM mock_sessions WHERE name = ? RETURNING *", name)
        for snap in self.db.all("DELETE FROM mock_snapshots WHERE session = ? "
                                "RETURNING schema_name", name):
            self.db.script(f'DROP SCHEMA IF EXISTS "{snap["schema_name"]}" CASCADE')
        if row is not None:
            self.db.script(f'DROP SCHEMA IF EXISTS "{row["schema_name"]}" CASCADE')
        return row

    def fill(self, target: str, source: str) -> None:
        """Schema `target` holds what schema `source` holds (reset, restore)."""
        copy_schema(self.db, source, target)
        self.db.run("UPDATE mock_sessions SET size_bytes = ? WHERE schema_name = ?",
                    schema_bytes(self.db, target), target)

    # -- snapshots -------------------------------------------------------------------------------

    def snapshot(self, session: str, name: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM mock_snapshots WHERE session = ? AND name = ?",
                           session, name)

    def add_snapshot(self, session: str, name: str, source: str) -> float:
        """Snapshot `name` of `session` (schema `source`), replacing one of that name; when."""
        self.remove_snapshot(session, name)
        schema = self._copy_of(source, "mock_n_")
        return self.db.one("INSERT INTO mock_snapshots (session, name, schema_name, taken_at, "
                           f"size_bytes) VALUES (?, ?, ?, {NOW}, ?) RETURNING taken_at",
                           session, name, schema, schema_bytes(self.db, schema))["taken_at"]

    def remove_snapshot(self, session: str, name: str) -> bool:
        row = self.db.one("DELETE FROM mock_snapshots WHERE session = ? AND name = ? "
                          "RETURNING schema_name", session, name)
        if row is not None:
            self.db.script(f'DROP SCHEMA IF EXISTS "{row["schema_name"]}" CASCADE')
        return row is not None

    def _copy_of(self, source: str, prefix: str) -> str:
        schema = prefix + secrets.token_hex(8)
        self._make_tables(schema)
        copy_schema(self.db, source, schema)
        return schema
