"""With several workers, a reply whose worker is killed is ended by a live worker within seconds."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import httpx

from reference_impl.recovery import BEAT, STALE

from .conftest import parse_sse


def test_a_reply_whose_worker_died_is_ended_by_a_live_worker(live_server, tmp_path):
    db = tmp_path / "chat.db"
    # Slow deltas, so the reply is still being written when its worker dies.
    server = live_server("--workers", "2", "--db", str(db), "--token-delay", "0.5")
    with server.client(timeout=30) as client:
        conv = client.post("/api/v1/conversations", json={"title": "recovery"}).json()
        with client.stream("POST", f"/api/v1/conversations/{conv['id']}/replies",
                           json={"content": "tell me a long story", "stream": True}) as stream:
            first = next(stream.iter_lines())
            assert first.startswith("id: 0")
            with sqlite3.connect(db) as conn:
                message_id, worker = conn.execute(
                    "SELECT message_id, worker FROM reply_leases").fetchone()
        pid = int(worker.split("-")[0])
        assert pid != server.process.pid  # a worker, not the supervisor
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        # A reader on a live worker waits for the end, and gets it within seconds.
        status = None
        while time.monotonic() - killed_at < STALE + 6 * BEAT:
            try:
                status = httpx.get(f"{server.base_url}/api/v1/messages/{message_id}",
                                   headers={"Authorization": f"Bearer {server.token}"},
                                   timeout=5).json()["status"]
            except httpx.TransportError:
                status = None  # the dead worker's socket, while the kernel still hands it out
            if status == "failed":
                break
            time.sleep(0.2)
        assert status == "failed", f"still {status} {time.monotonic() - killed_at:.1f} s after the kill"
        replay = httpx.get(f"{server.base_url}/api/v1/messages/{message_id}/events",
                           headers={"Authorization": f"Bearer {server.token}"}, timeout=10)
        events = parse_sse(replay.text)
        assert events[0]["event"] == "reply.started" and events[-1]["event"] == "reply.failed"
        assert [int(e["id"]) for e in events] == list(range(len(events)))
