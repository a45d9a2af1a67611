"""Users and opaque bearer tokens (OAuth 2.0 password flow). Identity only ever comes from here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qs
from typing import Any

from .errors import Unauthorized
from .store import Store

__all__ = ["hash_password", "issue_token", "check_password", "new_token", "user_for_header", "issue_stream_ticket",
           "user_for_ticket", "query_ticket", "TICKET_OPERATIONS", "TOKEN_LIFETIME", "TICKET_LIFETIME"]

TOKEN_LIFETIME = 24 * 3600
# A stream ticket goes into a URL (EventSource cannot send headers), where logs and history may
# keep it: it reads one reply's events and lives long enough for EventSource's reconnects.
TICKET_LIFETIME = 300
# The operations whose `security` lists the StreamTicket scheme (a test compares with the contract).
TICKET_OPERATIONS = frozenset({"streamReplyEvents"})
_ITERATIONS = 20_000  # development passwords: enough to not store them in clear


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)


def issue_token(store: Store, username: str, password: str) -> dict[str, Any]:
    return new_token(store, check_password(store, username, password))


def check_password(store: Store, username: str, password: str) -> str:
    """The user id the credentials name; 401 otherwise. Reads only."""
    user = store.accounts.user_named(username)
    # Hash even for an unknown user, so timing does not tell which usernames exist.
    salt = user["salt"] if user else b"no-such-user"
    digest = hash_password(password, salt)
    if user is None or not hmac.compare_digest(digest, user["password_hash"]):
        raise Unauthorized("Incorrect username or password")
    return user["id"]


def new_token(store: Store, user_id: str) -> dict[str, Any]:
    token = secrets.token_urlsafe(32)
    store.accounts.add_token(token, user_id, time.time() + TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}


def user_for_header(store: Store, authorization: str | None) -> dict[str, Any]:
    """The user a `Bearer` header names; 401 when missing, malformed, unknown or expired."""
    if not authorization:
        raise Unauthorized("Not authenticated")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("Malformed authorization header; expected 'Bearer <token>'")
    row = store.accounts.token_user(token)
    if row is None or row["expires_at"] < time.time():
        raise Unauthorized("Invalid or expired token")
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"]}


def issue_stream_ticket(store: Store, user: dict[str, Any], message_id: str) -> dict[str, Any]:
    """A ticket that reads `message_id`'s events as `user`, and nothing else, for a few minutes."""
    ticket = secrets.token_urlsafe(32)
    now = time.time()
    store.accounts.add_ticket(ticket, user["id"], message_id, now, now + TICKET_LIFETIME)
    return {"ticket": ticket, "expires_in": TICKET_LIFETIME}


def user_for_ticket(store: Store, ticket: str, message_id: str | None) -> dict[str, Any]:
    """The user a stream ticket was issued to; 401 unless it is valid for `message_id`."""
    row = store.accounts.ticket_user(ticket)
    # Message ids are compared lowercased: the path may spell the UUID in capitals.
    if row is None or row["expires_at"] < time.time() \
            or row["message_id"] != (message_id or "").lower():
        raise Unauthorized("Invalid or expired stream ticket")
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"]}


def query_ticket(operation_id: str, scope: dict[str, Any], headers: dict[str, str]
                 ) -> str | None:
    """The `?ticket=` of a request to an operation that accepts one and has no Authorization."""
    if operation_id not in TICKET_OPERATIONS or "authorization" in headers:
        return None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
    return values[0] if values else None
