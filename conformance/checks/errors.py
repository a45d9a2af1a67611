"""Errors: the strict FastAPI 422 shape, loc naming the invalid field, malformed JSON and 415."""

from __future__ import annotations

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
        ("deleteConversations", "POST", "/api/v1/conversations/bulk-delete",
         {"json": {"conversation_ids": ["not-a-uuid"]}}, ["body", "conversation_ids", 0]),
        ("getConversation", "GET", "/api/v1/conversations/not-a-uuid", {}, ["path", "conversation_id"]),
    ]


def _expect_422(response: Response, what: str) -> list[dict]:
    problems = shape_problems(response.status, response.content_type, response.raw.content)
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
    _expect_422(response, "createConversation with a wrong field type")


@requirement("ERR-002")
def loc_names_the_invalid_field(ctx: Context) -> None:
    for operation_id, method, path, kwargs, expected in _probes(ctx):
        response = ctx.user1.request(method, path, **kwargs)
        detail = _expect_422(response, operation_id)
        locs = [item["loc"] for item in detail]
        if not any(_names(loc, expected) for loc in locs):
            raise RequirementFailure(summary=f"{operation_id}: loc does not name the invalid input",
                                     received=locs, documented=expected, exchange=response.exchange)


@requirement("ERR-003")
def malformed_json_names_an_offset(ctx: Context) -> None:
    response = ctx.user1.post("/api/v1/conversations", content=b'{"title": ',
                              headers={"Content-Type": "application/json"})
    detail = _expect_422(response, "createConversation with malformed JSON")
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


