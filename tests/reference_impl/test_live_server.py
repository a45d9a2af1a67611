"""`chat-contract serve` for real: start-up time, streams over TCP, several workers."""

import concurrent.futures
import json
import os
import re
import signal
import time

import httpx
import pytest

from .conftest import check_contract, parse_sse
from .live import login
from .test_flows import LISBON

pytestmark = pytest.mark.slow

REPLIES = f"/api/v1/conversations/{LISBON}/replies"


def _sse_events(response: httpx.Response, count: int) -> list[dict[str, str]]:
    """Read the first `count` events of a live SSE response, no more."""
    events, block = [], []
    for line in response.iter_lines():
        if line:
            block.append(line)
            continue
        parsed = parse_sse("\n".join(block))
        block = []
        events += parsed
        if len(events) >= count:
            return events
    return events


def _wait_for_status(client: httpx.Client, message_id: str, status: str) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        message = client.get(f"/api/v1/messages/{message_id}").json()
        if message["status"] == status:
            return message
        time.sleep(0.05)
    raise AssertionError(f"message {message_id} still {message['status']!r}, not {status!r}")


def test_client_that_disconnects_mid_stream_leaves_the_complete_reply(live_server):
    server = live_server("--token-delay", "0.05")  # ~15 deltas: the reply takes ~0.8 s
    with server.client() as client:
        with client.stream("POST", REPLIES, json={"content": "Tell me more", "stream": True}
                           ) as response:
            assert response.status_code == 201
            first = _sse_events(response, 2)
        # The connection is closed here, long before the reply is complete.
        started = json.loads(first[0]["data"])
        assert first[0]["event"] == "reply.started" and first[1]["event"] == "reply.delta"
        message = _wait_for_status(client, started["message_id"], "completed")
        replay = client.get(f"/api/v1/messages/{started['message_id']}/events")
        check_contract(replay)
        events = parse_sse(replay.text)
        assert events[0] == first[0] and events[1] == first[1]
        assert events[-1]["event"] == "reply.completed"
        text = "".join(json.loads(e["data"])["text"] for e in events
                       if e["event"] == "reply.delta")
        assert message["content"] == text != ""
        assert json.loads(events[-1]["data"])["message"] == message
    assert "Traceback" not in server.log()


def test_last_event_id_resumes_a_live_stream_with_exactly_the_later_events(live_server):
    server = live_server("--token-delay", "0.05")
    with server.client() as client:
        with client.stream("POST", REPLIES, json={"content": "Resume me", "stream": True}
                           ) as response:
            first = _sse_events(response, 2)
        message_id = json.loads(first[0]["data"])["message_id"]
        # Still being written: the resumed stream continues live up to the final event.
        resumed = client.get(f"/api/v1/messages/{message_id}/events",
                             headers={"Last-Event-ID": first[-1]["id"]})
        check_contract(resumed)
        later = parse_sse(resumed.text)
        whole = parse_sse(client.get(f"/api/v1/messages/{message_id}/events").text)
        assert later == whole[2:] and later[-1]["event"] == "reply.completed"
        assert [int(e["id"]) for e in whole] == list(range(len(whole)))


def test_two_workers_share_tokens_and_state(live_server, tmp_path):
    """Tokens and data live in the shared database file, so any worker serves any request."""
    server = live_server("--workers", "2", "--db", str(tmp_path / "chat.db"))
    secret = "sk-live-never-logged-31337"
    tokens = [login(server.base_url) for _ in range(4)]  # issued by whichever worker
    with server.client() as client:
        conv = client.post("/api/v1/conversations", json={"title": "Workers"}).json()
        config = client.post("/api/v1/provider-configs", json={
            "provider_id": "2b9e6f1a-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "api_key": secret})
        assert config.status_code in (201, 409), config.text

    def writer(n: int) -> list[int]:
        # A fresh connection per request, so the kernel spreads them over both workers.
        statuses = []
        for i in range(10):
            r = httpx.post(f"{server.base_url}/api/v1/conversations/{conv['id']}/messages",
                           headers={"Authorization": f"Bearer {tokens[n % 4]}"},
                           json={"content": f"w{n}-{i}"}, timeout=15)
            statuses.append(r.status_code)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = sum(pool.map(writer, range(16)), [])
    assert statuses == [201] * 160  # 16 concurrent writers, every write acknowledged...
    seen, cursor = [], None
    with server.client() as client:
        for _ in range(5):
            page = client.get(f"/api/v1/conversations/{conv['id']}/messages",
                              params={"limit": 100, **({"cursor": cursor} if cursor else {})})
            check_contract(page)
            seen += [m["content"] for m in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    assert sorted(seen) == sorted(f"w{n}-{i}" for n in range(16) for i in range(10))  # ...kept

    log = server.log()
    served_by = set(re.findall(r"\[(\d+)\] 127\.0\.0\.1:\d+ - \"POST /api/v1/conversations/"
                               r"[^ ]+/messages HTTP/1\.1\" 201", log))
    assert len(served_by) == 2, f"writes served by worker(s) {served_by}:\n{log[-2000:]}"
    assert secret not in log and "Traceback" not in log and " 500" not in log


def test_reply_cut_off_by_a_killed_server_ends_with_an_error_after_restart(live_server,
                                                                           tmp_path):
    db = str(tmp_path / "restart.db")
    server = live_server("--db", db, "--token-delay", "0.5")
    with server.client() as client:
        with client.stream("POST", REPLIES, json={"content": "Cut me off", "stream": True}
                           ) as response:
            first = _sse_events(response, 2)
    os.killpg(server.process.pid, signal.SIGKILL)  # no chance to finish the reply
    server.process.wait(10)
    message_id = json.loads(first[0]["data"])["message_id"]
    again = live_server("--db", db)
    assert "Ended 1 reply(ies) interrupted" in again.log()
    with again.client() as client:
        assert client.get(f"/api/v1/messages/{message_id}").json()["status"] == "failed"
        replay = client.get(f"/api/v1/messages/{message_id}/events")
        check_contract(replay)
        events = parse_sse(replay.text)
        assert events[:2] == first and events[-1]["event"] == "reply.failed"
        assert [int(e["id"]) for e in events] == list(range(len(events)))
