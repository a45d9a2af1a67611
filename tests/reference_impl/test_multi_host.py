"""Three `chat-contract serve` processes on one PostgreSQL database, on different ports: what
one host did, every host serves (issue 19, item 3). Each test has a database of its own."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import signal
import threading
import time

import httpx
import pytest

from reference_impl.recovery import BEAT, STALE
from reference_impl.throttle import FAILURES

from ..postgres import fresh_database
from .conftest import check_contract, parse_sse
from .live import login, serve
from .test_flows import LISBON

pytestmark = pytest.mark.slow

REPLIES = f"/api/v1/conversations/{LISBON}/replies"


@pytest.fixture
def hosts(tmp_path):
    """Factory: `hosts(n, *serve_args)` -> n servers on one fresh database."""
    with fresh_database() as url, contextlib.ExitStack() as stack:
        yield lambda n, *args: [stack.enter_context(serve(tmp_path, "--db", url, *args))
                                for _ in range(n)]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _events(lines, count: int | None = None) -> list[dict[str, str]]:
    """The next `count` events (None: all) from a live stream's line iterator."""
    events, block = [], []
    for line in lines:
        if line:
            block.append(line)
            continue
        events += parse_sse("\n".join(block))
        block = []
        if count is not None and len(events) >= count:
            return events
    return events


def _admin_token(host) -> str:
    return re.search(r"X-Mock-Token: (\S+)", host.log()).group(1)


def test_tokens_tickets_throttle_admin_token_and_live_streams_hold_across_hosts(hosts):
    # Half a second between deltas: B's first event (the second delta) leaves at least four
    # deltas, two seconds, for one status read from C while A still writes the reply.
    a, b, c = hosts(3, "--token-delay", "0.5")
    # A token issued by one host is accepted by every host.
    token = login(a.base_url)
    for host in (a, b, c):
        me = httpx.get(f"{host.base_url}/api/v1/users/me", headers=_auth(token), timeout=10)
        assert me.status_code == 200 and me.json()["username"] == "alice"

    # The admin API's token is one for all hosts (the first host's), and works on each.
    assert len({_admin_token(h) for h in (a, b, c)}) == 1
    for host in (a, b, c):
        r = httpx.get(f"{host.base_url}/__mock/journal",
                      headers={"X-Mock-Token": _admin_token(a)}, timeout=10)
        assert r.status_code == 200, r.text

    # A reply generated on A is followed live from B, resumed with Last-Event-ID, and
    # replayed whole from C afterwards.
    with httpx.Client(base_url=a.base_url, headers=_auth(token), timeout=30) as on_a:
        with on_a.stream("POST", REPLIES, json={"content": "Tell me about the trams",
                                                "stream": True}) as stream:
            lines_a = stream.iter_lines()
            started = _events(lines_a, 2)
            message_id = json.loads(started[0]["data"])["message_id"]
            with httpx.stream("GET", f"{b.base_url}/api/v1/messages/{message_id}/events",
                              headers={**_auth(token), "Last-Event-ID": started[-1]["id"]},
                              timeout=30) as followed:
                assert followed.status_code == 200
                lines_b = followed.iter_lines()
                first_on_b = _events(lines_b, 1)
                # Live: B delivered an event while the reply was still being written on A.
                status = httpx.get(f"{c.base_url}/api/v1/messages/{message_id}",
                                   headers=_auth(token), timeout=10).json()["status"]
                rest = _events(lines_b)
            _events(lines_a)
    on_b = first_on_b + rest
    assert status == "streaming"
    assert [int(e["id"]) for e in on_b] == list(range(int(started[-1]["id"]) + 1,
                                                     int(started[-1]["id"]) + 1 + len(on_b)))
    assert on_b[-1]["event"] == "reply.completed"
    replay = httpx.get(f"{c.base_url}/api/v1/messages/{message_id}/events",
                       headers=_auth(token), timeout=30)
    check_contract(replay)
    assert parse_sse(replay.text) == started + on_b

    # A stream ticket issued on A opens the events on C (no bearer token there).
    ticket = httpx.post(f"{a.base_url}/api/v1/messages/{message_id}/stream-tickets",
                        headers=_auth(token), timeout=10).json()["ticket"]
    by_ticket = httpx.get(f"{c.base_url}/api/v1/messages/{message_id}/events",
                          params={"ticket": ticket}, timeout=30)
    assert by_ticket.status_code == 200 and parse_sse(by_ticket.text) == started + on_b

    # The sign-in throttle is one count per username across hosts.
    answers = [httpx.post(f"{h.base_url}/api/v1/auth/token", timeout=30,
                          data={"username": "bob", "password": "wrong"}).status_code
               for h in ([a, b, c] * FAILURES)[:FAILURES]]
    assert answers == [401] * FAILURES
    for host in (a, b, c):
        refused = httpx.post(f"{host.base_url}/api/v1/auth/token", timeout=30,
                             data={"username": "bob", "password": "bob-dev-password"})
        assert refused.status_code == 429, refused.text


