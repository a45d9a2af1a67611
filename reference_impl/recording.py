"""`chat-contract proxy --record FILE`: the exchanges the proxy relays, one JSON object a line.

What a line holds (format 1): `time`, `user` (who made the request: a username, or `user-N` for
a bearer token whose sign-in the proxy did not see), `method`, `path`, `query`, `operation` (the
contract's operationId), `status`, and `request` / `response`, each `{"media_type", "size",
"body"}`: parsed JSON, a form as an object, other text as a string, or null (binary, multipart,
or over MAX_BODY bytes). Secrets are redacted before anything is written (mock/redact.py):
passwords, API keys, access tokens and stream tickets never reach the file, and neither does
any header. Users are told apart by a hash of their token kept in memory, never written.

The file is appended to (one proxy run after another makes one recording), flushed after each
line; `chat-contract serve --fixtures FILE` seeds a server from it (recorded_seed.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .mock.redact import is_json, query_view, redact_text, redact_value

__all__ = ["Recorder", "FORMAT", "MAX_BODY"]

FORMAT = 1
MAX_BODY = 1024 * 1024     # bytes of a body written; a larger one is recorded by size only
MAX_IDENTITIES = 10_000    # tokens and tickets remembered (by hash) to tell users apart


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _body(media_type: str, data: bytes) -> dict[str, Any]:
    recorded: dict[str, Any] = {"media_type": media_type, "size": len(data), "body": None}
    kind = media_type.split(";")[0].strip().lower()
    if not data or len(data) > MAX_BODY:
        return recorded
    text = data.decode("utf-8", "replace")
    if is_json(kind):
        try:
            recorded["body"] = redact_value(json.loads(text))
        except ValueError:
            recorded["body"] = redact_text(text)
    elif kind == "application/x-www-form-urlencoded":
        recorded["body"] = redact_value(dict(parse_qsl(text, keep_blank_values=True)))
    elif kind.startswith("text/"):
        recorded["body"] = redact_text(text)
    return recorded


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._who: dict[str, str] = {}   # sha256 of a token or ticket -> the user's label
        self._unknown = 0
        self._lock = threading.Lock()

    def user(self, authorization: str, query: str) -> str | None:
        """Who sent a request: from its bearer token, or from the `?ticket=` it carries."""
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        ticket = dict(parse_qsl(query)).get("ticket", "") if "ticket=" in query else ""
        secret = token or ticket
        if not secret:
            return None
        with self._lock:
            found = self._who.get(_hash(secret))
            if found is None and token:
                self._unknown += 1
                found = f"user-{self._unknown}"
                self._remember(token, found)
            return found

    def _remember(self, secret: str, label: str) -> None:
        if len(self._who) < MAX_IDENTITIES:
            self._who[_hash(secret)] = label

    def write(self, *, user: str | None, method: str, path: str, query: str,
              operation: str | None, status: int, request: tuple[str, bytes],
              response: tuple[str, bytes]) -> None:
        line = {"format": FORMAT, "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "user": user, "method": method, "path": path, "query": query_view(query),
                "operation": operation, "status": status,
                "request": _body(*request), "response": _body(*response)}
        self._learn(line, request, response)
        with self._lock:
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._file.flush()

    def _learn(self, line: dict[str, Any], request: tuple[str, bytes],
               response: tuple[str, bytes]) -> None:
        """A sign-in names the user of the token it returns; a stream ticket, its owner's."""
        if line["status"] >= 300:
            return
        try:
            if line["operation"] == "createToken":
                username = dict(parse_qsl(request[1].decode())).get("username")
                token = json.loads(response[1])["access_token"]
                if username:
                    with self._lock:
                        self._remember(token, username)
                    line["user"] = username
            elif line["operation"] == "createStreamTicket" and line["user"]:
                with self._lock:
                    self._remember(json.loads(response[1])["ticket"], line["user"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            pass  # an answer not as the contract says: recorded as it came, nothing learnt

    def close(self) -> None:
        with self._lock:
            self._file.close()
