"""The frontend flow with openapi-python-client (docs/frontend.md includes this file).

Generated: openapi-python-client generate --path spec/openapi.yaml --output-path chat_api --meta none
Run: python flow_python.py BASE_URL (with the directory holding chat_api on PYTHONPATH).
"""

from __future__ import annotations

import json
import sys

from httpx_sse import connect_sse

from chat_api import AuthenticatedClient, Client
from chat_api.api.auth import create_token
from chat_api.api.conversations import create_conversation
from chat_api.api.messages import create_message, get_message
from chat_api.api.replies import create_reply
from chat_api.models import (ConversationCreate, HTTPValidationError, MessageCreate, Reply,
                             ReplyCompleted, ReplyDelta, ReplyRequest, ReplyStarted, Token,
                             TokenRequest)

# What each event's `data` parses into, by the event's name.
PAYLOADS = {"reply.started": ReplyStarted, "reply.delta": ReplyDelta,
            "reply.completed": ReplyCompleted}
FINAL = {"reply.completed", "reply.failed"}


def flow(base_url: str) -> dict:
    token = create_token.sync(client=Client(base_url=base_url),
                              body=TokenRequest(username="alice", password="alice-dev-password"))
    assert isinstance(token, Token), token
    api = AuthenticatedClient(base_url=base_url, token=token.access_token)

    conversation = create_conversation.sync(client=api, body=ConversationCreate(title="python"))
    message = create_message.sync(conversation.id, client=api,
                                  body=MessageCreate(content="I like tiles."))
    assert message is not None and message.content == "I like tiles."

    reply = create_reply.sync(conversation.id, client=api, body=ReplyRequest(content="And Porto?"))
    assert isinstance(reply, Reply), reply  # the JSON answer, typed

    # A streamed reply: the generated client's httpx client, read with httpx-sse.
    text, message_id, final = "", None, None
    body = ReplyRequest(content="What about Lisbon?", stream=True).to_dict()
    with connect_sse(api.get_httpx_client(), "POST",
                     f"/api/v1/conversations/{conversation.id}/replies", json=body) as source:
        for event in source.iter_sse():
            if event.event in PAYLOADS:
                data = PAYLOADS[event.event].from_dict(event.json())
                if isinstance(data, ReplyStarted):
                    message_id = data.message_id
                elif isinstance(data, ReplyDelta):
                    text += data.text
            if event.event in FINAL:
                final = event.event
                break
    assert final == "reply.completed", final

    stored = get_message.sync(message_id, client=api)
    assert stored.content == text, (stored.content, text)

    invalid = create_conversation.sync(client=api, body=ConversationCreate(title="x" * 1000))
    assert isinstance(invalid, HTTPValidationError), invalid
    item = invalid.detail[0]
    return {"first": reply.assistant_message.role.value, "text": text,
            "loc": [str(item.loc[0]), item.loc[1]]}


if __name__ == "__main__":
    print(json.dumps(flow(sys.argv[1])))
