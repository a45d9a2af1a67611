"""Fill a reference-server database with many conversations, for the list-latency measurement."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["add_conversations"]


def add_conversations(db: Path, username: str, count: int) -> None:
    """Give `username` `count` more conversations, in one transaction (seconds, not minutes)."""
    from reference_impl.store import Store

    store = Store(str(db), db.parent / "bench-files")
    try:
        user = store.accounts.user_named(username)
        if user is None:
            raise LookupError(f"no user {username!r} in {db}")
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        with store.transaction():
            for i in range(count):
                store.conversations.add({
                    "id": str(uuid.uuid4()), "user_id": user["id"], "title": f"Bench conversation {i}",
                    "status": "active", "chatbot_id": None, "model": None, "metadata": {},
                    "is_anonymized": 0, "mapping": {}, "created_at": now, "updated_at": now,
                })
    finally:
        store.close()
