"""What every engine offers the repositories: reads, writes, keyset pages and transactions.

An engine (sqlite.py, postgres.py) supplies a connection and its dialect; the SQL of the repositories
(accounts.py, conversations.py, ...) is written once, with `?` placeholders, on the methods here.
Reads inside `transaction()` see that transaction's writes (one connection per transaction).
"""

from __future__ import annotations

import json
import secrets
from typing import Any, AsyncIterator

from ..turns import next_turn
from .schema import COPIED_TABLES, JSON_COLUMNS

__all__ = ["Database", "Repository", "SLICE_ROWS"]

SLICE_ROWS = 16  # rows per query of whole-conversation work done in slices (pages, delete_all)


def encode(column: str, value: Any) -> Any:
    return json.dumps(value) if column in JSON_COLUMNS and value is not None else value


class Database:
    """The engine-neutral half of a store; subclasses implement `one`, `all`, `run`,
    `transaction` (one writer at a time, as SQLite's BEGIN IMMEDIATE: the services' checks
    before a write hold), the dialect's `contains` and `insert_verb`, the bytes of attachments
    (`write_blob`, `read_blob`, `has_blob`, `blob_hashes`, `drop_blob`, `drop_blob_if_unused`)
    and `copy_to`.

    `errors`: the engine's exceptions a caller may outlive (a reply job ends as failed).
    """

    errors: tuple[type[BaseException], ...] = ()
    shared = False  # True: other hosts may be writing to the same database at any time

    def __init__(self) -> None:
        # Who writes through this store: work done in several transactions (a share's
        # snapshot, a conversation's delete) is marked with it, so that if this process stops
        # half-way, a live one finishes or undoes it (recovery.py). The app names it after its
        # heartbeat (Recovery.worker); a store no heartbeat names is never alive.
        self.writer = "store-" + secrets.token_hex(6)
        from .accounts import Accounts
        from .attachments import Attachments
        from .conversations import Conversations
        from .leases import Leases
        from .messages import Messages
        from .providers import Providers
        from .replies import Replies
        from .shares import Shares
        self.accounts, self.conversations = Accounts(self), Conversations(self)
        self.messages, self.attachments = Messages(self), Attachments(self)
        self.providers, self.shares, self.replies = Providers(self), Shares(self), Replies(self)
        self.leases = Leases(self)

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def run(self, sql: str, *args: Any) -> int:
        """A write inside the caller's transaction; the number of rows it touched."""
        raise NotImplementedError

    def contains(self, expression: str) -> str:
        """A condition: `expression` holds the next parameter, ASCII letters case-folded."""
        raise NotImplementedError

    def insert_verb(self, ignore: bool) -> tuple[str, str]:
        """The statement's head and tail for an insert that skips rows whose key exists."""
        raise NotImplementedError

    def insert(self, table: str, row: dict[str, Any], ignore: bool = False) -> None:
        """INSERT one row inside the caller's transaction (`ignore`: keep an existing one)."""
        head, tail = self.insert_verb(ignore)
        self.run(f"{head} INTO {table} ({', '.join(row)}) VALUES "
                 f"({', '.join('?' for _ in row)}){tail}",
                 *(encode(k, v) for k, v in row.items()))

    def update(self, table: str, key: str, changes: dict[str, Any]) -> None:
        """UPDATE the row whose id is `key`, inside the caller's transaction."""
        self.run(f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                 *(encode(k, v) for k, v in changes.items()), key)

    def page(self, sql: str, args: list[Any], after: int | None, limit: int,
             newest_first: bool = False) -> list[dict[str, Any]]:
        """`sql` selects from one table with a WHERE clause; keyset on seq, limit+1 rows."""
        if after is not None:
            sql += " AND seq < ?" if newest_first else " AND seq > ?"
            args = [*args, after]
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        return self.all(sql + " LIMIT ?", *args, limit + 1)

    async def pages(self, sql: str, args: list[Any], size: int = SLICE_ROWS
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every row of `sql` (as for `page`, oldest first), one page of `size` per query.

        The event loop serves other requests between pages, so whole-conversation work (a
        summary, a share's snapshot: 2,000 messages of 16 KB are 32 MB) is bounded slices of
        it rather than one stall of a second; the pages of all such work in progress take
        turns (turns.py: one per turn of the loop). Rows written meanwhile may or may not be
        seen.
        """
        after = None
        while True:
            rows = self.page(sql, args, after, size)
            yield rows[:size]
            if len(rows) <= size:
                return
            after = rows[size - 1]["seq"]
            await next_turn()

    def delete_some(self, table: str, where: str, args: list[Any], size: int = SLICE_ROWS
                    ) -> bool:
        """DELETE the first `size` rows of `table` WHERE `where`, in a transaction of its own;
        whether there may be more."""
        with self.transaction():
            return self.run(f"DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} "
                            f"WHERE {where} ORDER BY seq LIMIT ?)", *args, size) == size

    async def delete_all(self, table: str, where: str, args: list[Any],
                         size: int = SLICE_ROWS) -> None:
        """DELETE FROM `table` WHERE `where`, `size` rows per transaction, the loop served between."""
        while self.delete_some(table, where, args, size):
            await next_turn()

    def transaction(self):
        raise NotImplementedError

    def blob_hashes(self) -> list[str]:
        """The hashes of every attachment's bytes this store keeps."""
        raise NotImplementedError

    def after_copy(self) -> None:
        """Inside the copy's transaction, after the rows went in (PostgreSQL: sequences)."""

    def copy_rows_to(self, target: "Database") -> None:
        """Make `target` (of any engine) hold what this store holds: every row of
        COPIED_TABLES, keys included, in one transaction of the target's; then the bytes."""
        with target.transaction():
            for table in COPIED_TABLES:
                target.run(f"DELETE FROM {table}")
                for row in self.all(f"SELECT * FROM {table}"):
                    target.insert(table, row)
            target.after_copy()
        wanted = set(self.blob_hashes())
        for sha in set(target.blob_hashes()) - wanted:
            target.drop_blob(sha)
        for sha in wanted:
            if not target.has_blob(sha):
                target.write_blob(sha, self.read_blob(sha))


class Repository:
    """The statements about one part of the state, run on a store's engine."""

    def __init__(self, db: Database) -> None:
        self.db = db
