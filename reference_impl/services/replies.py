"""Assistant replies: store the user's message, write the assistant's, account tokens and cost.

A reply is produced as the ordered list of events the contract documents (reply.started,
reply.sources, reply.delta..., reply.completed); the JSON answer and the SSE stream are two
views of the same events, which are stored so that any position can be replayed later.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .. import assistant
from ..errors import NotFound
from ..store import Store
from . import conversations, messages
from .common import ago, message_out, now

__all__ = ["Reply", "start", "finish", "fail", "fail_interrupted", "cost", "synthesize_events",
           "FINAL_EVENTS"]

FINAL_EVENTS = ("reply.completed", "reply.failed")
DELTA_MAX = 1000  # ReplyDelta.text maxLength: a longer piece is cut (tests compare)


@dataclass
class Reply:
    conversation_id: str
    user_message_id: str
    message_id: str
    model: str
    answer: assistant.Answer
    web_search: bool


def start(store: Store, user_id: str, conversation_id: str, body: dict[str, Any]) -> Reply:
    """Store the user's message and an empty assistant message (status `streaming`)."""
    with store.transaction():
        conv = conversations.owned(store, user_id, conversation_id)
        parent_id = body.get("parent_id")
        messages.check_parent(store, conversation_id, parent_id)
        if parent_id is None:
            newest = store.messages.newest(conversation_id)
            parent_id = newest["id"] if newest else None
        history = " ".join(store.messages.contents(conversation_id))
        model = body.get("model") or conv["model"] or assistant.DEFAULT_MODEL
        answer = assistant.answer(history, body["content"], bool(body.get("web_search")))
        user = messages.add(store, conv, role="user", content=body["content"],
                            parent_id=parent_id, status="sent",
                            input_tokens=assistant.count_tokens(body["content"]))
        bot = messages.add(store, conv, role="assistant", content="",
                           parent_id=user["id"], status="streaming", model=model,
                           input_tokens=answer.input_tokens)
    return Reply(conversation_id, user["id"], bot["id"], model, answer,
                 bool(body.get("web_search")))


def cost(store: Store, model: str, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    price = store.replies.price(model) or store.replies.price(assistant.DEFAULT_MODEL)
    if price is None:
        return {"amount": 0.0, "currency": "USD"}
    amount = (input_tokens * price["input_per_1k"] + output_tokens * price["output_per_1k"]) / 1000
    return {"amount": round(amount, 10), "currency": price["currency"]}


def usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens}


def started_data(reply: Reply) -> dict[str, Any]:
    return {"conversation_id": reply.conversation_id, "user_message_id": reply.user_message_id,
            "message_id": reply.message_id, "model": reply.model}


def finish(store: Store, reply: Reply) -> dict[str, Any]:
    """Store the completed assistant message; the reply.completed payload."""
    answer = reply.answer
    conv = store.conversations.by_id(reply.conversation_id)
    if conv is None:
        raise NotFound("Conversation not found")  # deleted while the reply was written
    with store.transaction():
        changes: dict[str, Any] = {"content": answer.text, "status": "completed",
                                   "output_tokens": answer.output_tokens, "updated_at": now()}
        if conv["is_anonymized"]:
            from .anonymize import anonymize
            mapping = dict(conv["mapping"])
            changes["content"] = anonymize(answer.text, mapping)
            changes["original"] = answer.text
            store.conversations.change(conv["id"], {"mapping": mapping})
        store.messages.change(reply.message_id, changes)
    row = store.messages.by_id(reply.message_id)
    return {"message": message_out(store, row),
            "usage": usage(answer.input_tokens, answer.output_tokens),
            "cost_estimate": cost(store, reply.model, answer.input_tokens, answer.output_tokens),
            "sources": answer.sources}


def fail(store: Store, reply: Reply) -> None:
    """Store the assistant message as `failed` (its text so far stays in the events)."""
    with store.transaction():
        store.messages.change(reply.message_id, {"status": "failed", "updated_at": now()})


def fail_interrupted(store: Store, stale: float) -> int:
    """End replies a stopped server left `streaming`: status `failed`, a final `reply.failed`.

    Run at start-up before any worker serves, so no job of this server can be running;
    otherwise a replay of such a reply would wait for a final event that never comes. On a
    database other hosts share, only the replies that no worker seen in the last `stale`
    seconds holds, untouched as long (the others are live, or recovery.py ends them).
    Returns how many were ended.
    """
    if store.shared:
        ids = store.leases.abandoned(time.time() - stale, ago(stale))
    else:
        ids = store.messages.streaming_ids()
    return sum(store.replies.end_failed(message_id, "The server stopped while the reply was written",
                                        now()) for message_id in ids)


def synthesize_events(store: Store, row: dict[str, Any]) -> list[tuple[str, str]]:
    """Events for an assistant message that has none stored (e.g. one loaded from fixtures)."""
    text = row["content"]
    pieces = [w if i == 0 else " " + w for i, w in enumerate(text.split(" ")) if w or i == 0]
    # A word may be longer than a delta may be (ReplyDelta.text maxLength): cut it too.
    pieces = [p[at:at + DELTA_MAX] for p in pieces for at in range(0, len(p), DELTA_MAX)]
    events = [("reply.started", {"conversation_id": row["conversation_id"],
                                 "user_message_id": row["parent_id"] or row["id"],
                                 "message_id": row["id"],
                                 "model": row["model"] or assistant.DEFAULT_MODEL})]
    events += [("reply.delta", {"text": p}) for p in pieces if p]
    model = row["model"] or assistant.DEFAULT_MODEL
    events.append(("reply.completed", {
        "message": message_out(store, row),
        "usage": usage(row["input_tokens"], row["output_tokens"]),
        "cost_estimate": cost(store, model, row["input_tokens"], row["output_tokens"]),
        "sources": []}))
    return [(e, json.dumps(d, separators=(",", ":"), ensure_ascii=False)) for e, d in events]
