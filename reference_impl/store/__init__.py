"""All state, behind one interface named for what the services need.

`Store` is the engine (sqlite.py: SQLite through the standard library); its repositories
(`store.conversations`, `store.messages`, `store.attachments`, `store.providers`,
`store.shares`, `store.replies`, `store.accounts`) hold every SQL statement, written once in
base.py's terms. Services hold the rules and no SQL (tests/reference_impl/test_store_boundary.py).
"""

from __future__ import annotations

from .sqlite import Store

__all__ = ["Store"]
