"""Replies whose worker died: ended by a live worker within seconds, not at the next start.

With `--workers N` every process shares one SQLite file. A reply is written by the process
that started it; if that process is killed (OOM, kill -9), its message stayed `streaming` and
every reader waited on keep-alives until the whole server restarted. Now:

- each process beats a heartbeat row every BEAT seconds, from a thread of its own (a busy
  event loop does not make a live worker look dead);
- a reply being written holds a lease naming its process (`claim` / `release`, called by
  streaming.ReplyRunner);
- every process sweeps every BEAT seconds: a lease whose process has not beaten for STALE
  seconds is ended exactly as `replies.fail_interrupted` ends them at start-up (status
  `failed`, a final `error` event), so open streams in live workers finish.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time

from .services.common import now

__all__ = ["Recovery", "BEAT", "STALE"]

BEAT = 1.0    # seconds between heartbeats (and sweeps)
STALE = 4.0   # a worker silent this long is dead

SCHEMA = """
CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS reply_leases (message_id TEXT PRIMARY KEY, worker TEXT NOT NULL);
"""


class Recovery:
    def __init__(self, db_path: str, beat: float = BEAT, stale: float = STALE) -> None:
        self.worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.beat, self.stale = beat, stale
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=5000")
        # A heartbeat need not survive a power cut. With the default (FULL) every beat synced
        # the log to disk while holding the write lock, and a request's write waiting on it
        # stalled the event loop for up to 20 ms each second (SQLite's busy handler sleeps).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(SCHEMA)
        self._heartbeat()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reply-recovery", daemon=True)
        self._thread.start()

    def claim(self, message_id: str) -> None:
        self._write("INSERT OR REPLACE INTO reply_leases VALUES (?, ?)", message_id, self.worker)

    def release(self, message_id: str) -> None:
        self._write("DELETE FROM reply_leases WHERE message_id = ?", message_id)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._conn.execute("DELETE FROM workers WHERE id = ?", (self.worker,))
            self._conn.close()

    def _write(self, sql: str, *args: object) -> None:
        with self._lock:
            self._conn.execute(sql, args)

    def _heartbeat(self) -> None:
        self._write("INSERT OR REPLACE INTO workers VALUES (?, ?)", self.worker, time.time())

    def _run(self) -> None:
        while not self._stopped.wait(self.beat):
            try:
                self._heartbeat()
                self.sweep()
            except sqlite3.Error:
                continue  # busy or closing: the next beat tries again

    def sweep(self) -> int:
        """End the replies of dead workers; how many were ended."""
        limit = time.time() - self.stale
        with self._lock:
            orphans = self._conn.execute(
                "SELECT l.message_id FROM reply_leases l LEFT JOIN workers w ON w.id = l.worker"
                " WHERE w.seen_at IS NULL OR w.seen_at < ?", (limit,)).fetchall()
            for (message_id,) in orphans:
                self._end(message_id)
            self._conn.execute("DELETE FROM workers WHERE seen_at < ?", (limit - 60,))
        return len(orphans)

    def _end(self, message_id: str) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT status FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is not None and row[0] == "streaming":
                last = conn.execute("SELECT MAX(position) FROM reply_events WHERE message_id = ?",
                                    (message_id,)).fetchone()[0]
                conn.execute("INSERT INTO reply_events VALUES (?, ?, ?, ?)", (
                    message_id, 0 if last is None else last + 1, "reply.failed", json.dumps(
                        {"detail": "The worker writing the reply stopped",
                         "message_id": message_id}, separators=(",", ":"))))
                conn.execute("UPDATE messages SET status = 'failed', updated_at = ? WHERE id = ?",
                             (now(), message_id))
            conn.execute("DELETE FROM reply_leases WHERE message_id = ?", (message_id,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
