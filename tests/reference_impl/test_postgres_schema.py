"""PostgreSQL's schema is versioned, created or migrated at start-up, and safe when several
hosts start at once (reference_impl/store/postgres.py)."""

from __future__ import annotations

import threading

from reference_impl.store import postgres
from reference_impl.store.postgres import MIGRATIONS, PostgresStore

from ..postgres import fresh_database


def _versions(store: PostgresStore) -> list[int]:
    return [r["version"] for r in store.all("SELECT version FROM schema_version ORDER BY version")]


def test_hosts_starting_together_create_the_schema_once() -> None:
    with fresh_database() as url:
        stores: list[PostgresStore] = []
        barrier = threading.Barrier(4)

        def start() -> None:
            barrier.wait()
            stores.append(PostgresStore(url))

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(stores) == 4  # none failed
        assert _versions(stores[0]) == list(range(1, len(MIGRATIONS) + 1))
        for s in stores:
            s.close()


def test_a_database_of_an_earlier_version_is_migrated_and_keeps_its_rows(monkeypatch) -> None:
    with fresh_database() as url:
        first = PostgresStore(url)
        with first.transaction():
            first.replies.add_price({"model": "m", "input_per_1k": 1.0, "output_per_1k": 2.0,
                                     "currency": "EUR"})
        first.close()
        later = [*MIGRATIONS, "ALTER TABLE prices ADD COLUMN note TEXT;"]
        monkeypatch.setattr(postgres, "MIGRATIONS", later)
        second = PostgresStore(url)
        assert _versions(second) == list(range(1, len(later) + 1))
        assert second.replies.price("m")["note"] is None  # the new column, the old row
        assert second.migrate() == len(later)  # nothing left to do
        second.close()


def test_mock_sessions_schemas_are_separate_stores() -> None:
    with fresh_database() as url:
        one, other = PostgresStore(url, schema="session_a"), PostgresStore(url, schema="session_b")
        with one.transaction():
            one.replies.add_price({"model": "m", "input_per_1k": 1.0, "output_per_1k": 2.0,
                                   "currency": "EUR"})
        assert one.replies.price("m") and other.replies.price("m") is None
        one.drop()
        for s in (one, other):
            s.close()
