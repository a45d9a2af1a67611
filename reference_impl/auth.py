"""Users and opaque bearer tokens (OAuth 2.0 password flow). Identity only ever comes from here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from .errors import Unauthorized
from .store import Store

__all__ = ["hash_password", "issue_token", "user_for_header", "TOKEN_LIFETIME"]

TOKEN_LIFETIME = 24 * 3600
_ITERATIONS = 20_000  # development passwords: enough to not store them in clear


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)


def issue_token(store: Store, username: str, password: str) -> dict[str, Any]:
    user = store.one("SELECT * FROM users WHERE username = ?", username)
    # Hash even for an unknown user, so timing does not tell which usernames exist.
    salt = user["salt"] if user else b"no-such-user"
    digest = hash_password(password, salt)
    if user is None or not hmac.compare_digest(digest, user["password_hash"]):
        raise Unauthorized("Incorrect username or password")
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute("INSERT INTO tokens VALUES (?, ?, ?)",
                     (token, user["id"], time.time() + TOKEN_LIFETIME))
    return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}


def user_for_header(store: Store, authorization: str | None) -> dict[str, Any]:
    """The user a `Bearer` header names; 401 when missing, malformed, unknown or expired."""
    if not authorization:
        raise Unauthorized("Not authenticated")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("Malformed authorization header; expected 'Bearer <token>'")
    row = store.one("SELECT u.id, u.username, u.display_name, t.expires_at FROM tokens t "
                    "JOIN users u ON u.id = t.user_id WHERE t.token = ?", token)
    if row is None or row["expires_at"] < time.time():
        raise Unauthorized("Invalid or expired token")
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"]}
