"""Writers of several processes queue on the database's lock file (store/sqlite.py: Store.transaction)."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path

import pytest

from reference_impl.store import sqlite as store_module
from reference_impl.errors import ServiceUnavailable
from reference_impl.store import Store


def _write(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO prices VALUES (?, 1, 1, 'EUR')", (f"m{time.monotonic_ns()}",))


def test_a_write_waits_for_another_process_then_goes_through(tmp_path: Path, monkeypatch) -> None:
    store = Store(str(tmp_path / "x.db"), tmp_path / "files")
    naps: list[float] = []
    monkeypatch.setattr(store_module, "time", _Clock(naps))
    released = threading.Event()
    with open(tmp_path / "x.db.lock", "a+b") as other:  # another worker, writing
        fcntl.flock(other, fcntl.LOCK_EX)

        def release() -> None:
            released.set()
            fcntl.flock(other, fcntl.LOCK_UN)

        threading.Timer(0.3, release).start()
        _write(store)
        assert released.is_set()  # it waited for the other writer
    # Woken within a fraction of a millisecond of the release: it retries that often (judged by
    # the pauses it takes, not by a stopwatch a loaded machine would slow down).
    assert naps and max(naps) <= 0.001
    assert store.one("SELECT COUNT(*) AS n FROM prices")["n"] == 1
    store.close()


class _Clock:
    """The store's `time` module, recording each pause the store takes."""

    def __init__(self, naps: list[float]) -> None:
        self.naps = naps

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        time.sleep(seconds)

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_a_lock_held_too_long_is_a_503_and_nothing_is_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "WRITE_WAIT", 0.2)
    store = Store(str(tmp_path / "x.db"), tmp_path / "files")
    with open(tmp_path / "x.db.lock", "a+b") as other:  # a stopped worker, holding it
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(ServiceUnavailable):
            _write(store)
    assert store.one("SELECT COUNT(*) AS n FROM prices")["n"] == 0
    _write(store)  # released: writes go through again
    store.close()
