"""The PostgreSQL engine: one database that any number of hosts share, through psycopg 3 and a
connection pool (psycopg_pool).

The repositories' SQL runs as written (`?` placeholders become `%s`). What differs from SQLite:

- Writes are serialised, as SQLite's BEGIN IMMEDIATE serialises them: each write transaction
  first takes one transaction-level advisory lock, so the services' check-then-write rules
  (a name already taken, a parent message in this conversation, the sign-in count) hold
  across hosts exactly as in one process. Reads never wait (MVCC).
- The schema is versioned (`schema_version`) and created or migrated at start-up under a
  session-level advisory lock: hosts starting together wait for the first, then find nothing
  left to do.
- Attachments' bytes are rows of `blobs`, so every host reads them.
- A PostgreSQL `text` cannot hold a NUL, which the contract allows in any string: text is
  stored with NUL written as U+0001 "0" and U+0001 as U+0001 U+0001, and read back exactly.
- Case folding for search is ASCII-only, as SQLite's lower() (translate(), not lower()).
- A mock session's or snapshot's state is a schema of the same database (`in_schema`: a store
  sharing this one's connections, each pointed at its schema when it serves it); copies
  between schemas run on the server (`copy_schema`: INSERT ... SELECT, no row through Python).
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

import psycopg
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import ServiceUnavailable
from .base import Database
from .schema import COPIED_TABLES, JSON_COLUMNS, SCHEMA

__all__ = ["PostgresStore", "MIGRATIONS", "STATE_TABLES", "COPIED", "write_key"]

POOL_SIZE = 8          # connections per process: the event loop's, the recovery thread's, spare
WAIT = 10.0            # seconds a request waits for a connection or the write lock: then 503
_ESCAPE = "\x01"


def _pg_schema(sqlite_schema: str) -> str:
    """SCHEMA in PostgreSQL's types: identity keys, bytea, double precision, bigint."""
    text = sqlite_schema.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    text = re.sub(r"\bBLOB\b", "BYTEA", text)
    text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text)
    return re.sub(r"\bINTEGER\b", "BIGINT", text)


# The state's tables: the server's own schema's, and each mock session's and snapshot's
# (store/mock_sessions.py makes those from this, not from MIGRATIONS).
STATE_TABLES = _pg_schema(SCHEMA) + """
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, data BYTEA NOT NULL);
"""
COPIED = (*COPIED_TABLES, "blobs")  # what a copy of a store holds here: the bytes are rows

# Each entry moves the schema one version up; never edit one that has shipped, add the next.
MIGRATIONS: list[str] = [
    STATE_TABLES,
    # The mock's registry of named sessions and snapshots (each a schema of its own), the
    # request journal every host writes and reads, and the sessions' Prefer presets
    # (store/mock_sessions.py, mock_journal.py, mock_presets.py).
    """
CREATE TABLE IF NOT EXISTS mock_templates (schema_name TEXT PRIMARY KEY, made_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS mock_sessions (
  name TEXT PRIMARY KEY, schema_name TEXT UNIQUE NOT NULL, owner TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL, last_used DOUBLE PRECISION NOT NULL,
  size_bytes BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS mock_snapshots (
  session TEXT NOT NULL, name TEXT NOT NULL, schema_name TEXT UNIQUE NOT NULL,
  taken_at DOUBLE PRECISION NOT NULL, size_bytes BIGINT NOT NULL, PRIMARY KEY (session, name));
CREATE TABLE IF NOT EXISTS mock_journal (
  seq BIGSERIAL PRIMARY KEY, session TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL, status BIGINT NOT NULL,
  latency_ms DOUBLE PRECISION NOT NULL, violations TEXT, request_type TEXT NOT NULL,
  request_body BYTEA NOT NULL, request_size BIGINT NOT NULL, response_type TEXT NOT NULL,
  response_body BYTEA NOT NULL, response_size BIGINT NOT NULL, size_bytes BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS mock_journal_session ON mock_journal(session, seq);
CREATE TABLE IF NOT EXISTS mock_presets (session TEXT PRIMARY KEY, presets TEXT NOT NULL);
""",
]


