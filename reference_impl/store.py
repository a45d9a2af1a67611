"""All state: one SQLite database through the standard library, plus a folder of file bytes.

SQLite's "database is locked" (another process held the write lock past busy_timeout) is
translated here, once, into the contract's 503 with Retry-After.

Every list is keyset-paginated on `seq`, an INTEGER PRIMARY KEY that only grows (AUTOINCREMENT
never reuses a value), with an index per list query so a page costs the same at 100 rows as at
100,000. Each write is one transaction under one lock (and BEGIN IMMEDIATE for other processes
sharing a file database), so concurrent writers lose nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, AsyncIterator, BinaryIO, Iterator

from .errors import ServiceUnavailable

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["Store"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, display_name TEXT NOT NULL,
  salt BLOB NOT NULL, password_hash BLOB NOT NULL, dev_password TEXT);
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stream_tickets (
  ticket TEXT PRIMARY KEY, user_id TEXT NOT NULL, message_id TEXT NOT NULL,
  expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,
  title TEXT, status TEXT NOT NULL, chatbot_id TEXT, model TEXT, metadata TEXT NOT NULL,
  is_anonymized INTEGER NOT NULL, mapping TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conv_user ON conversations(user_id, seq);
CREATE INDEX IF NOT EXISTS conv_status ON conversations(user_id, status, seq);
CREATE INDEX IF NOT EXISTS conv_chatbot ON conversations(user_id, chatbot_id, seq);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  conversation_id TEXT NOT NULL, parent_id TEXT, role TEXT NOT NULL, content TEXT NOT NULL,
  original TEXT, status TEXT NOT NULL, model TEXT, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, reactions TEXT NOT NULL, feedback TEXT,
  metadata TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS msg_conv ON messages(conversation_id, seq);
CREATE INDEX IF NOT EXISTS msg_parent ON messages(parent_id);
-- Replies being written: found at start-up without reading every message.
CREATE INDEX IF NOT EXISTS msg_streaming ON messages(status) WHERE status = 'streaming';
CREATE TABLE IF NOT EXISTS attachments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, message_id TEXT NOT NULL,
  filename TEXT NOT NULL, content_type TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS att_msg ON attachments(message_id, seq);
CREATE INDEX IF NOT EXISTS att_sha ON attachments(sha256);
CREATE TABLE IF NOT EXISTS providers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
  name_key TEXT UNIQUE NOT NULL, api_endpoint TEXT NOT NULL, models TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS provider_configs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,
  provider_id TEXT NOT NULL, api_key TEXT NOT NULL, default_model TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (user_id, provider_id));
CREATE INDEX IF NOT EXISTS cfg_user ON provider_configs(user_id, seq);
CREATE TABLE IF NOT EXISTS shares (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  conversation_id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL, title TEXT,
  snapshot_id TEXT NOT NULL, message_count INTEGER NOT NULL, created_at TEXT NOT NULL,
  snapshot_at TEXT NOT NULL, expires_at TEXT);
CREATE INDEX IF NOT EXISTS share_user ON shares(user_id, seq);
-- A share's snapshot, one row per message, written and read in slices (services/shares.py):
-- `message` is the public JSON of the message as served, `sha256s` its attachments' hashes
-- (attachment id -> sha256, for clones; before `message`, so a scan for a hash skips the text).
CREATE TABLE IF NOT EXISTS share_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, snapshot_id TEXT NOT NULL, sha256s TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS share_msg_snapshot ON share_messages(snapshot_id, seq);
CREATE TABLE IF NOT EXISTS read_markers (
  user_id TEXT NOT NULL, conversation_id TEXT NOT NULL, message_seq INTEGER NOT NULL,
  message_id TEXT, read_at TEXT NOT NULL, PRIMARY KEY (user_id, conversation_id));
CREATE TABLE IF NOT EXISTS reply_events (
  message_id TEXT NOT NULL, position INTEGER NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (message_id, position));
-- Sign-in attempts of the last window (throttle.py), shared by every worker of a database.
CREATE TABLE IF NOT EXISTS sign_in_attempts (username_key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sign_in_key ON sign_in_attempts(username_key, at);
CREATE INDEX IF NOT EXISTS sign_in_at ON sign_in_attempts(at);
CREATE TABLE IF NOT EXISTS prices (
  model TEXT PRIMARY KEY, input_per_1k REAL NOT NULL, output_per_1k REAL NOT NULL,
  currency TEXT NOT NULL);
"""

WRITE_WAIT = 10.0  # seconds a write waits for another process's (busy_timeout, the same)
JSON_COLUMNS = {"metadata", "mapping", "reactions", "feedback", "models", "sha256s"}
SLICE_ROWS = 16  # rows per query of whole-conversation work done in slices (pages, delete_all)


def _row(cursor: sqlite3.Cursor, values: tuple) -> dict[str, Any]:
    row = {}
    for (name, *_), value in zip(cursor.description, values):
        row[name] = json.loads(value) if name in JSON_COLUMNS and value is not None else value
    return row


