"""Replies whose worker died: ended by a live worker within seconds, not at the next start.

With `--workers N` every process shares one SQLite file (with PostgreSQL, every process of
every host shares one database). A reply is written by the process
that started it; if that process is killed (OOM, kill -9), its message stayed `streaming` and
every reader waited on keep-alives until the whole server restarted. Now:

- each process beats a heartbeat row every BEAT seconds, from a thread of its own (a busy
  event loop does not make a live worker look dead);
- a reply being written holds a lease naming its process (`claim` / `release`, called by
  streaming.ReplyRunner);
- every process sweeps every BEAT seconds: a lease whose process has not beaten for STALE
  seconds is ended exactly as `replies.fail_interrupted` ends them at start-up (status
  `failed`, a final `error` event), so open streams in live workers finish.

Work done in slices, a transaction each, is finished or undone the same way when its process
stops half-way (kill -9): a share's snapshot no share refers to, written by a process that is
not beating, is dropped (it was being written or dropped); a conversation whose delete a dead
process started is deleted to the end, and so is a clone a dead process was copying. The process
is named in the work (the snapshot's id, the held conversation's owner: `Store.writer`, this
heartbeat's name).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any

from .errors import ServiceUnavailable
from .services.common import now
from .services.shares import snapshot_writer

__all__ = ["Recovery", "BEAT", "STALE"]

BEAT = 1.0    # seconds between heartbeats (and sweeps)
STALE = 4.0   # a worker silent this long is dead
SLICED_EVERY = 5   # sweeps between looks for dead workers' work in slices (scans of tables)


class Recovery:
    """`store`: an engine this thread may use beside the event loop's (`Store.for_background`)."""

    def __init__(self, store: Any, beat: float = BEAT, stale: float = STALE) -> None:
        self.worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.beat, self.stale = beat, stale
        self.store = store
        self._sweeps = 0
        self._heartbeat()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reply-recovery", daemon=True)
        self._thread.start()

    def claim(self, message_id: str) -> None:
        self.store.leases.claim(message_id, self.worker)

    def release(self, message_id: str) -> None:
        self.store.leases.release(message_id)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.store.leases.forget_worker(self.worker)

    def _heartbeat(self) -> None:
        self.store.leases.beat(self.worker, time.time())

    def _run(self) -> None:
        while not self._stopped.wait(self.beat):
            try:
                self._heartbeat()
                self.sweep()
            except (ServiceUnavailable, *self.store.errors):
                # busy or closing: the next beat tries again
                continue

    def sweep(self) -> int:
        """End the replies of dead workers, and finish or undo their work in slices; how many
        replies were ended."""
        limit = time.time() - self.stale
        orphans = self.store.leases.orphans(limit)
        for message_id in orphans:
            self.store.replies.end_failed(message_id, "The worker writing the reply stopped", now())
            self.store.leases.release(message_id)
        self._sweeps += 1
        if self._sweeps % SLICED_EVERY == 1:  # scans: the first sweep, then every fifth
            self._finish_sliced_work(limit)
        self.store.leases.forget_workers(limit - 60)
        return len(orphans)

    def _finish_sliced_work(self, limit: float) -> None:
        live = self.store.leases.live(limit)
        for snapshot_id in self.store.shares.unreferenced_snapshots():
            if snapshot_writer(snapshot_id) not in live:
                self.store.shares.drop_snapshot_now(snapshot_id)
        for conv in self.store.conversations.held():
            if conv["writer"] not in live:
                self._erase(conv["id"])

    def _erase(self, conversation_id: str) -> None:
        """services.conversations.erase, on this thread (no turns of a loop)."""
        shas: set[str] = set()
        while True:
            more, deleted = self.store.conversations.erase_slice(conversation_id, 64)
            shas.update(deleted)
            if not more:
                break
        for sha in shas:
            self.store.drop_blob_if_unused(sha)
