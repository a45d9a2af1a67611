"""Errors: the strict FastAPI 422 shape, loc naming the invalid field, malformed JSON, 415, and
409 for a body naming a missing or foreign message."""

from __future__ import annotations

import uuid
from typing import Any

from ..client import Response
from ..errors import RequirementFailure
from ..validation_errors import shape_problems
from .base import Context, expect, expect_status, requirement


def _probes(ctx: Context) -> list[tuple[str, str, str, dict[str, Any], list[Any]]]:
    """(operationId, method, path, request kwargs, expected loc) with exactly one invalid input each."""
    cid = ctx.new_conversation()["id"]
    return [
        ("createConversation", "POST", "/api/v1/conversations", {"json": {"title": 12345}}, ["body", "title"]),
        ("updateConversation", "PATCH", f"/api/v1/conversations/{cid}", {"json": {"status": "bogus"}},
         ["body", "status"]),
        ("listConversations", "GET", "/api/v1/conversations", {"params": {"limit": 0}}, ["query", "limit"]),
        ("createMessage", "POST", f"/api/v1/conversations/{cid}/messages", {"json": {"role": "user"}},
         ["body", "content"]),
        ("createReply", "POST", f"/api/v1/conversations/{cid}/replies",
         {"json": {"content": "hi", "stream": "sometimes"}}, ["body", "stream"]),
        ("deleteConversations", "DELETE", "/api/v1/conversations",
         {"params": {"conversation_id": ["not-a-uuid"]}}, ["query", "conversation_id", 0]),
        ("getConversation", "GET", "/api/v1/conversations/not-a-uuid", {}, ["path", "conversation_id"]),
    ]


def _expect_422(response: Response, what: str, spec: dict[str, Any] | None = None) -> list[dict]:
    problems = shape_problems(response.status, response.content_type, response.raw.content, spec)
    if problems:
        raise RequirementFailure(summary=f"{what}: the validation error is not FastAPI-shaped",
                                 received="; ".join(problems), documented='422 application/json '
                                 '{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}',
                                 exchange=response.exchange)
    return response.json()["detail"]


def _names(loc: list[Any], expected: list[Any]) -> bool:
    tail = expected[1:]
    return loc[0] == expected[0] and list(loc[len(loc) - len(tail):]) == tail


@requirement("ERR-001")
def validation_errors_are_fastapi_shaped(ctx: Context) -> None:
    # The Schemathesis layer applies the same check to every 422 it provokes; this probe makes
    # sure at least one 422 is judged even when a profile generates no invalid data.
    response = ctx.user1.post("/api/v1/conversations", json={"title": 12345})
    _expect_422(response, "createConversation with a wrong field type", ctx.spec)


@requirement("ERR-002")
def loc_names_the_invalid_field(ctx: Context) -> None:
    for operation_id, method, path, kwargs, expected in _probes(ctx):
        response = ctx.user1.request(method, path, **kwargs)
        detail = _expect_422(response, operation_id, ctx.spec)
        locs = [item["loc"] for item in detail]
        if not any(_names(loc, expected) for loc in locs):
            raise RequirementFailure(summary=f"{operation_id}: loc does not name the invalid input",
                                     received=locs, documented=expected, exchange=response.exchange)


@requirement("ERR-003")
def malformed_json_names_an_offset(ctx: Context) -> None:
    response = ctx.user1.post("/api/v1/conversations", content=b'{"title": ',
                              headers={"Content-Type": "application/json"})
    detail = _expect_422(response, "createConversation with malformed JSON", ctx.spec)
    loc = detail[0]["loc"]
    expect(len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int),
           summary="Malformed JSON is not located by character offset", received=loc,
           documented=["body", "<offset>"], response=response)


@requirement("ERR-004")
def wrong_media_type_answers_415(ctx: Context) -> None:
    response = ctx.user1.post("/api/v1/conversations", content=b"title=x",
                              headers={"Content-Type": "text/plain"})
    expect_status(response, 415, "Sending text/plain to a JSON operation")
    body = response.json()
    expect(isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"] != "",
           summary="The 415 body is not {detail: <message>}", received=body,
           documented={"detail": "<human-readable>"}, response=response)


def expect_409(response: Response, what: str, secret: str | None = None) -> None:
    """409 {detail: <message>}, revealing nothing of the resource the body named."""
    expect_status(response, 409, what)
    body = response.json()
    expect(isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"] != "",
           summary=f"{what}: the 409 body is not {{detail: <message>}}", received=response.raw.text[:300],
           documented={"detail": "<human-readable>"}, response=response)
    expect(secret is None or secret not in response.raw.text,
           summary=f"{what}: the 409 reveals another user's message", received=response.raw.text[:300],
           documented="nothing of the named resource", response=response)


@requirement("ERR-005")
def body_naming_a_missing_message_answers_409(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    kept = ctx.new_message(cid, f"kept {ctx.unique}")
    elsewhere = ctx.new_message(ctx.new_conversation()["id"], f"elsewhere {ctx.unique}")
    secret = f"private-{ctx.unique}"
    foreign = ctx.new_message(ctx.new_conversation(client=ctx.user2)["id"], secret, client=ctx.user2)
    named = [("a missing message", str(uuid.uuid4())),
             ("a message of another conversation", elsewhere["id"]),
             ("another user's message", foreign["id"])]
    base = f"/api/v1/conversations/{cid}"
    for what, message_id in named:
        expect_409(ctx.user1.post(f"{base}/messages", json={"content": "orphan", "parent_id": message_id}),
                   f"createMessage with parent_id naming {what}", secret)
        expect_409(ctx.user1.post(f"{base}/replies", json={"content": "orphan", "parent_id": message_id}),
                   f"createReply with parent_id naming {what}", secret)
        expect_409(ctx.user1.post(f"{base}/read", json={"message_id": message_id}),
                   f"markConversationRead naming {what}", secret)
    # A refused request stores nothing and moves no read marker.
    response = ctx.user1.get(f"{base}/messages")
    expect_status(response, 200, "Listing the conversation's messages")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [kept["id"]], summary="A request answered 409 stored a message anyway",
           received=ids, documented=[kept["id"]], response=response)
    response = ctx.user1.get(base)
    expect_status(response, 200, "Reading the conversation")
    expect(response.json().get("unread_count") == 1, summary="A mark-read answered 409 moved the read marker",
           received=response.json().get("unread_count"), documented=1, response=response)
