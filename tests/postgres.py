"""A PostgreSQL database of its own for a test: created at the start, dropped at the end.

The server is the one CHAT_CONTRACT_TEST_POSTGRES names (a URL of a database the user may
create databases from; default postgresql://postgres@127.0.0.1:5432/postgres, which
`.ci/run` makes sure is running). These tests are never skipped: without a server they fail,
saying which URL they tried.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

__all__ = ["ADMIN_URL", "VARIABLE", "fresh_database"]

VARIABLE = "CHAT_CONTRACT_TEST_POSTGRES"
ADMIN_URL = os.environ.get(VARIABLE) or "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {ADMIN_URL} (set {VARIABLE}, or run .ci/run): {exc}")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database; dropped (connections and all) when the block ends."""
    name = f"chat_contract_test_{secrets.token_hex(6)}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl()
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
