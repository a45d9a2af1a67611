"""Work done a slice per transaction, interrupted by a kill -9, is finished or undone by the
next server (recovery.py; issue 18, #6): no share's snapshot rows are left orphaned, a
conversation whose delete had started is deleted to the end, and a clone half copied leaves no
messages behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
import uuid

import httpx

from reference_impl.recovery import BEAT, SLICED_EVERY, STALE

MESSAGES = 1500
TEXT = ("Lisbon trams climb past tiled facades toward miradouros at sunset. " * 240)[:16_000]
# The next server's heartbeat thread looks at the first sweep, then every SLICED_EVERY: the
# killed one counts as dead STALE seconds after its last beat. A generous bound for a loaded
# machine; the test ends as soon as the work is done.
SETTLE = STALE + 4 * SLICED_EVERY * BEAT + 30


def _long_conversation(server, db) -> str:
    """A conversation of MESSAGES messages of 16 KB, written straight into the database."""
    with server.client() as client:
        conv = client.post("/api/v1/conversations", json={"title": "long"}).json()["id"]
    stamp = "2026-01-01T00:00:00.000000Z"
    with sqlite3.connect(db, timeout=30) as conn:
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, original, "
            "status, model, input_tokens, output_tokens, reactions, feedback, metadata, "
            "created_at, updated_at) VALUES (?, ?, NULL, 'user', ?, NULL, 'sent', NULL, 0, 0, "
            "'[]', NULL, '{}', ?, ?)",
            [(str(uuid.uuid4()), conv, TEXT, stamp, stamp) for _ in range(MESSAGES)])
    return conv


def _shared_long_conversation(server, db) -> tuple[str, str]:
    """A conversation of MESSAGES messages of 16 KB, and its share link."""
    conv = _long_conversation(server, db)
    with server.client() as client:
        return conv, client.put(f"/api/v1/conversations/{conv}/share", json={}).json()["id"]


def _kill_when(server, db, started, sql: str, *args) -> None:
    """SIGKILL the server as soon as `sql` finds its work half done (a row with n > 0)."""
    with sqlite3.connect(db, timeout=30) as conn:
        while not started.is_set() or not conn.execute(sql, args).fetchone()[0]:
            assert server.process.poll() is None
            time.sleep(0.001)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def _settles(db, sql: str, *args) -> None:
    """Wait until `sql` counts nothing left (the next server's sweep has run)."""
    deadline = time.monotonic() + SETTLE
    with sqlite3.connect(db, timeout=30) as conn:
        while (left := conn.execute(sql, args).fetchone()[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert left == 0, f"{left} rows left {SETTLE} s after the restart"


def _in_background(server, method: str, url: str) -> threading.Event:
    started = threading.Event()

    def send():
        with server.client(timeout=120) as client:
            started.set()
            try:
                client.request(method, url, json={} if method == "PUT" else None)
            except httpx.TransportError:
                pass  # the server was killed under it
    threading.Thread(target=send, daemon=True).start()
    return started


_ORPHANED = ("SELECT count(*) FROM share_messages s WHERE NOT EXISTS "
             "(SELECT 1 FROM shares h WHERE h.snapshot_id = s.snapshot_id)")


def test_a_share_killed_half_way_leaves_no_snapshot_rows(live_server, tmp_path):
    db = str(tmp_path / "chat.db")
    server = live_server("--db", db)
    conv = _long_conversation(server, db)
    started = _in_background(server, "PUT", f"/api/v1/conversations/{conv}/share")
    _kill_when(server, db, started, _ORPHANED)

    again = live_server("--db", db)
    _settles(db, _ORPHANED)
    with again.client() as client:  # and sharing works as before
        r = client.put(f"/api/v1/conversations/{conv}/share", json={})
        assert r.status_code == 201, r.text
        public = httpx.get(f"{again.base_url}/api/v1/public/shares/{r.json()['id']}", timeout=60)
        assert len(public.json()["messages"]) == MESSAGES


def test_a_delete_killed_half_way_is_finished_by_the_next_server(live_server, tmp_path):
    db = str(tmp_path / "chat.db")
    server = live_server("--db", db)
    conv, share = _shared_long_conversation(server, db)
    started = _in_background(server, "DELETE", f"/api/v1/conversations/{conv}")
    # Half done: the conversation left its owner (the request would answer 204) and some of
    # its messages are still there.
    _kill_when(server, db, started, "SELECT count(*) FROM conversations c WHERE c.id = ? AND "
               "c.user_id LIKE 'deleting:%' AND EXISTS (SELECT 1 FROM messages m WHERE "
               "m.conversation_id = c.id)", conv)

    again = live_server("--db", db)
    with again.client() as client:  # gone for its owner and for the public at once
        assert client.get(f"/api/v1/conversations/{conv}").status_code == 404
        assert httpx.get(f"{again.base_url}/api/v1/public/shares/{share}").status_code == 404
        assert conv not in {c["id"] for c in client.get(
            "/api/v1/conversations", params={"limit": 100}).json()["items"]}
    _settles(db, "SELECT (SELECT count(*) FROM messages WHERE conversation_id = ?) + "
             "(SELECT count(*) FROM conversations WHERE id = ?) + "
             f"(SELECT count(*) FROM shares WHERE conversation_id = ?) + ({_ORPHANED})",
             conv, conv, conv)


# Messages of no user's conversation: of a clone being copied, or left by one that stopped.
_UNOWNED_MESSAGES = ("SELECT count(*) FROM messages WHERE conversation_id NOT IN "
                     "(SELECT id FROM conversations WHERE user_id NOT LIKE 'deleting:%')")


def test_a_clone_killed_half_way_leaves_nothing(live_server, tmp_path):
    db = str(tmp_path / "chat.db")
    server = live_server("--db", db)
    conv, share = _shared_long_conversation(server, db)
    with server.client() as client:
        before = {c["id"] for c in client.get("/api/v1/conversations", params={"limit": 100}).json()["items"]}
    started = _in_background(server, "POST", f"/api/v1/shares/{share}/clone")
    # Half copied: some of the clone's messages are written, the copy is not finished.
    _kill_when(server, db, started, _UNOWNED_MESSAGES)

    again = live_server("--db", db)
    with again.client() as client:  # the half-made clone was never anybody's
        after = {c["id"] for c in client.get("/api/v1/conversations", params={"limit": 100}).json()["items"]}
        assert after == before
    _settles(db, f"SELECT ({_UNOWNED_MESSAGES}) + "
             "(SELECT count(*) FROM conversations WHERE user_id LIKE 'deleting:%')")
    with again.client() as client:  # and cloning works as before
        r = client.post(f"/api/v1/shares/{share}/clone", timeout=120)
        assert r.status_code == 201, r.text
        clone = client.get(f"/api/v1/conversations/{r.json()['id']}/messages", params={"limit": 100})
        assert clone.status_code == 200 and len(clone.json()["items"]) == 100
