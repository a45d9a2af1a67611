"""The request journal on PostgreSQL: entries recorded by one host are read by another,
bounded per session and in bytes as in memory, secrets redacted when read (issue 19)."""

from __future__ import annotations

import contextlib

import pytest

from reference_impl.mock.journal import ENTRY_COST, Body
from reference_impl.mock.shared_journal import SharedJournal
from reference_impl.store.mock_journal import JournalTable
from reference_impl.store.postgres import PostgresStore

from ..postgres import fresh_database

pytestmark = pytest.mark.slow


@pytest.fixture
def journals():
    """`journals(**options)` -> a journal on the test's database, as one more host's."""
    with fresh_database() as url, contextlib.ExitStack() as stack:
        def make(**options) -> SharedJournal:
            store = PostgresStore(url, pool_size=2)
            stack.callback(store.close)
            journal = SharedJournal(JournalTable(store), **options)
            stack.callback(journal.close)
            return journal
        yield make


def _record(journal, session="default", path="/api/v1/conversations", violations=None,
            request=Body(), status=200):
    journal.record(session, 1_700_000_000.0, "POST", path, "", status, 1.5, violations,
                   request, Body.of("application/json", b'{"ok": true}'))


def test_one_hosts_entries_are_read_by_another_with_bodies_redacted(journals):
    a, b = journals(), journals()
    _record(a, path="/api/v1/auth/token",
            request=Body.of("application/x-www-form-urlencoded",
                            b"username=alice&password=alice-dev-password"))
    _record(a, violations=["status 200 is not documented"], status=200)
    a.flush()  # what the writer thread does every FLUSH_EVERY seconds
    items = b.read()
    assert [e["path"] for e in items] == ["/api/v1/conversations", "/api/v1/auth/token"]
    assert items[0]["violations"] == ["status 200 is not documented"] and items[0]["checked"]
    assert items[1]["checked"] is False and items[1]["time"] == "2023-11-14T22:13:20.000Z"
    assert [e["path"] for e in b.read(violations_only=True)] == ["/api/v1/conversations"]
    entry = b.entry(items[1]["seq"])
    assert "alice-dev-password" not in entry["request"]["text"]
    assert "username=alice" in entry["request"]["text"]
    assert entry["response"]["text"] == '{"ok": true}'
    assert b.entry(items[0]["seq"] + 1000) is None


def test_the_table_keeps_its_bounds_per_session_and_in_bytes(journals):
    a = journals(limit=3)
    for i in range(5):
        _record(a, session="s1", path=f"/p/{i}")
    _record(a, session="s2", path="/other")
    a.flush()
    assert [e["path"] for e in a.read("s1")] == ["/p/4", "/p/3", "/p/2"]
    assert [e["path"] for e in a.read("s2")] == ["/other"]
    a.clear("s1")
    assert a.read("s1") == [] and len(a.read()) == 1

    small = journals(max_bytes=3 * (ENTRY_COST + 100))
    for i in range(10):
        _record(small, path=f"/q/{i}")
    small.flush()
    assert small.size_bytes() <= small.max_bytes
    assert [e["path"] for e in small.read(limit=1000)][0] == "/q/9"
