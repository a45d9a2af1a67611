"""Assistant replies: one JSON document, or Server-Sent Events stored so they can be replayed."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .. import views
from ..addons import accepts
from ..deps import (ConversationId, MessageId, StateDep, UserDep, event_reader, own_conversation,
                    own_message)
from ..models import ReplyRequest
from ..store import DEFAULT_MODEL, TICKET_LIFETIME, State, assistant_answer
from .conversations import store_message
from .messages import parent_in

router = APIRouter(prefix="/api/v1", tags=["replies"])
PRICE_PER_TOKEN = 0.0000015  # USD, the built-in model's made-up price


def _frame(event: str, position: int, data: dict) -> str:
    return f"event: {event}\nid: {position}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _stream(frames: list[str]):  # noqa: ANN202
    for frame in frames:
        yield frame
        await asyncio.sleep(0)  # let each event go out on its own


@router.post("/conversations/{conversation_id}/replies", operation_id="createReply", status_code=201,
             dependencies=[Depends(accepts("application/json"))],
             responses={201: {"content": {"text/event-stream": {}}}})
def create_reply(state: StateDep, user: UserDep, conversation_id: ConversationId, body: ReplyRequest):  # noqa: ANN201
    c = own_conversation(state, user, conversation_id)
    earlier = views.messages_of(state, c["id"])
    history = " ".join(m["content"] for m in earlier)
    # The contract: the user's message answers `parent_id`, by default the newest message.
    parent = parent_in(state, c, body.parent_id) if body.parent_id is not None else (
        earlier[-1]["id"] if earlier else None)
    asked = store_message(state, c, "user", body.content, parent,
                          input_tokens=len(body.content.split()))
    model = body.model or c["model"] or DEFAULT_MODEL
    pieces, sources = assistant_answer(history, body.content, body.web_search)
    text = "".join(pieces)
    usage = {"input_tokens": len((history + " " + body.content).split()), "output_tokens": len(pieces)}
    usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    cost = {"amount": round(usage["total_tokens"] * PRICE_PER_TOKEN, 10), "currency": "USD"}
    reply = store_message(state, c, "assistant", text, asked["id"], model=model, status="completed",
                          input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
    # Every event is stored, so a client that disconnects can replay with Last-Event-ID.
    events = [("reply.started", {"conversation_id": c["id"], "user_message_id": asked["id"],
                                 "message_id": reply["id"], "model": model})]
    if body.web_search:
        events.append(("reply.sources", {"sources": sources}))
    events += [("reply.delta", {"text": piece}) for piece in pieces]
    events.append(("reply.completed", {"message": views.message(state, reply), "usage": usage,
                                       "cost_estimate": cost, "sources": sources}))
    state.events[reply["id"]] = [_frame(name, i, data) for i, (name, data) in enumerate(events)]
    if body.stream:
        return StreamingResponse(_stream(state.events[reply["id"]]), status_code=201,
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    return JSONResponse({"conversation_id": c["id"], "user_message": views.message(state, asked),
                         "assistant_message": views.message(state, reply), "usage": usage,
                         "cost_estimate": cost, "sources": sources}, status_code=201)


def _reply(state: State, user: dict, message_id: str) -> dict:
    m = own_message(state, user, message_id)
    if m["role"] != "assistant":
        raise HTTPException(404, "This message is not an assistant reply")
    return m


@router.get("/messages/{message_id}/events", operation_id="streamReplyEvents",
            responses={200: {"content": {"text/event-stream": {}}}, 204: {"description": "No more events"}})
def stream_reply_events(state: StateDep, user: Annotated[dict, Depends(event_reader)],
                        message_id: MessageId,
                        last_event_id: Annotated[str | None, Header(pattern=r"^[0-9]{1,9}$",
                                                                     max_length=9)] = None):  # noqa: ANN201
    frames = state.events.get(_reply(state, user, message_id)["id"])
    if frames is None:
        raise HTTPException(404, "Reply not found")
    start = 0 if last_event_id is None else int(last_event_id) + 1
    if start >= len(frames):
        # The client has the final event: 204 is what stops an EventSource reconnecting.
        return Response(status_code=204)
    return StreamingResponse(_stream(frames[start:]), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


@router.post("/messages/{message_id}/stream-tickets", operation_id="createStreamTicket",
             status_code=201)
def create_stream_ticket(state: StateDep, user: UserDep, message_id: MessageId, response: Response) -> dict:
    m = _reply(state, user, message_id)
    response.headers["Cache-Control"] = "no-store"  # a ticket is a credential, as the token is
    return {"ticket": state.issue_ticket(user["username"], m["id"]), "expires_in": TICKET_LIFETIME}
