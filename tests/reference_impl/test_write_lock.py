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


def test_a_write_waits_for_another_process_then_goes_through(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "x.db"), tmp_path / "files")
    with open(tmp_path / "x.db.lock", "a+b") as other:  # another worker, writing
        fcntl.flock(other, fcntl.LOCK_EX)
        threading.Timer(0.3, fcntl.flock, (other, fcntl.LOCK_UN)).start()
        started = time.monotonic()
        _write(store)
        waited = time.monotonic() - started
    assert 0.25 < waited < 0.5  # woken within a fraction of a millisecond of the release
    assert store.one("SELECT COUNT(*) AS n FROM prices")["n"] == 1
    store.close()


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
