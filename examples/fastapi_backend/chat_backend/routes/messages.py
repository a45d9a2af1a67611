"""Messages inside a conversation, threaded by `parent_id`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from .. import views
from ..addons import accepts
from ..deps import ConversationId, MessageId, StateDep, UserDep, own_conversation, own_message
from ..models import MessageCreate, MessageUpdate
from ..scalars import DateTime, UUIDStr
from ..store import State, anonymize, language, now, page
from .conversations import AcceptLanguage, Cursor, Limit, delete_message_data, store_message

router = APIRouter(prefix="/api/v1", tags=["messages"])


def parent_in(state: State, c: dict, parent_id: str | None) -> str | None:
    """A body naming a message that is not in this conversation conflicts with the server: 409."""
    if parent_id is not None:
        parent = state.messages.get(parent_id)
        if parent is None or parent["conversation_id"] != c["id"]:
            raise HTTPException(409, "Parent message not found in this conversation")
    return parent_id


@router.get("/conversations/{conversation_id}/messages", operation_id="listMessages")
def list_messages(state: StateDep, user: UserDep, conversation_id: ConversationId, response: Response,
                  limit: Limit = 20, cursor: Cursor = None, accept_language: AcceptLanguage = None,
                  before: Annotated[DateTime | None, Query()] = None,
                  parent_id: Annotated[UUIDStr | None, Query()] = None) -> dict:
    c = own_conversation(state, user, conversation_id)
    found = [m for m in views.messages_of(state, c["id"])
             if (before is None or _instant(m["created_at"]) < before)
             and (parent_id is None or m["parent_id"] == parent_id)]
    response.headers["Content-Language"] = language(accept_language)
    return page(found, limit, cursor, lambda m: views.message(state, m))


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@router.post("/conversations/{conversation_id}/messages", operation_id="createMessage", status_code=201,
             dependencies=[Depends(accepts("application/json"))])
def create_message(state: StateDep, user: UserDep, conversation_id: ConversationId,
                   body: MessageCreate) -> dict:
    c = own_conversation(state, user, conversation_id)
    m = store_message(state, c, body.role, body.content, parent_in(state, c, body.parent_id),
                      body.metadata, input_tokens=len(body.content.split()))
    return views.message(state, m)


@router.get("/messages/{message_id}", operation_id="getMessage")
def get_message(state: StateDep, user: UserDep, message_id: MessageId) -> dict:
    return views.message(state, own_message(state, user, message_id))


@router.patch("/messages/{message_id}", operation_id="updateMessage",
              dependencies=[Depends(accepts("application/json"))])
def update_message(state: StateDep, user: UserDep, message_id: MessageId, body: MessageUpdate) -> dict:
    m = own_message(state, user, message_id)
    changes = body.model_dump(include=body.model_fields_set)  # merge patch: only what was sent
    if "content" in changes:
        c = state.conversations[m["conversation_id"]]
        m["original"] = changes["content"] if c["is_anonymized"] else None
        if c["is_anonymized"]:
            changes["content"] = anonymize(changes["content"], c["mapping"])
    m.update(changes, updated_at=now())
    return views.message(state, m)


@router.delete("/messages/{message_id}", operation_id="deleteMessage", status_code=204)
def delete_message(state: StateDep, user: UserDep, message_id: MessageId) -> Response:
    m = own_message(state, user, message_id)
    for child in state.messages.values():  # replies move up to the deleted message's parent
        if child["parent_id"] == m["id"]:
            child["parent_id"] = m["parent_id"]
    delete_message_data(state, m["id"])
    marker = state.read_markers.get(m["conversation_id"])
    if marker is not None and marker["message_id"] == m["id"]:  # point at what is still there
        earlier = [x for x in views.messages_of(state, m["conversation_id"]) if x["seq"] < marker["seq"]]
        marker["message_id"] = earlier[-1]["id"] if earlier else None
    return Response(status_code=204)
