"""All state, in memory: one process, one lock-free event loop. Views shape records as the contract."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .addons import SignInThrottle

# Development users only (the same as the repository's fixtures): never reuse these passwords.
USERS = {
    "alice": {"id": "6f1c1f7e-6a43-4bb8-9d55-1f0f0f6c0a01", "username": "alice",
              "display_name": "Alice Example", "password": "alice-dev-password"},
    "bob": {"id": "7a2d2f8f-7b54-4cc9-8e66-2a1a1a7d1b02", "username": "bob",
            "display_name": "Bob Example", "password": "bob-dev-password"},
}
TOKEN_LIFETIME = 86400
TICKET_LIFETIME = 300  # a stream ticket travels in a URL: minutes, not a day
DEFAULT_MODEL = "builtin/echo-1"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class State:
    tokens: dict[str, str] = field(default_factory=dict)            # token -> username
    conversations: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, dict] = field(default_factory=dict)
    attachments: dict[str, dict] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)            # attachment id -> bytes
    events: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # message id -> SSE
    providers: dict[str, dict] = field(default_factory=dict)
    configs: dict[str, dict] = field(default_factory=dict)
    shares: dict[str, dict] = field(default_factory=dict)
    read_markers: dict[str, dict] = field(default_factory=dict)      # conversation id -> marker
    tickets: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # -> user, message, expiry
    throttle: SignInThrottle = field(default_factory=SignInThrottle)  # failed sign-ins
    seq: int = 0

    def next_seq(self) -> int:
        """The immutable ordering key of every stored record: pages never shift under inserts."""
        self.seq += 1
        return self.seq

    def issue_token(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = username
        return token

    def issue_ticket(self, username: str, message_id: str) -> str:
        """A stream ticket: `message_id`'s events, as `username`, for TICKET_LIFETIME seconds."""
        moment = time.monotonic()
        for old in [t for t, (_, _, expiry) in self.tickets.items() if expiry < moment]:
            del self.tickets[old]
        ticket = secrets.token_urlsafe(32)
        self.tickets[ticket] = (username, message_id, moment + TICKET_LIFETIME)
        return ticket


# -- pagination --------------------------------------------------------------------------------

def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The key after which the next page starts; a cursor we did not issue gives an empty page."""
    if cursor is None:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return -1


def page(records: list[dict], limit: int, cursor: str | None, view, newest_first: bool = False
         ) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: r["seq"], reverse=newest_first)
    after = decode_cursor(cursor)
    if after == -1:
        ordered = []
    elif after is not None:
        ordered = [r for r in ordered if (r["seq"] < after if newest_first else r["seq"] > after)]
    chunk = ordered[:limit]
    more = len(ordered) > limit
    return {"items": [view(r) for r in chunk],
            "next_cursor": encode_cursor(chunk[-1]["seq"]) if more else None}


# -- anonymisation -----------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()\-.]{6,30}\d(?![\w])")


MAX_PLACEHOLDERS = 100  # the contract's maxProperties of deanonymization_mapping


def anonymize(text: str, mapping: dict[str, str]) -> str:
    """`text` with placeholders for e-mail addresses and phone numbers; extends `mapping`, up
    to MAX_PLACEHOLDERS (then an unnumbered placeholder, the original only in the message)."""
    reverse = {original: placeholder for placeholder, original in mapping.items()}

    def replacer(kind: str):  # noqa: ANN202
        def replace(match: re.Match) -> str:
            original = match.group(0)
            if original not in reverse:
                if len(mapping) >= MAX_PLACEHOLDERS:
                    return f"<{kind}>"
                placeholder = f"<{kind}_{sum(p.startswith(f'<{kind}_') for p in mapping) + 1}>"
                mapping[placeholder] = original
                reverse[original] = placeholder
            return reverse[original]
        return replace

    return _PHONE.sub(replacer("PHONE"), _EMAIL.sub(replacer("EMAIL"), text))


# -- server-generated text ---------------------------------------------------------------------

def key_topics(text: str, count: int) -> list[str]:
    words = re.findall(r"[^\W\d_]{4,}", text.lower())
    return [w[:100] for w, _ in Counter(words).most_common(count)]


def language(accept: str | None) -> str:
    """`fr` when the client prefers it to `en`; `en` otherwise (the contract's default)."""
    best, best_q = "en", 0.0
    for part in (accept or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag.split("-")[0].lower() in ("en", "fr") and weight > best_q:
            best, best_q = tag.split("-")[0].lower(), weight
    return best


def assistant_answer(history: str, prompt: str, web_search: bool) -> tuple[list[str], list[dict]]:
    """A deterministic offline assistant: the text pieces of the reply and its sources."""
    digest = hashlib.sha256(f"{history}\x00{prompt}".encode()).digest()
    words = ["Start", "with", "the", "old", "town", "then", "take", "the", "tram", "uphill"]
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words[: 4 + digest[0] % 6])] + ["."]
    sources = [{"title": f"Source {i + 1}", "url": f"https://example.com/search/{digest[i:i + 4].hex()}",
                "snippet": "A guide to the city."} for i in range(1 + digest[1] % 2)] if web_search else []
    return pieces, sources


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
