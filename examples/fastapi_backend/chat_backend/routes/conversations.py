"""Conversations: list and search, create, read, update, delete (one or many), title, summary, read marker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Response

from .. import views
from ..addons import accepts
from ..deps import ConversationId, StateDep, UserDep, own_conversation
from ..models import ConversationCreate, ConversationUpdate, ReadMarkerUpdate, TitleRequest
from ..scalars import QueryInt, UUIDStr
from ..store import State, anonymize, key_topics, language, new_id, now, page

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
JSON = [Depends(accepts("application/json"))]
Limit = Annotated[QueryInt, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]
AcceptLanguage = Annotated[str | None, Header(max_length=200)]


def _match(state: State, c: dict, q: str) -> tuple[bool, dict | None]:
    needle = q.lower()
    for m in views.messages_of(state, c["id"]):
        if needle in m["content"].lower():
            return True, {"message_id": m["id"], "excerpt": m["content"][:200]}
    return needle in (c["title"] or "").lower(), None


@router.get("", operation_id="listConversations")
def list_conversations(state: StateDep, user: UserDep, limit: Limit = 20, cursor: Cursor = None,
                       status: Annotated[str | None, Query(pattern="^(active|archived)$")] = None,
                       chatbot_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                       q: Annotated[str | None, Query(min_length=1, max_length=200)] = None) -> dict:
    found, matches = [], {}
    for c in state.conversations.values():
        if c["owner"] != user["id"] or (status and c["status"] != status) \
                or (chatbot_id and c["chatbot_id"] != chatbot_id):
            continue
        if q is not None:
            hit, match = _match(state, c, q)
            if not hit:
                continue
            matches[c["id"]] = match
        found.append(c)
    return page(found, limit, cursor, lambda c: views.conversation(state, c, matches.get(c["id"])),
                newest_first=True)


@router.post("", operation_id="createConversation", status_code=201, dependencies=JSON)
def create_conversation(state: StateDep, user: UserDep, body: ConversationCreate) -> dict:
    stamp = now()
    c = {"id": new_id(), "owner": user["id"], "seq": state.next_seq(), "title": body.title,
         "status": "active", "chatbot_id": body.chatbot_id, "model": body.model,
         "metadata": body.metadata, "is_anonymized": body.is_anonymized, "mapping": {},
         "created_at": stamp, "updated_at": stamp}
    state.conversations[c["id"]] = c
    return views.conversation(state, c)


def delete_conversation_data(state: State, conversation_id: str) -> None:
    """A conversation goes with its messages, attachments, events, read marker and share links."""
    state.conversations.pop(conversation_id)
    state.read_markers.pop(conversation_id, None)
    for mid in [m["id"] for m in views.messages_of(state, conversation_id)]:
        delete_message_data(state, mid)
    for sid in [s["id"] for s in state.shares.values() if s["conversation_id"] == conversation_id]:
        del state.shares[sid]


def delete_message_data(state: State, message_id: str) -> None:
    state.messages.pop(message_id)
    state.events.pop(message_id, None)
    for aid in [a["id"] for a in state.attachments.values() if a["message_id"] == message_id]:
        del state.attachments[aid]
        state.blobs.pop(aid, None)


@router.delete("", operation_id="deleteConversations")
def delete_conversations(state: StateDep, user: UserDep,
                         conversation_id: Annotated[list[UUIDStr], Query(min_length=1, max_length=100)],
                         chatbot_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None
                         ) -> dict:
    deleted, missing = [], []
    for cid in dict.fromkeys(conversation_id):
        c = state.conversations.get(cid)
        if c is None or c["owner"] != user["id"] or (chatbot_id and c["chatbot_id"] != chatbot_id):
            missing.append(cid)
            continue
        delete_conversation_data(state, cid)
        deleted.append(cid)
    return {"deleted_ids": deleted, "not_found_ids": missing}


@router.get("/{conversation_id}", operation_id="getConversation")
def get_conversation(state: StateDep, user: UserDep, conversation_id: ConversationId) -> dict:
    return views.conversation(state, own_conversation(state, user, conversation_id))


@router.patch("/{conversation_id}", operation_id="updateConversation", dependencies=JSON)
def update_conversation(state: StateDep, user: UserDep, conversation_id: ConversationId,
                        body: ConversationUpdate) -> dict:
    c = own_conversation(state, user, conversation_id)
    c.update(body.model_dump(include=body.model_fields_set), updated_at=now())  # merge patch
    return views.conversation(state, c)


@router.delete("/{conversation_id}", operation_id="deleteConversation", status_code=204)
def delete_conversation(state: StateDep, user: UserDep, conversation_id: ConversationId) -> Response:
    delete_conversation_data(state, own_conversation(state, user, conversation_id)["id"])
    return Response(status_code=204)


def _title(topics: list[str], lang: str) -> str:
    if not topics:
        return "Nouvelle conversation" if lang == "fr" else "New conversation"
    joiner = " et " if lang == "fr" else " and "
    words = [topics[0].capitalize(), *topics[1:]]
    return (words[0] if len(words) == 1 else ", ".join(words[:-1]) + joiner + words[-1])[:200]


@router.post("/{conversation_id}/title", operation_id="generateConversationTitle", dependencies=JSON)
def generate_conversation_title(state: StateDep, user: UserDep, conversation_id: ConversationId,
                                response: Response, accept_language: AcceptLanguage = None,
                                body: Annotated[TitleRequest | None, Body()] = None) -> dict:
    c = own_conversation(state, user, conversation_id)
    text = " ".join(m["content"] for m in views.messages_of(state, c["id"]))
    if not text and body is not None and body.message:
        text = body.message
    lang = language(accept_language)
    c.update(title=_title(key_topics(text, 3), lang), updated_at=now())
    response.headers["Content-Language"] = lang
    return views.conversation(state, c)


@router.get("/{conversation_id}/summary", operation_id="getConversationSummary")
def get_conversation_summary(state: StateDep, user: UserDep, conversation_id: ConversationId,
                             response: Response, accept_language: AcceptLanguage = None,
                             max_length: Annotated[QueryInt, Query(ge=20, le=2000)] = 500) -> dict:
    c = own_conversation(state, user, conversation_id)
    history = views.messages_of(state, c["id"])
    topics = key_topics(" ".join(m["content"] for m in history), 5)
    lang = language(accept_language)
    n = len(history)
    if lang == "fr":
        text = f"{n} message{'s' if n > 1 else ''}" + (f" sur {', '.join(topics)}" if topics else "")
    else:
        text = f"{n} message{'s' if n != 1 else ''}" + (f" about {', '.join(topics)}" if topics else "")
    response.headers["Content-Language"] = lang
    return {"conversation_id": c["id"], "summary": (text + ".")[:max_length], "key_topics": topics,
            "message_count": n, "first_message_at": history[0]["created_at"] if history else None,
            "last_message_at": history[-1]["created_at"] if history else None}


@router.post("/{conversation_id}/read", operation_id="markConversationRead", dependencies=JSON)
def mark_conversation_read(state: StateDep, user: UserDep, conversation_id: ConversationId,
                           body: Annotated[ReadMarkerUpdate | None, Body()] = None) -> dict:
    c = own_conversation(state, user, conversation_id)
    history = views.messages_of(state, c["id"])
    target = history[-1] if history else None
    if body is not None and body.message_id is not None:
        target = state.messages.get(body.message_id)
        if target is None or target["conversation_id"] != c["id"]:
            raise HTTPException(409, "Message not found in this conversation")
    marker = state.read_markers.get(c["id"])
    if target is not None and (marker is None or target["seq"] > marker["seq"]):  # never backwards
        marker = state.read_markers[c["id"]] = {"message_id": target["id"], "seq": target["seq"],
                                                "read_at": now()}
    return {"conversation_id": c["id"], "last_read_message_id": marker["message_id"] if marker else None,
            "last_read_at": marker["read_at"] if marker else None, "unread_count": views.unread(state, c)}


def store_message(state: State, c: dict, role: str, content: str, parent_id: str | None,
                  metadata: dict | None = None, model: str | None = None, status: str = "sent",
                  input_tokens: int = 0, output_tokens: int = 0) -> dict:
    """A new message; in an anonymised conversation its personal data becomes placeholders."""
    original = None
    if c["is_anonymized"]:
        original, content = content, anonymize(content, c["mapping"])
    stamp = now()
    m = {"id": new_id(), "conversation_id": c["id"], "seq": state.next_seq(), "parent_id": parent_id,
         "role": role, "content": content, "original": original, "status": status, "model": model,
         "input_tokens": input_tokens, "output_tokens": output_tokens, "reactions": [],
         "feedback": None, "metadata": metadata or {}, "created_at": stamp, "updated_at": stamp}
    state.messages[m["id"]] = m
    c["updated_at"] = stamp
    return m