def write_key(schema: str) -> int:
    """The advisory lock a schema's writers take (one per schema: a mock session's writers
    never wait for another's)."""
    return zlib.crc32(f"chat-contract:{schema}".encode())


def _escape(value: Any) -> Any:
    if isinstance(value, str) and ("\x00" in value or _ESCAPE in value):
        return value.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")
    return value


def _unescape(text: str) -> str:
    out, i = [], 0
    while (j := text.find(_ESCAPE, i)) >= 0:
        out.append(text[i:j])
        out.append("\x00" if text[j + 1:j + 2] == "0" else _ESCAPE)
        i = j + 2
    out.append(text[i:])
    return "".join(out)


def _rows(cursor: psycopg.Cursor) -> RowMaker[dict[str, Any]]:
    """Rows as dicts: JSON columns parsed, escaped text read back."""
    names = [c.name for c in cursor.description or ()]

    def make(values: Any) -> dict[str, Any]:
        row = {}
        for name, value in zip(names, values):
            if isinstance(value, str) and _ESCAPE in value:
                value = _unescape(value)
            if name in JSON_COLUMNS and value is not None:
                value = json.loads(value)
            row[name] = value
        return row
    return make


@lru_cache(maxsize=512)
def _sql(text: str) -> str:
    """The repositories' `?` placeholders in psycopg's style."""
    return text.replace("%", "%%").replace("?", "%s")


_ASCII = ("'ABCDEFGHIJKLMNOPQRSTUVWXYZ'", "'abcdefghijklmnopqrstuvwxyz'")


@contextmanager
def _unavailable_is_503(gone: str | None = None) -> Iterator[None]:
    """The database away: a 503. `gone`: a store of a schema that may be dropped meanwhile (a
    mock session's): its tables missing are a 503 saying so (documented on every operation,
    and a retry finds the session's new state), not a server error."""
    try:
        yield
    except (PoolTimeout, psycopg.OperationalError) as exc:
        raise ServiceUnavailable("The database is busy or unreachable; retry shortly") from exc
    except psycopg.errors.UndefinedTable as exc:
        if gone is None:
            raise
        raise ServiceUnavailable(gone) from exc


