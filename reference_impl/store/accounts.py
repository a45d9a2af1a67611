"""Users, bearer tokens, stream tickets and sign-in attempts (auth.py, throttle.py, seed.py)."""

from __future__ import annotations

from typing import Any

from .base import Repository

__all__ = ["Accounts"]


class Accounts(Repository):
    def user_named(self, username: str) -> dict[str, Any] | None:
        return self.db.one("SELECT * FROM users WHERE username = ?", username)

    def add_user(self, row: dict[str, Any]) -> None:
        """A fixture user, once (an existing id or username is kept)."""
        self.db.insert("users", row, ignore=True)

    def add_token(self, token: str, user_id: str, expires_at: float) -> None:
        with self.db.transaction():
            self.db.run("INSERT INTO tokens (token, user_id, expires_at) VALUES (?, ?, ?)",
                        token, user_id, expires_at)

    def token_user(self, token: str) -> dict[str, Any] | None:
        """The token's user (id, username, display_name) and the token's `expires_at`."""
        return self.db.one("SELECT u.id, u.username, u.display_name, t.expires_at FROM tokens t "
                           "JOIN users u ON u.id = t.user_id WHERE t.token = ?", token)

    def add_ticket(self, ticket: str, user_id: str, message_id: str, now: float,
                   expires_at: float) -> None:
        """A stream ticket; the expired ones go in the same transaction."""
        with self.db.transaction():
            self.db.run("DELETE FROM stream_tickets WHERE expires_at < ?", now)
            self.db.run("INSERT INTO stream_tickets (ticket, user_id, message_id, expires_at) "
                        "VALUES (?, ?, ?, ?)", ticket, user_id, message_id, expires_at)

    def ticket_user(self, ticket: str) -> dict[str, Any] | None:
        """The ticket's user (id, username, display_name), its `message_id` and `expires_at`."""
        return self.db.one("SELECT u.id, u.username, u.display_name, s.message_id, s.expires_at "
                           "FROM stream_tickets s JOIN users u ON u.id = s.user_id "
                           "WHERE s.ticket = ?", ticket)

    def setting(self, name: str, proposed: str) -> str:
        """The stored value of `name`; `proposed` becomes it when there is none yet (the first
        host to start decides, the others read it)."""
        with self.db.transaction():
            self.db.insert("server_settings", {"name": name, "value": proposed}, ignore=True)
            return self.db.one("SELECT value FROM server_settings WHERE name = ?", name)["value"]

    def take_attempt(self, key: str, now: float, window: float, most: int, max_rows: int
                     ) -> float | None:
        """Count one sign-in attempt for `key`, in one transaction; or refuse it.

        None: counted. A number: refused, the seconds until the oldest attempt that stands in
        the way is `window` old (`key`'s own, or with `max_rows` attempts in the window for all
        keys together, the oldest of all: a flood is refused, it never resets a count).
        """
        db = self.db
        with db.transaction():  # one writer at a time: the count cannot be raced
            db.run("DELETE FROM sign_in_attempts WHERE at <= ?", now - window)
            mine = db.one("SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts"
                          " WHERE username_key = ?", key)
            if mine["n"] >= most:
                return mine["oldest"] + window - now
            every = db.one("SELECT count(*) AS n, min(at) AS oldest FROM sign_in_attempts")
            if every["n"] >= max_rows:
                return every["oldest"] + window - now
            db.run("INSERT INTO sign_in_attempts (username_key, at) VALUES (?, ?)", key, now)
        return None

    def forget_attempts(self, key: str) -> None:
        with self.db.transaction():
            self.db.run("DELETE FROM sign_in_attempts WHERE username_key = ?", key)
