"""What every route needs: the state, the signed-in user, and the 404s of ownership."""

from __future__ import annotations

from typing import Annotated

import time

from fastapi import Depends, HTTPException, Path, Request, Security
from fastapi.security import APIKeyQuery, OAuth2PasswordBearer

from .scalars import UUIDStr
from .store import USERS, State

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")
# streamReplyEvents only: a browser's EventSource cannot send Authorization (createStreamTicket).
optional_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
stream_ticket = APIKeyQuery(name="ticket", scheme_name="StreamTicket", auto_error=False)


def get_state(request: Request) -> State:
    return request.app.state.store


StateDep = Annotated[State, Depends(get_state)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(state: StateDep, token: Annotated[str, Depends(oauth2)]) -> dict:
    username = state.tokens.get(token)
    if username is None:
        raise _unauthorized("Invalid or expired token")
    return USERS[username]


UserDep = Annotated[dict, Depends(current_user)]


def uuid_path(description: str):  # noqa: ANN201
    # UUIDStr lowercases: the contract's ids in capitals name the same resource.
    return Annotated[UUIDStr, Path(description=description)]


ConversationId = uuid_path("A conversation id.")
MessageId = uuid_path("A message id.")
AttachmentId = uuid_path("An attachment id.")
ProviderId = uuid_path("A provider id.")
ConfigId = uuid_path("A provider configuration id.")


def event_reader(state: StateDep, message_id: MessageId,
                 token: Annotated[str | None, Depends(optional_oauth2)],
                 ticket: Annotated[str | None, Security(stream_ticket)]) -> dict:
    """The bearer token's user or, without one, the user a stream ticket for this message was
    issued to (no other route reads `ticket`, so it opens nothing else)."""
    if token is not None or ticket is None:
        if token is None:
            raise _unauthorized("Not authenticated")
        return current_user(state, token)
    username, for_message, expiry = state.tickets.get(ticket, ("", "", 0.0))
    if not username or expiry < time.monotonic() or for_message != message_id:
        raise _unauthorized("Invalid or expired stream ticket")
    return USERS[username]
ShareId = Annotated[str, Path(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]{22,64}$")]


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


def own_conversation(state: State, user: dict, conversation_id: str) -> dict:
    """Another user's conversation is a 404, exactly as if it did not exist."""
    c = state.conversations.get(conversation_id)
    if c is None or c["owner"] != user["id"]:
        raise not_found("Conversation")
    return c


def own_message(state: State, user: dict, message_id: str) -> dict:
    m = state.messages.get(message_id)
    if m is None or state.conversations[m["conversation_id"]]["owner"] != user["id"]:
        raise not_found("Message")
    return m


def own_attachment(state: State, user: dict, attachment_id: str) -> dict:
    a = state.attachments.get(attachment_id)
    if a is None:
        raise not_found("Attachment")
    own_message(state, user, a["message_id"])
    return a
