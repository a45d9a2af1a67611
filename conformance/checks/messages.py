"""Messages: lifecycle and pagination."""

from __future__ import annotations

from .base import Context, expect, expect_status, requirement
from .conversations import expect_each_once, page_through


@requirement("MSG-001")
def created_message_reads_back(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    message = ctx.new_message(cid, f"hello {ctx.unique}")
    response = ctx.user1.get(f"/api/v1/messages/{message['id']}")
    expect_status(response, 200, "Reading a created message")
    body = response.json()
    expect((body.get("content"), body.get("conversation_id")) == (f"hello {ctx.unique}", cid),
           summary="The message differs from what was created",
           received=(body.get("content"), body.get("conversation_id")),
           documented=(f"hello {ctx.unique}", cid), response=response)
    response = ctx.user1.get(f"/api/v1/conversations/{cid}/messages")
    expect_status(response, 200, "Listing a conversation's messages")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [message["id"]], summary="The conversation does not list exactly its message",
           received=ids, documented=[message["id"]], response=response)


@requirement("MSG-002")
def update_changes_content_and_reactions(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    message = ctx.new_message(cid, "before")
    path = f"/api/v1/messages/{message['id']}"
    response = ctx.user1.patch(path, json={"content": f"after {ctx.unique}", "reactions": ["thumbs_up"]})
    expect_status(response, 200, "Updating a message")
    response = ctx.user1.get(path)
    expect_status(response, 200, "Reading an updated message")
    body = response.json()
    expect((body.get("content"), body.get("reactions")) == (f"after {ctx.unique}", ["thumbs_up"]),
           summary="The message update is not visible on the next read",
           received=(body.get("content"), body.get("reactions")),
           documented=(f"after {ctx.unique}", ["thumbs_up"]), response=response)


@requirement("MSG-003")
def deleted_message_answers_404(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    message = ctx.new_message(cid, "short-lived")
    path = f"/api/v1/messages/{message['id']}"
    expect_status(ctx.user1.delete(path), 204, "Deleting a message")
    expect_status(ctx.user1.get(path), 404, "Reading a deleted message")


@requirement("MSG-004")
def message_pagination_neither_loses_nor_repeats(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    originals = [ctx.new_message(cid, f"m{n} {ctx.unique}")["id"] for n in range(5)]
    seen, last = page_through(ctx, f"/api/v1/conversations/{cid}/messages", limit=2,
                              insert=lambda: ctx.new_message(cid, f"inserted {ctx.unique}"))
    expect_each_once(seen, originals, last, "messages")
