"""X-Mock-Session memory has an owner and a bound (issue 18 #2, #8).

A request that fails authentication creates nothing; a session costs nothing until its first
authenticated write (reads before it see the fixtures, read-only); the number of sessions and
their total size are capped; a session in use is never evicted: a new one is refused with a
503 instead. The journal is bounded as a whole, in bytes.
"""

from __future__ import annotations

from reference_impl.mock import journal as journal_mod
from reference_impl.mock.journal import Journal

from .conftest import CONVERSATIONS, LISBON


def _names(api) -> list[str]:
    return [s.name for s in api.state.sessions.sessions()]


def test_a_401_flood_creates_no_session_and_a_developers_session_survives(make_api, run):
    async def go():
        api = await (await make_api(max_sessions=4)).login()
        dev = {"X-Mock-Session": "dev-run"}
        made = await api.call("POST", CONVERSATIONS, json={"title": "mine"}, headers=dev)
        assert made.status_code == 201
        for i in range(4000):
            name = f"flood-{i:05d}-" + "x" * 50
            kind = i % 4
            if kind == 0:
                r = await api.client.get(CONVERSATIONS, headers={"X-Mock-Session": name})
            elif kind == 1:
                r = await api.client.post(CONVERSATIONS, json={"title": "t"}, headers={
                    "X-Mock-Session": name, "Authorization": "Bearer not-a-token"})
            elif kind == 2:
                r = await api.client.post("/api/v1/auth/token", headers={"X-Mock-Session": name},
                                          data={"username": f"nobody-{i}", "password": "x"})
            else:
                r = await api.client.get(CONVERSATIONS, headers={"X-Mock-Session": "bad name " + name,
                                                                 "Authorization": f"Bearer {api.token}"})
            assert r.status_code in (400, 401), (i, r.status_code, r.text)
        assert _names(api) == ["default", "dev-run"]
        mine = await api.call("GET", f"{CONVERSATIONS}/{made.json()['id']}", headers=dev)
        assert mine.status_code == 200
        # Nothing journalled for the names refused as invalid; the rest within the byte cap.
        assert not any(e["session"].startswith("bad name") for e in api.state.journal.read(limit=1000))
        assert api.state.journal.size_bytes() <= api.state.journal.max_bytes
    run(go())


def test_reads_of_an_unwritten_session_see_the_fixtures_and_create_nothing(make_api, run):
    async def go():
        api = await (await make_api()).login()
        await api.call("POST", CONVERSATIONS, json={"title": "shared only"})  # not a fixture
        s = {"X-Mock-Session": "reader"}
        seen = await api.call("GET", CONVERSATIONS, params={"limit": 100}, headers=s)
        titles = {c["title"] for c in seen.json()["items"]}
        assert "Trip to Lisbon" in titles and "shared only" not in titles
        assert (await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=s)).status_code == 200
        assert "reader" not in _names(api)
        await api.call("POST", CONVERSATIONS, json={"title": "first write"}, headers=s)
        assert "reader" in _names(api)
        titles = {c["title"] for c in (await api.call("GET", CONVERSATIONS, params={"limit": 100},
                                                      headers=s)).json()["items"]}
        assert {"first write", "Trip to Lisbon"} <= titles and "shared only" not in titles
    run(go())


def test_signing_in_in_a_new_session_creates_it_only_on_success(make_api, run):
    async def go():
        api = await make_api()
        s = {"X-Mock-Session": "signin"}
        r = await api.client.post("/api/v1/auth/token", headers=s,
                                  data={"username": "alice", "password": "wrong"})
        assert r.status_code == 401 and "signin" not in _names(api)
        r = await api.client.post("/api/v1/auth/token", headers=s,
                                  data={"username": "alice", "password": "alice-dev-password"})
        assert r.status_code == 200 and "signin" in _names(api)
        token = r.json()["access_token"]
        inside = await api.call("GET", CONVERSATIONS, token=token, headers=s)
        outside = await api.call("GET", CONVERSATIONS, token=token)
        assert inside.status_code == 200 and outside.status_code == 401
    run(go())