@contextmanager
def _busy_is_503() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ServiceUnavailable("The database is busy; retry shortly") from exc
        raise


class _Checkpointer:
    """Moves a file database's write-ahead log into the database every second, off the loop."""

    def __init__(self, db_path: str, interval: float = 1.0) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(db_path, interval),
                                        name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self, db_path: str, interval: float) -> None:
        conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stopped.wait(interval):
                try:
                    # PASSIVE never blocks writers; what it cannot copy now waits a second.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.OperationalError:
                    continue  # busy: try again at the next tick
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _migrate_shares(conn: sqlite3.Connection) -> None:
    """A `--db` file written before snapshots were rows: each share's `snapshot` JSON becomes
    `share_messages` rows, in one transaction (workers starting together: the first migrates,
    the others find nothing left to do). Nothing a share held is lost; clones still copy the
    bytes (the hashes move to `sha256s`)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(shares)").fetchall()}
        if "snapshot" not in columns:
            conn.execute("COMMIT")
            return
        conn.execute("ALTER TABLE shares RENAME TO shares_v1")
        conn.execute("DROP INDEX IF EXISTS share_user")
        for statement in re.sub(r"--[^\n]*", "", SCHEMA).split(";"):
            if re.search(r"\b(shares|share_messages)\s*\(", statement):
                conn.execute(statement)
        for row in conn.execute("SELECT * FROM shares_v1 ORDER BY seq").fetchall():
            snapshot_id = str(uuid.uuid4())
            messages = json.loads(row["snapshot"]).get("messages", [])
            for m in messages:
                atts = m.get("attachments", [])
                public = {**m, "attachments": [{k: a[k] for k in ("id", "filename", "content_type",
                                                                  "size_bytes")} for a in atts]}
                conn.execute("INSERT INTO share_messages (snapshot_id, sha256s, message) VALUES (?, ?, ?)",
                             (snapshot_id, json.dumps({a["id"]: a["sha256"] for a in atts}),
                              json.dumps(public, ensure_ascii=False, separators=(",", ":"))))
            conn.execute("INSERT INTO shares (seq, id, conversation_id, user_id, title, snapshot_id, "
                         "message_count, created_at, snapshot_at, expires_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (row["seq"], row["id"], row["conversation_id"], row["user_id"], row["title"],
                          snapshot_id, len(messages), row["created_at"], row["snapshot_at"],
                          row["expires_at"]))
        conn.execute("DROP TABLE shares_v1")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class Store:
    """The database and the folder of attachment bytes (named by their sha256)."""

    def __init__(self, db_path: str | None, data_dir: Path) -> None:
        self.data_dir = data_dir
        (data_dir / "blobs").mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(db_path or ":memory:", check_same_thread=False,
                                    isolation_level=None)
        self.conn.row_factory = _row
        self._writers: BinaryIO | None = None  # the lock file workers sharing a database queue on
        if db_path:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(f"PRAGMA busy_timeout={int(WRITE_WAIT * 1000)}")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints (copying the WAL into the database, with an fsync) run on a thread
            # of their own rather than inside whichever request's COMMIT crossed the WAL size
            # limit: on the event loop they stalled every request for tens of milliseconds.
            self.conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(db_path)
            # Writers of several worker processes queue on this file's lock: SQLite alone
            # makes a waiting writer sleep and poll (1, 2, 5, 10 ms...), which left both
            # workers idle while writes queued; a lock wakes the next writer at once.
            self._writers = open(db_path + ".lock", "a+b")  # noqa: SIM115 - closed in close()
        with self._lock:
            _migrate_shares(self.conn)
            self.conn.executescript(SCHEMA)

    def close(self) -> None:
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
        if self._writers is not None:
            self._writers.close()
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write, all or nothing; IMMEDIATE so other processes wait instead of failing."""
        with self._lock, self._other_processes(), _busy_is_503():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def _other_processes(self) -> Iterator[None]:
        writers = self._writers
        if writers is None or fcntl is None:  # in memory (one process), or no flock here
            yield
            return
        deadline = None
        while True:  # at most WRITE_WAIT, like SQLite's busy_timeout: a stopped worker is a 503
            try:
                fcntl.flock(writers, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                deadline = deadline or now + WRITE_WAIT
                if now > deadline:
                    raise ServiceUnavailable("The database is busy; retry shortly") from None
                time.sleep(0.0002)  # a write holds the lock for about a tenth of a millisecond
        try:
            yield
        finally:
            fcntl.flock(writers, fcntl.LOCK_UN)

    def answers(self) -> bool:
        """Readiness: the database serves a query (the health check, mock/admin.py)."""
        try:
            return self.one("SELECT 1 AS ok") is not None
        except sqlite3.Error:
            return False

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        with self._lock, _busy_is_503():
            return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self._lock, _busy_is_503():
            return self.conn.execute(sql, args).fetchall()

    def insert(self, conn: sqlite3.Connection, table: str, row: dict[str, Any],
               ignore: bool = False) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        values = [json.dumps(v) if k in JSON_COLUMNS and v is not None else v
                  for k, v in row.items()]
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})".replace("INSERT", verb, 1),
                     values)

    def update(self, conn: sqlite3.Connection, table: str, key: str, changes: dict[str, Any]
               ) -> None:
        sets = ", ".join(f"{k} = ?" for k in changes)
        values = [json.dumps(v) if k in JSON_COLUMNS and v is not None else v
                  for k, v in changes.items()]
        conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*values, key])

    def page(self, sql: str, args: list[Any], after: int | None, limit: int,
             newest_first: bool = False) -> list[dict[str, Any]]:
        """`sql` selects from one table with a WHERE clause; keyset on seq, limit+1 rows."""
        if after is not None:
            sql += " AND seq < ?" if newest_first else " AND seq > ?"
            args = [*args, after]
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        sql += " LIMIT ?"
        return self.all(sql, *args, limit + 1)

    async def pages(self, sql: str, args: list[Any], size: int = SLICE_ROWS
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every row of `sql` (as for `page`, oldest first), one page of `size` per query.

        The event loop serves other requests between pages, so whole-conversation work (a
        summary, a share's snapshot: 2,000 messages of 16 KB are 32 MB) is bounded slices of
        it rather than one stall of a second. Rows written meanwhile may or may not be seen.
        """
        after = None
        while True:
            rows = self.page(sql, args, after, size)
            yield rows[:size]
            if len(rows) <= size:
                return
            after = rows[size - 1]["seq"]
            await asyncio.sleep(0)

    async def delete_all(self, table: str, where: str, args: list[Any],
                         size: int = SLICE_ROWS) -> None:
        """DELETE FROM `table` WHERE `where`, `size` rows per transaction, the loop served between."""
        while True:
            with self.transaction() as conn:
                done = conn.execute(f"DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} "
                                    f"WHERE {where} LIMIT ?)", [*args, size]).rowcount
            if done < size:
                return
            await asyncio.sleep(0)

    # -- sign-in attempts (throttle.py) --------------------------------------------------------

    def take_attempt(self, key: str, now: float, window: float, most: int, max_rows: int
                     ) -> float | None:
        """Count one attempt for `key`, in one transaction; or refuse it.

        None: counted. A number: refused, the seconds until the oldest attempt that stands in
        the way is `window` old (`key`'s own, or with `max_rows` attempts in the window for all
        keys together, the oldest of all: a flood is refused, it never resets a count).
        """
        with self.transaction() as conn:
            conn.execute("DELETE FROM sign_in_attempts WHERE at <= ?", (now - window,))
            mine = conn.execute("SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts"
                                " WHERE username_key = ?", (key,)).fetchone()
            if mine["n"] >= most:
                return mine["oldest"] + window - now
            every = conn.execute("SELECT count(*) AS n, min(at) AS oldest FROM "
                                 "sign_in_attempts").fetchone()
            if every["n"] >= max_rows:
                return every["oldest"] + window - now
            conn.execute("INSERT INTO sign_in_attempts VALUES (?, ?)", (key, now))
        return None

    def forget_attempts(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM sign_in_attempts WHERE username_key = ?", (key,))

    # -- file bytes ---------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.data_dir / "blobs" / sha256

    def write_blob(self, sha256: str, data: bytes) -> None:
        path = self.blob_path(sha256)
        if not path.exists():
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic, so a concurrent reader never sees half a file

    def read_blob(self, sha256: str) -> bytes | None:
        path = self.blob_path(sha256)
        return path.read_bytes() if path.exists() else None

    def drop_blob_if_unused(self, sha256: str) -> None:
        if self.one("SELECT 1 AS x FROM attachments WHERE sha256 = ?", sha256):
            return
        if self.one("SELECT 1 AS x FROM share_messages WHERE instr(sha256s, ?) > 0", sha256):
            return  # a share snapshot still offers these bytes for cloning
        self.blob_path(sha256).unlink(missing_ok=True)

    # -- copies (mock sessions, snapshots, reset) ----------------------------------------------

    def copy_to(self, target: "Store") -> None:
        """Make `target` an exact copy of this store: database and file bytes.

        The database goes through SQLite's online backup API (a page copy: ~1 ms for the
        fixtures); blobs are hard-linked where the file system allows (they are never changed
        in place, only replaced), copied otherwise.
        """
        with self._lock, target._lock:
            self.conn.backup(target.conn)
        source, dest = self.data_dir / "blobs", target.data_dir / "blobs"
        wanted = {p.name for p in source.iterdir() if not p.name.endswith(".tmp")}
        for path in dest.iterdir():
            if path.name not in wanted:
                path.unlink(missing_ok=True)
        for name in wanted:
            if not (dest / name).exists():
                try:
                    os.link(source / name, dest / name)
                except OSError:
                    shutil.copyfile(source / name, dest / name)
