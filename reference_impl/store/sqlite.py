"""The SQLite engine: one database through the standard library, plus a folder of file bytes.

SQLite's "database is locked" (another process held the write lock past busy_timeout) is
translated here, once, into the contract's 503 with Retry-After.

Every list is keyset-paginated on `seq`, an INTEGER PRIMARY KEY that only grows (AUTOINCREMENT
never reuses a value), with an index per list query so a page costs the same at 100 rows as at
100,000. Each write is one transaction under one lock (and BEGIN IMMEDIATE for other processes
sharing a file database), so concurrent writers lose nothing.
"""

from __future__ import annotations

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
from typing import Any, BinaryIO, Iterator

from ..errors import ServiceUnavailable
from .base import Database
from .schema import JSON_COLUMNS, SCHEMA

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["Store"]


WRITE_WAIT = 10.0  # seconds a write waits for another process's (busy_timeout, the same)


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


class Store(Database):
    """The database and the folder of attachment bytes (named by their sha256)."""

    errors = (sqlite3.Error,)

    def __init__(self, db_path: str | None, data_dir: Path, checkpoints: bool = True) -> None:
        super().__init__()
        self.data_dir, self.db_path = data_dir, db_path
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
            if checkpoints:
                self._checkpointer = _Checkpointer(db_path)
            # Writers of several worker processes queue on this file's lock: SQLite alone
            # makes a waiting writer sleep and poll (1, 2, 5, 10 ms...), which left both
            # workers idle while writes queued; a lock wakes the next writer at once.
            self._writers = open(db_path + ".lock", "a+b")  # noqa: SIM115 - closed in close()
        with self._lock:
            _migrate_shares(self.conn)
            self.conn.executescript(SCHEMA)

    def size_bytes(self) -> int:
        """The database's pages (mock sessions are bounded by their sum)."""
        with self._lock:
            pages = self.conn.execute("PRAGMA page_count").fetchone()["page_count"]
            return pages * self.conn.execute("PRAGMA page_size").fetchone()["page_size"]

    def make_read_only(self) -> None:
        """From now on any write fails (the mock sessions' template)."""
        with self._lock:
            self.conn.execute("PRAGMA query_only=ON")

    def for_background(self) -> "Store":
        """A connection of its own for a background thread (recovery.py), so that its writes
        never wait on the event loop's; the checkpoints stay this store's."""
        return Store(self.db_path, self.data_dir, checkpoints=False)

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

    def run(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self.conn.execute(sql, args).rowcount

    def contains(self, expression: str) -> str:
        # instr() on lower(): the same ASCII-only case folding as LIKE, but instr() compares
        # whole values, where LIKE stops at a NUL (`q=%00` once matched everything).
        return f"instr(lower({expression}), lower(?)) > 0"

    def insert_verb(self, ignore: bool) -> tuple[str, str]:
        return ("INSERT OR IGNORE" if ignore else "INSERT"), ""

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

    def blob_hashes(self) -> list[str]:
        return [p.name for p in (self.data_dir / "blobs").iterdir()
                if not p.name.endswith(".tmp")]

    def drop_blob(self, sha256: str) -> None:
        self.blob_path(sha256).unlink(missing_ok=True)

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).exists()

    def drop_blob_if_unused(self, sha256: str) -> None:
        if not self.attachments.hash_in_use(sha256):
            self.blob_path(sha256).unlink(missing_ok=True)

    # -- copies (mock sessions, snapshots, reset) ----------------------------------------------

    def copy_to(self, target: "Store") -> None:
        """Make `target` an exact copy of this store: database and file bytes.

        The database goes through SQLite's online backup API (a page copy: ~1 ms for the
        fixtures); blobs are hard-linked where the file system allows (they are never changed
        in place, only replaced), copied otherwise.
        """
        if not isinstance(target, Store):
            self.copy_rows_to(target)  # another engine: row by row
            return
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
