"""A `--db` file written before share snapshots were rows keeps every share (issue 18 #6 moved
a share's snapshot from one JSON column to `share_messages` rows)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from reference_impl.services import shares
from reference_impl.store import Store

# The `shares` table as it was, and one snapshot as the earlier server wrote it.
OLD_SHARES = """
CREATE TABLE shares (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  conversation_id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL, title TEXT,
  snapshot TEXT NOT NULL, created_at TEXT NOT NULL, snapshot_at TEXT NOT NULL, expires_at TEXT);
CREATE INDEX share_user ON shares(user_id, seq);
"""
MESSAGES = [
    {"id": "m1", "parent_id": None, "role": "user", "content": "Plan a day in Lisbon",
     "created_at": "2026-11-01T09:00:00Z",
     "attachments": [{"id": "a1", "filename": "map.png", "content_type": "image/png", "size_bytes": 3,
                      "sha256": "ab" * 32}]},
    {"id": "m2", "parent_id": "m1", "role": "assistant", "content": "Start at Alfama.",
     "created_at": "2026-11-01T09:00:01Z", "attachments": []},
]


def _old_database(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SHARES)
        conn.execute("INSERT INTO shares (id, conversation_id, user_id, title, snapshot, created_at, "
                     "snapshot_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     ("s1", "c1", "u1", "Lisbon", json.dumps({"title": "Lisbon", "messages": MESSAGES}),
                      "2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z", None))


def test_an_old_database_keeps_its_shares(tmp_path):
    db = str(tmp_path / "state.db")
    _old_database(db)
    for _ in range(2):  # migrated once; opened again, nothing changes
        store = Store(db, tmp_path / "data")
        try:
            public = json.loads(b"".join(asyncio.run(shares.public(store, "s1"))))
            hashes = store.all("SELECT sha256s FROM share_messages ORDER BY seq")
            owned = store.all("SELECT id FROM shares WHERE user_id = ?", "u1")
        finally:
            store.close()
        assert public == {"id": "s1", "title": "Lisbon", "snapshot_at": "2026-11-01T10:00:00Z",
                          "expires_at": None,
                          "messages": [{**m, "attachments": [{k: a[k] for k in a if k != "sha256"}
                                                             for a in m["attachments"]]}
                                       for m in MESSAGES]}
        assert [h["sha256s"] for h in hashes] == [{"a1": "ab" * 32}, {}]  # clones still find the bytes
        assert owned == [{"id": "s1"}]
