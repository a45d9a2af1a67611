"""Records shaped as the contract's response schemas."""

from __future__ import annotations

from typing import Any

from .store import State


def attachment(a: dict) -> dict[str, Any]:
    return {k: a[k] for k in ("id", "message_id", "filename", "content_type", "size_bytes", "sha256",
                              "created_at")}


def message(state: State, m: dict) -> dict[str, Any]:
    files = sorted((a for a in state.attachments.values() if a["message_id"] == m["id"]),
                   key=lambda a: a["seq"])
    return {"id": m["id"], "conversation_id": m["conversation_id"], "parent_id": m["parent_id"],
            "role": m["role"], "content": m["content"], "deanonymized_content": m["original"],
            "status": m["status"], "model": m["model"], "input_tokens": m["input_tokens"],
            "output_tokens": m["output_tokens"], "reactions": m["reactions"],
            "feedback": m["feedback"], "metadata": m["metadata"],
            "attachments": [attachment(a) for a in files[:100]],
            "created_at": m["created_at"], "updated_at": m["updated_at"]}


def messages_of(state: State, conversation_id: str) -> list[dict]:
    return sorted((m for m in state.messages.values() if m["conversation_id"] == conversation_id),
                  key=lambda m: m["seq"])


def unread(state: State, c: dict) -> int:
    marker = state.read_markers.get(c["id"])
    after = marker["seq"] if marker else 0
    return sum(1 for m in messages_of(state, c["id"]) if m["seq"] > after)


def conversation(state: State, c: dict, match: dict | None = None) -> dict[str, Any]:
    history = messages_of(state, c["id"])
    last = history[-1] if history else None
    return {"id": c["id"], "title": c["title"], "status": c["status"], "chatbot_id": c["chatbot_id"],
            "model": c["model"], "metadata": c["metadata"], "is_anonymized": c["is_anonymized"],
            "deanonymization_mapping": c["mapping"], "created_at": c["created_at"],
            "updated_at": c["updated_at"], "last_message_at": last["created_at"] if last else None,
            "last_message_preview": last["content"][:200] if last else None,
            "unread_count": unread(state, c), "match": match}


def provider(p: dict) -> dict[str, Any]:
    return {k: p[k] for k in ("id", "name", "api_endpoint", "models", "created_at")}


def provider_config(c: dict) -> dict[str, Any]:
    # Only the hint: the key itself is write-only and never leaves the server.
    return {"id": c["id"], "provider_id": c["provider_id"], "api_key_hint": "…" + c["api_key"][-4:],
            "default_model": c["default_model"], "created_at": c["created_at"],
            "updated_at": c["updated_at"]}


def share(s: dict) -> dict[str, Any]:
    return {"id": s["id"], "conversation_id": s["conversation_id"], "title": s["title"],
            "public_path": f"/api/v1/public/shares/{s['id']}", "created_at": s["created_at"],
            "snapshot_at": s["snapshot_at"], "expires_at": s["expires_at"]}


def public_share(s: dict) -> dict[str, Any]:
    messages = [{"id": m["id"], "parent_id": m["parent_id"], "role": m["role"],
                 "content": m["content"], "created_at": m["created_at"],
                 "attachments": [{k: a[k] for k in ("id", "filename", "content_type", "size_bytes")}
                                 for a in m["attachments"]]}
                for m in s["snapshot"]]
    return {"id": s["id"], "title": s["title"], "snapshot_at": s["snapshot_at"],
            "expires_at": s["expires_at"], "messages": messages}
