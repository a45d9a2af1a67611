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
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any

from .errors import ServiceUnavailable
from .services.common import now

__all__ = ["Recovery", "BEAT", "STALE"]

BEAT = 1.0    # seconds between heartbeats (and sweeps)
STALE = 4.0   # a worker silent this long is dead


class Recovery:
    """`store`: an engine this thread may use beside the event loop's (`Store.for_background`)."""

    def __init__(self, store: Any, beat: float = BEAT, stale: float = STALE) -> None:
        self.worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.beat, self.stale = beat, stale
        self.store = store
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
        """End the replies of dead workers; how many were ended."""
        limit = time.time() - self.stale
        orphans = self.store.leases.orphans(limit)
        for message_id in orphans:
            self.store.replies.end_failed(message_id, "The worker writing the reply stopped", now())
            self.store.leases.release(message_id)
        self.store.leases.forget_workers(limit - 60)
        return len(orphans)