class PostgresStore(Database):
    """A store in one PostgreSQL schema (`public` unless named) of the database `url` names."""

    errors = (psycopg.Error, PoolTimeout)

    shared = True

    def __init__(self, url: str, schema: str = "public", pool_size: int = POOL_SIZE,
                 *, pool: ConnectionPool | None = None) -> None:
        super().__init__()
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ValueError(f"not a schema name this store makes: {schema!r}")
        self.url, self.schema = url, schema
        self._write_key = write_key(schema)
        self._local = threading.local()
        self.read_only = False
        self._gone: str | None = None
        if pool is not None:  # another schema of a store's database (in_schema): its pool
            self.pool, self._owns_pool = pool, False
            self._gone = ("The mock session this request used was deleted or replaced while "
                          "it ran; send it again")
            return
        self._owns_pool = True
        self.pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, timeout=WAIT, open=False,
            kwargs={"autocommit": True, "row_factory": _rows,
                    # A commit is acknowledged once PostgreSQL holds it, before its log reaches
                    # the disk (as SQLite's synchronous=NORMAL): a killed host loses nothing,
                    # a crash of the database server itself the last fraction of a second.
                    "options": f"-c search_path={schema} -c synchronous_commit=off"},
            configure=lambda conn: setattr(conn, "chat_contract_schema", schema),
            name=f"chat-contract-{schema}")
        try:  # one connection first: a wrong URL is said at once, in libpq's words
            psycopg.connect(url, connect_timeout=int(WAIT)).close()
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(f"cannot connect to PostgreSQL: {exc}".strip()) from None
        with _unavailable_is_503():
            self.pool.open(wait=True, timeout=WAIT)
        self.migrate()

    def in_schema(self, schema: str) -> "PostgresStore":
        """A store on another schema of this database (a mock session's, a snapshot's) that
        shares this store's connections: a connection is pointed at the schema it serves."""
        return PostgresStore(self.url, schema, pool=self.pool)

    # -- schema ----------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or bring the schema up to the latest version; the version it is now at."""
        with self.pool.connection() as conn:
            self._pointed(conn)
            # Hosts starting together: one migrates, the others wait here and then skip.
            conn.execute("SELECT pg_advisory_lock(%s)", (self._write_key + 1,))
            try:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                row = conn.execute("SELECT max(version) AS v FROM schema_version").fetchone()
                version = row["v"] or 0
                for number, script in enumerate(MIGRATIONS[version:], version + 1):
                    with conn.transaction():
                        conn.execute(script)
                        conn.execute("INSERT INTO schema_version (version) VALUES (%s)",
                                     (number,))
                    version = number
                return version
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self._write_key + 1,))

    # -- statements ------------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """The transaction's connection in this thread, or one from the pool for a statement."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with _unavailable_is_503(self._gone), self.pool.connection() as conn:
            yield self._pointed(conn)

    def _pointed(self, conn: psycopg.Connection) -> psycopg.Connection:
        """`conn` with this store's schema first on its search path (one statement when the
        connection last served another schema of the pool)."""
        if getattr(conn, "chat_contract_schema", None) != self.schema:
            conn.execute("SELECT set_config('search_path', %s, false)", (self.schema,))
            conn.chat_contract_schema = self.schema  # type: ignore[attr-defined]
        return conn

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError(f"the store of schema {self.schema} is read-only")

    def make_read_only(self) -> None:
        """From now on any write through this store fails (the mock sessions' template)."""
        self.read_only = True

    def answers(self) -> bool:
        """Readiness: the database serves a query (the health check, mock/admin.py)."""
        try:
            return self.one("SELECT 1 AS ok") is not None
        except (psycopg.Error, ServiceUnavailable):
            return False

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        with self._connection() as conn:
            return conn.execute(_sql(sql), [_escape(a) for a in args]).fetchone()

    def all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return conn.execute(_sql(sql), [_escape(a) for a in args]).fetchall()

    def run(self, sql: str, *args: Any) -> int:
        self._writable()
        with self._connection() as conn:
            return conn.execute(_sql(sql), [_escape(a) for a in args]).rowcount

    @contextmanager
    def holding(self, key: int) -> Iterator[None]:
        """Session-level advisory lock `key` held by a connection of the pool for the block
        (work other connections must see committed as it goes: a template being seeded)."""
        with _unavailable_is_503(), self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def script(self, sql: str) -> None:
        """Statements without parameters (DDL), in the caller's transaction if one is open."""
        self._writable()
        with self._connection() as conn:
            conn.execute(sql)

    @contextmanager
    def transaction(self, key: int | None = None) -> Iterator[psycopg.Connection]:
        """One write, all or nothing, after every other host's write that came first.

        `key`: the advisory lock to take instead of this schema's (the mock sessions'
        registry: its changes do not wait for the shared state's writers)."""
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("a transaction is already open in this thread")
        self._writable()
        with _unavailable_is_503(self._gone), self.pool.connection() as conn, \
                self._pointed(conn).transaction():  # pointed outside: a rollback keeps it
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(WAIT * 1000)}ms",))
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)",
                             (self._write_key if key is None else key,))
            except psycopg.errors.LockNotAvailable as exc:
                raise ServiceUnavailable("The database is busy; retry shortly") from exc
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def contains(self, expression: str) -> str:
        # strpos() compares whole values; translate() folds ASCII letters only, as SQLite does.
        return (f"strpos(translate({expression}, {_ASCII[0]}, {_ASCII[1]}), "
                f"translate(?, {_ASCII[0]}, {_ASCII[1]})) > 0")

    def insert_verb(self, ignore: bool) -> tuple[str, str]:
        return "INSERT", (" ON CONFLICT DO NOTHING" if ignore else "")

    # -- file bytes ------------------------------------------------------------------------------

    def write_blob(self, sha256: str, data: bytes) -> None:
        self.run("INSERT INTO blobs (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 sha256, data)

    def read_blob(self, sha256: str) -> bytes | None:
        row = self.one("SELECT data FROM blobs WHERE sha256 = ?", sha256)
        return None if row is None else bytes(row["data"])

    def has_blob(self, sha256: str) -> bool:
        return bool(self.one("SELECT 1 AS x FROM blobs WHERE sha256 = ?", sha256))

    def blob_hashes(self) -> list[str]:
        return [r["sha256"] for r in self.all("SELECT sha256 FROM blobs")]

    def drop_blob(self, sha256: str) -> None:
        self.run("DELETE FROM blobs WHERE sha256 = ?", sha256)

    def drop_blob_if_unused(self, sha256: str) -> None:
        with self.transaction():
            if not self.attachments.hash_in_use(sha256):
                self.run("DELETE FROM blobs WHERE sha256 = ?", sha256)

    # -- copies (mock sessions, snapshots, reset) ------------------------------------------------

    def copy_to(self, target: Database) -> None:
        """Make `target` (a store of either engine) an exact copy of this one; within one
        database, by statements on the server (INSERT ... SELECT), no row through Python."""
        if isinstance(target, PostgresStore) and target.pool is self.pool:
            with target.transaction():
                copy_schema(target, self.schema, target.schema)
            return
        self.copy_rows_to(target)

    def size_bytes(self) -> int:
        """Every table of this schema, indexes and TOAST included (mock sessions' bound)."""
        return schema_bytes(self, self.schema)

    def after_copy(self) -> None:
        # The rows came with their keys: each sequence goes on after the largest.
        for table in COPIED_TABLES:
            if self.one("SELECT 1 AS x FROM information_schema.columns WHERE table_schema = ? "
                        "AND table_name = ? AND column_name = 'seq'", self.schema, table):
                self.run(f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), "
                         f"COALESCE((SELECT max(seq) FROM {table}), 0) + 1, false)")

    # -- lifetime --------------------------------------------------------------------------------

    def for_background(self) -> "PostgresStore":
        """The pool serves every thread: a background thread shares this store."""
        return self

    def close(self) -> None:
        if self._owns_pool:
            self.pool.close()

    def drop(self) -> None:
        """Delete this store's schema and everything in it (a mock session's, a test's)."""
        with self.pool.connection() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def schema_bytes(db: PostgresStore, schema: str) -> int:
    row = db.one("SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) AS size "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = ? AND c.relkind = 'r'", schema)
    return int(row["size"])


def copy_schema(db: PostgresStore, source: str, target: str) -> None:
    """Inside `db`'s transaction: the state tables of schema `target` (of the same database)
    hold exactly the rows of `source`'s, keys included, sequences going on after them. Both
    schemas' write locks are held, so neither changes halfway."""
    db.run("SELECT pg_advisory_xact_lock(?), pg_advisory_xact_lock(?)",
           write_key(target), write_key(source))
    columns: dict[str, list[str]] = {}
    for row in db.all("SELECT table_name, column_name FROM information_schema.columns "
                      "WHERE table_schema = ? ORDER BY table_name, ordinal_position", target):
        columns.setdefault(row["table_name"], []).append(row["column_name"])
    for table in COPIED:
        names = ", ".join(columns[table])
        db.run(f'DELETE FROM "{target}".{table}')
        db.run(f'INSERT INTO "{target}".{table} ({names}) SELECT {names} FROM "{source}".{table}')
        if "seq" in columns[table]:
            db.run(f"SELECT setval(pg_get_serial_sequence('\"{target}\".{table}', 'seq'), "
                   f'COALESCE((SELECT max(seq) FROM "{target}".{table}), 0) + 1, false)')
