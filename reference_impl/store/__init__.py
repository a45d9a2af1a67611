"""All state, behind one interface named for what the services need.

An engine holds the connection: sqlite.py (the standard library; the default, in memory or
one file the workers of one machine share) or postgres.py (psycopg 3; one database any number
of hosts share). Its repositories (`store.conversations`, `store.messages`,
`store.attachments`, `store.providers`, `store.shares`, `store.replies`, `store.accounts`,
`store.leases`) hold every SQL statement, written once in base.py's terms. Services hold the
rules and no SQL (tests/reference_impl/test_store_boundary.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .sqlite import Store

__all__ = ["Store", "open_store", "is_postgres_url"]


def is_postgres_url(target: str | None) -> bool:
    return bool(target) and target.split("://", 1)[0] in ("postgresql", "postgres")


def open_store(target: str | None, data_dir: Path) -> Any:
    """The engine `target` names: a postgresql:// URL, a SQLite file, or None (in memory).

    `data_dir` holds SQLite's attachment bytes; PostgreSQL keeps them in the database.
    """
    if is_postgres_url(target):
        try:
            from .postgres import PostgresStore
        except ImportError as exc:  # psycopg is an extra: SQLite needs nothing else
            raise RuntimeError("a postgresql:// database needs psycopg: "
                               "pip install 'chat-contract[postgres]'") from exc
        return PostgresStore(target)
    return Store(target, data_dir)