def test_a_killed_host_loses_no_acknowledged_write_and_its_reply_is_ended_by_another(hosts):
    a, b, c = hosts(3, "--token-delay", "0.3")
    token = login(b.base_url)
    conv = httpx.post(f"{b.base_url}/api/v1/conversations", headers=_auth(token),
                      json={"title": "kill -9"}, timeout=10).json()
    # A reply A is writing when it dies.
    with httpx.Client(base_url=a.base_url, headers=_auth(token), timeout=30) as on_a:
        with on_a.stream("POST", REPLIES, json={"content": "A long story please",
                                                "stream": True}) as stream:
            message_id = json.loads(_events(stream.iter_lines(), 1)[0]["data"])["message_id"]

    acknowledged: list[str] = []
    refused_by_live: list[str] = []
    lock, enough = threading.Lock(), threading.Event()

    def writer(n: int) -> None:
        for i in range(12):
            host = (a, b, c)[(n + i) % 3]
            content = f"w{n}-{i}"
            try:
                r = httpx.post(f"{host.base_url}/api/v1/conversations/{conv['id']}/messages",
                               headers=_auth(token), json={"content": content}, timeout=15)
            except httpx.TransportError:
                continue  # the killed host: never acknowledged
            with lock:
                if r.status_code == 201:
                    acknowledged.append(content)
                    if len(acknowledged) >= 30:
                        enough.set()
                elif host is not a:
                    refused_by_live.append(f"{host.base_url} {r.status_code} {r.text}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        running = [pool.submit(writer, n) for n in range(8)]
        assert enough.wait(120), "the writes did not start"
        os.killpg(a.process.pid, signal.SIGKILL)  # mid-load, mid-reply
        for f in running:
            f.result()
    assert refused_by_live == []  # the other hosts kept answering
    seen, cursor = [], None
    while True:
        page = httpx.get(f"{c.base_url}/api/v1/conversations/{conv['id']}/messages",
                         headers=_auth(token), timeout=10,
                         params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        seen += [m["content"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(acknowledged) <= set(seen)  # no acknowledged write lost

    # The reply A was writing is ended by a live host (its heartbeat stopped).
    killed_at, status = time.monotonic(), None
    while time.monotonic() - killed_at < STALE + 20 * BEAT:
        status = httpx.get(f"{b.base_url}/api/v1/messages/{message_id}", headers=_auth(token),
                           timeout=10).json()["status"]
        if status == "failed":
            break
        time.sleep(0.2)
    assert status == "failed"
    events = parse_sse(httpx.get(f"{c.base_url}/api/v1/messages/{message_id}/events",
                                 headers=_auth(token), timeout=30).text)
    assert events[0]["event"] == "reply.started" and events[-1]["event"] == "reply.failed"
    assert [int(e["id"]) for e in events] == list(range(len(events)))


def test_mock_sessions_snapshots_caps_presets_and_the_journal_are_one_across_hosts(hosts):
    a, b, c = hosts(3, "--max-sessions", "2")
    admin = {"X-Mock-Token": _admin_token(a)}
    token = login(a.base_url)
    conversations = "/api/v1/conversations"

    def titles(host, session: str | None) -> list[str]:
        headers = {**_auth(token), **({"X-Mock-Session": session} if session else {})}
        page = httpx.get(f"{host.base_url}{conversations}", params={"limit": 100},
                         headers=headers, timeout=10)
        assert page.status_code == 200, page.text
        return [c["title"] for c in page.json()["items"]]

    def write(host, session: str, title: str) -> httpx.Response:
        return httpx.post(f"{host.base_url}{conversations}", json={"title": title}, timeout=30,
                          headers={**_auth(token), "X-Mock-Session": session})

    def listed(host) -> list[str]:
        r = httpx.get(f"{host.base_url}/__mock/sessions", headers=admin, timeout=10)
        assert r.status_code == 200, r.text
        # By name: the list's own order is by last use, and the shared registry's tick stamps every
        # session used since the last tick with one timestamp, so such ties come back in any order.
        return sorted(s["name"] for s in r.json()["items"])

    fixtures = titles(a, None)
    # A request that fails authentication creates nothing, on any host.
    refused = httpx.post(f"{b.base_url}{conversations}", json={"title": "x"}, timeout=10,
                         headers={"Authorization": "Bearer nope", "X-Mock-Session": "nobody"})
    assert refused.status_code == 401
    assert listed(c) == ["default"]

    # A session made through A (its first authenticated write) is read through B and C.
    assert write(a, "run-1", "made on A").status_code == 201
    for host in (b, c):
        assert titles(host, "run-1") == ["made on A", *fixtures]
        assert listed(host) == ["default", "run-1"]
    assert titles(b, None) == fixtures  # the shared state untouched

    # A snapshot taken on B is restored from C; A reads the restored state.
    taken = httpx.put(f"{b.base_url}/__mock/sessions/run-1/snapshots/clean", headers=admin,
                      timeout=30)
    assert taken.status_code == 201, taken.text
    assert write(c, "run-1", "after the snapshot").status_code == 201
    assert titles(a, "run-1")[0] == "after the snapshot"
    restored = httpx.post(f"{c.base_url}/__mock/sessions/run-1/snapshots/clean/restore",
                          headers=admin, timeout=30)
    assert restored.status_code == 200, restored.text
    assert [s["name"] for s in restored.json()["snapshots"]] == ["clean"]
    assert titles(a, "run-1") == ["made on A", *fixtures]
    # Keys go on after the restored rows: a new conversation lists first.
    assert write(b, "run-1", "after the restore").status_code == 201
    assert titles(c, "run-1") == ["after the restore", "made on A", *fixtures]

    # The cap (2 sessions) holds across hosts: run-2 through B, then run-3 through C is
    # refused while both are in use (used just now, so neither is idle), not evicted.
    assert write(b, "run-2", "two").status_code == 201
    titles(a, "run-1"), titles(a, "run-2")
    full = write(c, "run-3", "three")
    assert full.status_code == 503, full.text
    assert int(full.headers["Retry-After"]) >= 1 and "in use" in full.json()["detail"]
    assert listed(a) == ["default", "run-1", "run-2"]
    # Dropped from A, reset from C: room for run-3 on B; run-1 back to the fixtures.
    assert httpx.delete(f"{a.base_url}/__mock/sessions/run-2", headers=admin,
                        timeout=30).status_code == 204
    assert write(b, "run-3", "three").status_code == 201
    assert listed(c) == ["default", "run-1", "run-3"]
    reset = httpx.post(f"{c.base_url}/__mock/sessions/run-1/reset", headers=admin, timeout=30)
    assert reset.status_code == 200, reset.text
    assert titles(b, "run-1") == fixtures

    # Prefer presets put through A apply on A at once and on B and C within a second;
    # cleared through C, they stop everywhere.
    def listing_status(host) -> int:
        return httpx.get(f"{host.base_url}{conversations}", timeout=10,
                         headers={**_auth(token), "X-Mock-Session": "run-1"}).status_code

    def until(host, status: int) -> int:
        deadline, seen = time.monotonic() + 60, None  # every second; a loaded machine
        while seen != status and time.monotonic() < deadline:
            seen = listing_status(host)
            if seen != status:
                time.sleep(0.1)
        return seen

    put = httpx.put(f"{a.base_url}/__mock/sessions/run-1/presets", headers=admin, timeout=10,
                    json={"items": [{"operation": "listConversations", "prefer": "code=503"}]})
    assert put.status_code == 200, put.text
    assert listing_status(a) == 503
    assert until(b, 503) == 503 and until(c, 503) == 503
    read = httpx.get(f"{b.base_url}/__mock/sessions/run-1/presets", headers=admin, timeout=10)
    assert read.json()["items"] == [{"operation": "listConversations", "prefer": "code=503"}]
    cleared = httpx.put(f"{c.base_url}/__mock/sessions/run-1/presets", headers=admin,
                        timeout=10, json={"items": []})
    assert cleared.status_code == 200 and cleared.json()["items"] == []
    assert until(a, 200) == 200 and until(b, 200) == 200

    # A request served by A is in B's journal, and its entry (bodies included) on C.
    marker = f"journal-{time.monotonic_ns()}"
    assert httpx.post(f"{a.base_url}{conversations}", json={"title": marker}, timeout=10,
                      headers=_auth(token)).status_code == 201
    found, deadline = [], time.monotonic() + 60  # written within a quarter second; a loaded box
    while not found and time.monotonic() < deadline:
        r = httpx.get(f"{b.base_url}/__mock/journal", params={"limit": 1000}, headers=admin,
                      timeout=10)
        assert r.status_code == 200, r.text
        found = [e for e in r.json()["items"]
                 if e["method"] == "POST" and e["path"] == conversations and e["status"] == 201
                 and e["session"] == "default"]
        found = [e for e in found if marker in httpx.get(
            f"{c.base_url}/__mock/journal/{e['seq']}", headers=admin,
            timeout=10).json()["request"].get("text", "")]
        if not found:
            time.sleep(0.1)
    assert len(found) == 1
    entry = httpx.get(f"{c.base_url}/__mock/journal/{found[0]['seq']}", headers=admin,
                      timeout=10).json()
    assert json.loads(entry["request"]["text"]) == {"title": marker}
    assert json.loads(entry["response"]["text"])["title"] == marker
    # The sessions' requests are journalled under their names, from every host.
    runs = httpx.get(f"{a.base_url}/__mock/journal", params={"session": "run-1", "limit": 1000},
                     headers=admin, timeout=10).json()["items"]
    assert {e["method"] for e in runs} >= {"GET", "POST"}
