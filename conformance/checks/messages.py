"""Messages: lifecycle and pagination."""

from __future__ import annotations

from ..client import Response
from .base import Context, expect, expect_status, requirement
from .conversations import expect_each_once, page_through
from ..traceability import resolve
from .times import parse_time


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


# ---- Promises the contract's descriptions make (traced in conformance/traces.yaml) --------------

def _listed(ctx: Context, cid: str, **params: str) -> tuple[list[str], Response]:
    response = ctx.user1.get(f"/api/v1/conversations/{cid}/messages", params=params)
    expect_status(response, 200, f"Listing messages with {params}")
    return [item["id"] for item in response.json().get("items", [])], response


@requirement("MSG-005")
def before_and_parent_filters(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    root = ctx.new_message(cid, "root")
    replies = [ctx.user1.post(f"/api/v1/conversations/{cid}/messages",
                              json={"content": f"reply {n}", "parent_id": root["id"]}) for n in range(2)]
    for response in replies:
        expect_status(response, 201, "Creating a reply")
    created = [root] + [r.json() for r in replies]
    ids, response = _listed(ctx, cid, parent_id=root["id"])
    expect(ids == [m["id"] for m in created[1:]], summary="parent_id does not keep exactly the direct replies",
           received=ids, documented=[m["id"] for m in created[1:]], response=response)
    instant = created[1]["created_at"]
    cut = parse_time(instant, "created_at", replies[0])
    expected = [m["id"] for m in created if parse_time(m["created_at"], "created_at") < cut]
    ids, response = _listed(ctx, cid, before=instant)
    expect(ids == expected, summary="before does not keep exactly the messages created strictly before it",
           received=ids, documented=expected, response=response)


@requirement("MSG-006")
def message_update_leaves_absent_fields_alone(ctx: Context) -> None:
    path = f"/api/v1/messages/{ctx.new_message(ctx.new_conversation()['id'], 'merge me')['id']}"
    full = {"reactions": ["thumbs_up"], "metadata": {"k": "v"}, "feedback": {"rating": "up", "comment": None}}
    expect_status(ctx.user1.patch(path, json=full), 200, "Updating a message")
    for body, expected in (({"content": f"edited {ctx.unique}"}, {**full, "content": f"edited {ctx.unique}"}),
                           ({"feedback": None}, {**full, "content": f"edited {ctx.unique}", "feedback": None})):
        expect_status(ctx.user1.patch(path, json=body), 200, "Updating a message")
        response = ctx.user1.get(path)
        expect_status(response, 200, "Reading an updated message")
        got = {name: response.json().get(name) for name in expected}
        if isinstance(got["feedback"], dict):
            got["feedback"] = {"comment": None, **got["feedback"]}
        expect(got == expected, summary=f"PATCH {body} changed fields it did not name (or kept feedback)",
               received=got, documented=expected, response=response)


@requirement("MSG-007")
def deleting_a_message_reattaches_its_replies(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    first = ctx.new_message(cid, "first")
    chain = [first]
    for n in range(2):
        response = ctx.user1.post(f"/api/v1/conversations/{cid}/messages",
                                  json={"content": f"chain {n}", "parent_id": chain[-1]["id"]})
        expect_status(response, 201, "Creating a reply")
        chain.append(response.json())
    middle, last = chain[1], chain[2]
    attachment = None
    if "createAttachment" not in ctx.excluded_operations:
        response = ctx.user1.post(f"/api/v1/messages/{middle['id']}/attachments",
                                  files={"file": ("a.txt", b"x", "text/plain")})
        expect_status(response, 201, "Uploading an attachment")
        attachment = response.json()["id"]
    expect_status(ctx.user1.delete(f"/api/v1/messages/{middle['id']}"), 204, "Deleting a message with a reply")
    response = ctx.user1.get(f"/api/v1/messages/{last['id']}")
    expect_status(response, 200, "Reading the deleted message's reply")
    expect(response.json().get("parent_id") == first["id"],
           summary="A reply to a deleted message is not re-attached to its parent",
           received=response.json().get("parent_id"), documented=first["id"], response=response)
    if attachment is not None:
        expect_status(ctx.user1.get(f"/api/v1/attachments/{attachment}"), 404,
                      "Reading a deleted message's attachment")


def _long_text(length: int, salt: str) -> str:
    """`length` characters (code points) of mixed scripts, emoji, tabs, CRLF and quotes."""
    piece = f"{salt} Zürich «東京» 🙂 \"quoted\" \\ back\tslash\r\nline "
    return (piece * (length // len(piece) + 1))[:length]


def _max_length(ctx: Context, operation_id: str, field: str) -> int:
    for item in ctx.spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                schema = resolve(operation["requestBody"]["content"]["application/json"]["schema"], ctx.spec)
                return int(resolve(schema["properties"][field], ctx.spec)["maxLength"])
    raise KeyError(operation_id)


@requirement("MSG-008")
def text_round_trips_at_maximum_length(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    text = _long_text(_max_length(ctx, "createMessage", "content"), ctx.unique)
    message = ctx.new_message(cid, text)
    path = f"/api/v1/messages/{message['id']}"
    edited = _long_text(_max_length(ctx, "updateMessage", "content"), f"edit {ctx.unique}")
    for step, expected in (("created", text), ("updated", edited)):
        if step == "updated":
            expect_status(ctx.user1.patch(path, json={"content": edited}), 200, "Updating a message")
        response = ctx.user1.get(path)
        expect_status(response, 200, f"Reading a {step} message")
        got = response.json().get("content")
        expect(got == expected, summary=f"A {step} message's content does not read back as sent",
               received=f"{len(got) if isinstance(got, str) else got!r} characters, first difference at "
                        f"{next((n for n, (a, b) in enumerate(zip(got or '', expected)) if a != b), min(len(got or ''), len(expected)))}",
               documented=f"{len(expected)} characters, exactly as sent", response=response)
