"""`X-Mock-Session`: each name its own copy of the seeded state; bounded, idle ones evicted."""

import concurrent.futures
import threading

import httpx

from .conftest import CONVERSATIONS, LISBON


def _titles(response):
    return {c["title"] for c in response.json()["items"]}


def test_sessions_see_only_their_own_writes(make_api, run):
    async def go():
        api = await (await make_api()).login()
        a, b = {"X-Mock-Session": "run-a"}, {"X-Mock-Session": "run-b"}
        r = await api.call("POST", CONVERSATIONS, json={"title": "only in a"}, headers=a)
        assert r.status_code == 201
        await api.call("DELETE", f"{CONVERSATIONS}/{LISBON}", headers=b)
        seen_a = await api.call("GET", CONVERSATIONS, params={"limit": 100}, headers=a)
        seen_b = await api.call("GET", CONVERSATIONS, params={"limit": 100}, headers=b)
        shared = await api.call("GET", CONVERSATIONS, params={"limit": 100})
        assert "only in a" in _titles(seen_a)
        assert "only in a" not in _titles(seen_b) | _titles(shared)
        lisbon_a = await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=a)
        lisbon_b = await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=b)
        assert lisbon_a.status_code == 200 and lisbon_b.status_code == 404
        assert (await api.call("GET", f"{CONVERSATIONS}/{LISBON}")).status_code == 200
    run(go())


def test_a_session_token_is_valid_in_its_session_only(make_api, run):
    async def go():
        api = await make_api()
        r = await api.client.post("/api/v1/auth/token", headers={"X-Mock-Session": "s1"},
                                  data={"username": "alice", "password": "alice-dev-password"})
        token = r.json()["access_token"]
        inside = await api.call("GET", CONVERSATIONS, token=token,
                                headers={"X-Mock-Session": "s1"})
        outside = await api.call("GET", CONVERSATIONS, token=token)
        assert inside.status_code == 200 and outside.status_code == 401
    run(go())


def test_sessions_are_bounded_least_recently_used_idle_first(make_api, run):
    """Eviction takes the least recently used *idle* session (tests/mock/test_session_bounds.py:
    a session in use is never evicted; a new one is refused instead)."""
    async def go():
        api = await (await make_api(max_sessions=2)).login()
        now = [1000.0]
        api.state.sessions.clock = lambda: now[0]
        for name in ("one", "two"):
            await api.call("POST", CONVERSATIONS, json={"title": f"in {name}"},
                           headers={"X-Mock-Session": name})
        now[0] += api.state.sessions.idle_after + 1  # both idle now
        await api.call("GET", CONVERSATIONS, headers={"X-Mock-Session": "one"})  # one is fresh
        await api.call("POST", CONVERSATIONS, json={"title": "in three"},
                       headers={"X-Mock-Session": "three"})  # evicts two
        names = [s.name for s in api.state.sessions.sessions()]
        assert names == ["default", "one", "three"]
        again = await api.call("GET", CONVERSATIONS, params={"limit": 100},
                               headers={"X-Mock-Session": "two"})
        assert "in two" not in _titles(again)  # a new copy of the fixtures
        kept = await api.call("GET", CONVERSATIONS, params={"limit": 100},
                              headers={"X-Mock-Session": "three"})
        assert kept.status_code == 200
    run(go())


def test_an_invalid_session_name_is_a_400(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.get(CONVERSATIONS, headers={"X-Mock-Session": "a b",
                                                         "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 400 and "Invalid session name" in r.json()["detail"]
    run(go())


def test_concurrent_runs_against_a_live_server_stay_apart(live_server):
    """Two test runs in parallel threads, each writing and reading under its own session."""
    server = live_server()
    barrier = threading.Barrier(2, timeout=30)

    def test_run(name):
        with server.client(headers={"X-Mock-Session": name}) as client:
            barrier.wait()
            mine = set()
            for i in range(15):
                title = f"{name}-{i}"
                assert client.post(CONVERSATIONS, json={"title": title}).status_code == 201
                mine.add(title)
                seen = _titles(client.get(CONVERSATIONS, params={"limit": 100}))
                assert mine <= seen
                assert not any(t.startswith("run-") and not t.startswith(name) for t in seen)
            return seen

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        seen_a, seen_b = pool.map(test_run, ["run-a", "run-b"])
    assert {t for t in seen_a if t.startswith("run-")} == {f"run-a-{i}" for i in range(15)}
    assert {t for t in seen_b if t.startswith("run-")} == {f"run-b-{i}" for i in range(15)}
    shared = httpx.get(f"{server.base_url}{CONVERSATIONS}", params={"limit": 100},
                       headers={"Authorization": f"Bearer {server.token}"})
    assert not any(t.startswith("run-") for t in _titles(shared))


def test_sessions_are_refused_when_turned_off(make_api, run):
    """What a multi-worker server gets (cli: --workers > 1): a clear 400, not split state."""
    async def go():
        api = await (await make_api(max_sessions=0)).login()
        r = await api.client.get(CONVERSATIONS, headers={"X-Mock-Session": "x",
                                                         "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 400 and "one worker" in r.json()["detail"]
        r = await api.client.put("/__mock/sessions/default/snapshots/s",
                                 headers={"X-Mock-Token": api.state.settings.mock_token})
        assert r.status_code == 400
        assert (await api.call("GET", CONVERSATIONS)).status_code == 200
    run(go())
