"""Load fixtures/seed.yaml (or a recording: recorded_seed.py) into the store; idempotent
(fixed ids, existing rows kept)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from .assistant import count_tokens
from .auth import hash_password
from .services.shares import seed_snapshot
from .store import Store

__all__ = ["load", "read_seed"]


def read_seed(source: Path) -> dict[str, Any]:
    """A folder's seed.yaml, or a recording made by `chat-contract proxy --record`."""
    if source.is_file():
        from .recorded_seed import seed_from_recording
        return seed_from_recording(source)
    with open(source / "seed.yaml", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def fingerprint(source: Path) -> str:
    """The SHA-256 of the fixtures' files (a folder's, or a recording): the mock sessions'
    template on PostgreSQL is seeded once per fingerprint, by whichever host needs it first."""
    digest = hashlib.sha256()
    # What seeding reads, not what tools leave beside it (caches, dot files).
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file()
        and not any(part.startswith((".", "__")) for part in p.relative_to(source).parts))
    for path in files:
        digest.update(f"{path.relative_to(source) if path != source else path.name}\n"
                      f"{path.stat().st_size}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load(store: Store, folder: Path) -> list[dict[str, str]]:
    """Seed the store; the fixture users' logins and development passwords."""
    seed = read_seed(folder)
    users = {u["username"]: u["id"] for u in seed["users"]}
    with store.transaction():
        for u in seed["users"]:
            salt = hashlib.sha256(u["id"].encode()).digest()[:16]
            store.accounts.add_user({
                "id": u["id"], "username": u["username"], "display_name": u["display_name"],
                "salt": salt, "password_hash": hash_password(u["password"], salt),
                "dev_password": u["password"]})
        for p in seed.get("prices", []):
            store.replies.add_price(p)
        # Lists order by insertion (seq); inserting by creation time makes that order agree
        # with the fixtures' created_at, whatever order the file lists them in.
        for c in sorted(seed.get("conversations", []), key=lambda c: c["created_at"]):
            store.conversations.add({
                "id": c["id"], "user_id": users[c["owner"]], "title": c["title"],
                "status": c["status"], "chatbot_id": c.get("chatbot_id"),
                "model": c.get("model"), "metadata": c.get("metadata") or {},
                "is_anonymized": 0, "mapping": {}, "created_at": c["created_at"],
                "updated_at": c["messages"][-1]["created_at"] if c.get("messages")
                else c["created_at"]}, ignore=True)
            for m in c.get("messages", []):
                tokens = count_tokens(m["content"])
                store.messages.add({
                    "id": m["id"], "conversation_id": c["id"], "parent_id": m.get("parent"),
                    "role": m["role"], "content": m["content"], "original": None,
                    "status": "completed" if m["role"] == "assistant" else "sent",
                    "model": m.get("model"),
                    "input_tokens": tokens if m["role"] == "user" else 0,
                    "output_tokens": tokens if m["role"] == "assistant" else 0,
                    "reactions": [], "feedback": None, "metadata": {},
                    "created_at": m["created_at"], "updated_at": m["created_at"]}, ignore=True)
                for a in m.get("attachments", []):
                    data = (folder / a["file"]).read_bytes()
                    sha = hashlib.sha256(data).hexdigest()
                    store.write_blob(sha, data)
                    store.attachments.add({
                        "id": a["id"], "message_id": m["id"], "filename": a["filename"],
                        "content_type": a["content_type"], "size_bytes": len(data),
                        "sha256": sha, "created_at": m["created_at"]}, ignore=True)
        for p in seed.get("providers", []):
            store.providers.add({**p, "name_key": p["name"].casefold()}, ignore=True)
        for cfg in seed.get("provider_configs", []):
            store.providers.add_config({
                "id": cfg["id"], "user_id": users[cfg["owner"]],
                "provider_id": cfg["provider_id"], "api_key": cfg["api_key"],
                "default_model": cfg.get("default_model"), "created_at": cfg["created_at"],
                "updated_at": cfg["created_at"]}, ignore=True)
        for s in seed.get("shares", []):
            if store.shares.by_id(s["id"]):
                continue  # seeded before (loads are idempotent)
            conv = store.conversations.by_id(s["conversation"])
            snapshot_id, count = seed_snapshot(store, conv["id"])
            store.shares.add({
                "id": s["id"], "conversation_id": conv["id"], "user_id": conv["user_id"],
                "title": conv["title"], "snapshot_id": snapshot_id, "message_count": count,
                "created_at": s["created_at"], "snapshot_at": s["created_at"],
                "expires_at": s.get("expires_at")})
    return [{"username": u["username"], "password": u["password"]} for u in seed["users"]]