def test_a_session_in_use_is_never_evicted_a_new_one_is_refused(make_api, run):
    async def go():
        api = await (await make_api(max_sessions=2)).login()
        pool = api.state.sessions
        now = [1000.0]
        pool.clock = lambda: now[0]
        for name in ("one", "two"):
            r = await api.call("POST", CONVERSATIONS, json={"title": f"in {name}"},
                               headers={"X-Mock-Session": name})
            assert r.status_code == 201
        r = await api.call("POST", CONVERSATIONS, json={"title": "in three"},
                           headers={"X-Mock-Session": "three"})
        assert r.status_code == 503 and "three" not in _names(api)
        assert 1 <= int(r.headers["retry-after"]) <= pool.idle_after
        assert "session" in r.json()["detail"]
        now[0] += pool.idle_after / 2
        await api.call("GET", CONVERSATIONS, headers={"X-Mock-Session": "one"})  # one is in use
        now[0] += pool.idle_after / 2 + 1  # two idle for idle_after; one used since
        r = await api.call("POST", CONVERSATIONS, json={"title": "in three"},
                           headers={"X-Mock-Session": "three"})
        assert r.status_code == 201
        assert _names(api) == ["default", "one", "three"]
        kept = await api.call("GET", CONVERSATIONS, params={"limit": 100},
                              headers={"X-Mock-Session": "one"})
        assert "in one" in {c["title"] for c in kept.json()["items"]}
    run(go())


def test_the_sessions_total_size_is_capped(make_api, run):
    async def go():
        api = await (await make_api()).login()
        pool = api.state.sessions
        s = {"X-Mock-Session": "big"}
        assert (await api.call("POST", CONVERSATIONS, json={"title": "a"}, headers=s)).status_code == 201
        pool.max_bytes = pool.size_bytes()  # full now
        r = await api.call("POST", CONVERSATIONS, json={"title": "b"}, headers=s)
        assert r.status_code == 503 and "MiB" in r.json()["detail"]
        r = await api.call("POST", CONVERSATIONS, json={"title": "c"}, headers={"X-Mock-Session": "new"})
        assert r.status_code == 503 and "new" not in _names(api)
        # Deleting still works (it frees room), and the shared state is not a mock session.
        assert (await api.call("DELETE", f"{CONVERSATIONS}/{LISBON}", headers=s)).status_code == 204
        assert (await api.call("POST", CONVERSATIONS, json={"title": "d"})).status_code == 201
    run(go())


def test_the_journal_is_bounded_in_bytes_with_entries_truncated():
    journal = Journal(max_bytes=200_000)
    for i in range(3 * 1100):
        journal.record(f"s{i % 3}", 0.0, "GET", "/p" * 30_000, "q=" + "x" * 60_000, 200, 1.0, None)
    assert journal.size_bytes() <= 200_000
    entry = journal.read("s0", limit=1)[0]
    assert len(entry["path"]) <= journal_mod.FIELD_LIMIT + 40
    assert len(entry["query"]) <= journal_mod.FIELD_LIMIT + 40 and "truncated" in entry["query"]
    for i in range(20_000):  # many sessions: the oldest go, the newest stay, memory stays bounded
        journal.record(f"name-{i}", 0.0, "GET", "/x", "", 401, 1.0, None)
    assert journal.size_bytes() <= 200_000
    assert journal.read("name-19999", limit=5) and not journal.read("name-0", limit=5)
    assert len(journal._entries) < 20_000
    small = Journal(limit=5)
    for i in range(10):
        small.record("s", 0.0, "GET", f"/{i}", "", 200, 1.0, None)
    assert [e["path"] for e in small.read("s", limit=100)] == [f"/{i}" for i in range(9, 4, -1)]
    small.clear("s")
    assert small.size_bytes() == 0


def test_the_admin_api_documents_its_503_when_every_session_is_in_use(make_api, run):
    from .test_admin import admin  # checks each answer against spec/admin-openapi.yaml

    async def go():
        api = await (await make_api(max_sessions=1)).login()
        await api.call("POST", CONVERSATIONS, json={"title": "x"}, headers={"X-Mock-Session": "a"})
        for method, url in (("POST", "/__mock/sessions/b/reset"),
                            ("PUT", "/__mock/sessions/b/snapshots/s")):
            r = await admin(api, method, url)
            assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        assert _names(api) == ["default", "a"]
    run(go())
