"""Share links: a snapshot of a conversation, its owner's view and the public view."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from .. import views
from ..addons import accepts
from ..deps import ConversationId, ShareId, StateDep, UserDep, not_found, own_conversation
from ..models import ShareUpsert
from ..scalars import UUIDStr
from ..store import State, language, new_id, now, page
from .conversations import AcceptLanguage, Cursor, Limit

router = APIRouter(prefix="/api/v1", tags=["shares"])


def _snapshot(state: State, conversation_id: str) -> list[dict]:
    """The messages as the public may see them: no metadata, feedback or original text."""
    return [{"id": m["id"], "parent_id": m["parent_id"], "role": m["role"], "content": m["content"],
             "created_at": m["created_at"],
             "attachments": [dict(a) for a in state.attachments.values() if a["message_id"] == m["id"]]}
            for m in views.messages_of(state, conversation_id)]


def _expired(s: dict) -> bool:
    return s["expires_at"] is not None and \
        datetime.fromisoformat(s["expires_at"].replace("Z", "+00:00")) <= datetime.now(timezone.utc)


def _live(state: State, share_id: str) -> dict:
    """A share the public (or a cloner) may read: unknown, revoked and expired ones are 404."""
    s = state.shares.get(share_id)
    if s is None or _expired(s):
        raise not_found("Share")
    return s


@router.put("/conversations/{conversation_id}/share", operation_id="upsertConversationShare",
            dependencies=[Depends(accepts("application/json"))], responses={201: {}})
def upsert_conversation_share(state: StateDep, user: UserDep, conversation_id: ConversationId,
                              response: Response,
                              body: Annotated[ShareUpsert | None, Body()] = None) -> dict:
    c = own_conversation(state, user, conversation_id)
    days = body.expiry_days if body is not None else None
    stamp = now()
    expires = None if days is None else (datetime.now(timezone.utc) + timedelta(days=days)) \
        .isoformat(timespec="microseconds").replace("+00:00", "Z")
    s = next((s for s in state.shares.values() if s["conversation_id"] == c["id"]), None)
    if s is None:  # the first call creates the link; later calls keep its id
        share_id = secrets.token_urlsafe(16)  # 128 random bits, URL-safe
        s = state.shares[share_id] = {"id": share_id, "owner": user["id"], "conversation_id": c["id"],
                                      "seq": state.next_seq(), "created_at": stamp}
        response.status_code = 201
    s.update(title=c["title"], snapshot_at=stamp, expires_at=expires,
             snapshot=_snapshot(state, c["id"]))
    return views.share(s)


@router.get("/shares", operation_id="listShares")
def list_shares(state: StateDep, user: UserDep, limit: Limit = 20, cursor: Cursor = None,
                conversation_id: Annotated[UUIDStr | None, Query()] = None,
                q: Annotated[str | None, Query(min_length=1, max_length=200)] = None) -> dict:
    found = [s for s in state.shares.values() if s["owner"] == user["id"]
             and (conversation_id is None or s["conversation_id"] == conversation_id)
             and (q is None or q.lower() in (s["title"] or "").lower())]
    return page(found, limit, cursor, views.share, newest_first=True)


@router.get("/shares/{share_id}", operation_id="getShare")
def get_share(state: StateDep, user: UserDep, share_id: ShareId) -> dict:
    s = state.shares.get(share_id)
    if s is None or s["owner"] != user["id"]:
        raise not_found("Share")
    return views.share(s)


@router.delete("/shares/{share_id}", operation_id="deleteShare", status_code=204)
def delete_share(state: StateDep, user: UserDep, share_id: ShareId) -> Response:
    s = state.shares.get(share_id)
    if s is None or s["owner"] != user["id"]:
        raise not_found("Share")
    del state.shares[share_id]
    return Response(status_code=204)


@router.post("/shares/{share_id}/clone", operation_id="cloneShare", status_code=201)
def clone_share(state: StateDep, user: UserDep, share_id: ShareId) -> dict:
    s = _live(state, share_id)
    stamp = now()
    c = {"id": new_id(), "owner": user["id"], "seq": state.next_seq(), "title": s["title"],
         "status": "active", "chatbot_id": None, "model": None, "metadata": {}, "is_anonymized": False,
         "mapping": {}, "created_at": stamp, "updated_at": stamp}
    state.conversations[c["id"]] = c
    ids: dict[str, str] = {}
    for old in s["snapshot"]:  # threading kept: parents come before their replies
        m = {"id": new_id(), "conversation_id": c["id"], "seq": state.next_seq(),
             "parent_id": ids.get(old["parent_id"]), "role": old["role"], "content": old["content"],
             "original": None, "status": "sent" if old["role"] == "user" else "completed",
             "model": None, "input_tokens": 0, "output_tokens": 0, "reactions": [], "feedback": None,
             "metadata": {}, "created_at": stamp, "updated_at": stamp}
        ids[old["id"]] = m["id"]
        state.messages[m["id"]] = m
        for a in old["attachments"]:
            if a["id"] in state.blobs:
                copy = dict(a, id=new_id(), message_id=m["id"], seq=state.next_seq(), created_at=stamp)
                state.attachments[copy["id"]] = copy
                state.blobs[copy["id"]] = state.blobs[a["id"]]
    return views.conversation(state, c)


@router.get("/public/shares/{share_id}", operation_id="getPublicShare")
def get_public_share(state: StateDep, share_id: ShareId, response: Response,
                     accept_language: AcceptLanguage = None) -> dict:
    response.headers["Content-Language"] = language(accept_language)
    return views.public_share(_live(state, share_id))
