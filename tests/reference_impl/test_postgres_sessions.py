"""Named mock sessions on PostgreSQL, two "hosts" (pools with their own connections) on one
database: the registry's caps, idle-only eviction, the template seeded once, and the
sessions' Prefer presets capped across hosts (issue 19).
The end-to-end run through three servers is tests/reference_impl/test_multi_host.py."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from chat_contract.resources import fixtures_dir
from reference_impl import seed
from reference_impl.errors import ApiError, ServiceUnavailable
from reference_impl.mock.presets import MAX_SESSIONS as PRESET_SESSIONS
from reference_impl.mock.shared_presets import SharedPresets
from reference_impl.mock.shared_sessions import SharedSessionPool
from reference_impl.store.mock_presets import PresetTable
from reference_impl.store.mock_sessions import SessionRegistry
from reference_impl.store.postgres import PostgresStore

from ..postgres import fresh_database

pytestmark = pytest.mark.slow


@pytest.fixture
def hosts():
    """`hosts(**options)` -> a pool on the test's database, as one more host would hold."""
    seeded: list[str] = []

    def seed_once(store) -> None:
        seeded.append(store.schema)
        seed.load(store, fixtures_dir())

    with fresh_database() as url, contextlib.ExitStack() as stack:
        def make(**options) -> SharedSessionPool:
            store = PostgresStore(url, pool_size=4)
            stack.callback(store.close)
            pool = SharedSessionPool(SimpleNamespace(store=store), registry=SessionRegistry(store),
                                     fixtures_key=seed.fingerprint(fixtures_dir()),
                                     seed=seed_once, make_state=lambda s: SimpleNamespace(store=s),
                                     **options)
            stack.callback(pool.close)
            return pool
        make.seeded = seeded
        yield make


def _titles(state) -> list[str]:
    return sorted(r["title"] for r in state.store.all("SELECT title FROM conversations"))


def test_the_template_is_seeded_once_and_each_session_is_its_own_copy(hosts):
    a, b = hosts(), hosts()
    one = a.state_for_write("one", "POST")
    two = b.state_for_write("two", "POST")
    assert len(hosts.seeded) == 1  # b found a's template
    with one.store.transaction():
        one.store.run("UPDATE conversations SET title = 'changed in one'")
    # b serves session one (made by a) from its schema; two is untouched.
    assert set(_titles(b.state_for_read("one"))) == {"changed in one"}
    assert "changed in one" not in _titles(two)
    assert _titles(a.state_for_read("never-written")) == _titles(two)  # the template, read-only
    # Least recently used first, on every host.
    assert [s.name for s in a.sessions()] == [s.name for s in b.sessions()] \
        == ["default", "two", "one"]


def test_the_count_cap_holds_across_hosts_and_only_idle_sessions_are_evicted(hosts):
    a = hosts(max_sessions=2)
    b = hosts(max_sessions=2)
    a.state_for_write("one", "POST")
    b.state_for_write("two", "POST")
    # Both used just now: not idle for 60 s, so a third is refused, nothing evicted.
    with pytest.raises(ServiceUnavailable) as refused:
        a.state_for_write("three", "POST")
    assert "in use" in refused.value.detail
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert {s.name for s in b.sessions()} == {"default", "one", "two"}
    # A host that counts every session idle at once evicts one, but never one it is serving.
    eager = hosts(max_sessions=2, idle_after=0.0)
    eager.running("one", +1)
    eager.running("two", +1)
    with pytest.raises(ServiceUnavailable):
        eager.state_for_write("three", "POST")
    eager.running("one", -1)
    eager.state_for_write("three", "POST")  # "one" was the idle one
    assert {s.name for s in a.sessions()} == {"default", "two", "three"}
    assert a.state_for_read("one") is a.view()  # gone for every host


def test_the_byte_cap_refuses_writes_but_deletes_and_counts_snapshots(hosts):
    hosts().state_for_write("one", "POST")
    tight = hosts(max_bytes=hosts().size_bytes())  # exactly what the sessions hold now
    with pytest.raises(ServiceUnavailable) as full:
        tight.state_for_write("one", "POST")
    assert "limit" in full.value.detail
    assert tight.state_for_write("one", "DELETE") is not None  # deleting frees room
    with pytest.raises(ServiceUnavailable):
        tight.snapshot("one", "before")
    tight.snapshot("default", "before")  # the shared state's snapshots are not counted
    assert [s.name for s in tight.sessions()] == ["default", "one"]
    assert list(tight.session("default").snapshots) == ["before"]


def test_presets_are_capped_across_hosts_and_read_back_from_either(hosts):
    def presets(pool) -> SharedPresets:
        return SharedPresets(["listConversations"], lambda method, path: "listConversations",
                             PresetTable(pool.default.state.store))

    a, b = presets(hosts()), presets(hosts())
    try:
        one = [{"operation": "listConversations", "prefer": "code=503"}]
        for n in range(PRESET_SESSIONS):
            (a if n % 2 else b).put(f"s{n}", one)
        with pytest.raises(ApiError) as refused:
            b.put("one-more", one)
        assert refused.value.status == 409
        assert b.get("s1") == one and a.get("one-more") == []
        assert a.for_request("s1", "GET", "/x") == "code=503"  # put here: applied at once
        a.put("s0", [])  # cleared through a: room for one more, through b
        b.put("one-more", one)
        assert a.get("one-more") == one
    finally:
        a.close(), b.close()


def test_a_request_in_a_session_deleted_meanwhile_is_a_503_not_a_server_error(hosts):
    a, b = hosts(), hosts()
    state = a.state_for_write("one", "POST")  # a request on a, in flight
    b.drop("one")
    with pytest.raises(ServiceUnavailable) as gone:
        state.store.conversations.by_id("anything")
    assert "deleted" in gone.value.detail
    with pytest.raises(ServiceUnavailable):
        with state.store.transaction():
            state.store.conversations.by_id("anything")
