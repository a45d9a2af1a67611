"""Conversations: lifecycle, pagination, search, read markers, summary and title."""

from __future__ import annotations

import uuid

from ..client import Response
from ..errors import RequirementFailure
from .base import Context, expect, expect_status, requirement, support_probe, unsupported_if

MAX_PAGES = 200


@requirement("CONV-001")
def created_conversation_reads_back(ctx: Context) -> None:
    title = f"created {ctx.unique}"
    created = ctx.new_conversation(title=title, metadata={"source": "conformance"})
    response = ctx.user1.get(f"/api/v1/conversations/{created['id']}")
    expect_status(response, 200, "Reading a created conversation")
    body = response.json()
    for name, value in (("id", created["id"]), ("title", title), ("metadata", {"source": "conformance"})):
        expect(body.get(name) == value, summary=f"The conversation's {name} differs from what was created",
               received=body.get(name), documented=value, response=response)


@requirement("CONV-002")
def update_changes_title_and_status(ctx: Context) -> None:
    created = ctx.new_conversation()
    path = f"/api/v1/conversations/{created['id']}"
    response = ctx.user1.patch(path, json={"title": f"renamed {ctx.unique}", "status": "archived"})
    expect_status(response, 200, "Updating a conversation")
    response = ctx.user1.get(path)
    expect_status(response, 200, "Reading an updated conversation")
    body = response.json()
    expect((body.get("title"), body.get("status")) == (f"renamed {ctx.unique}", "archived"),
           summary="The update is not visible on the next read",
           received=(body.get("title"), body.get("status")),
           documented=(f"renamed {ctx.unique}", "archived"), response=response)


@requirement("CONV-003")
def deleted_conversation_answers_404(ctx: Context) -> None:
    created = ctx.new_conversation()
    path = f"/api/v1/conversations/{created['id']}"
    expect_status(ctx.user1.delete(path), 204, "Deleting a conversation")
    expect_status(ctx.user1.get(path), 404, "Reading a deleted conversation")
    expect_status(ctx.user1.delete(path), 404, "Deleting a deleted conversation")


@requirement("CONV-004")
def bulk_delete_reports_what_it_deleted(ctx: Context) -> None:
    first, second = ctx.new_conversation(), ctx.new_conversation()
    keep = ctx.new_conversation()
    missing = str(uuid.uuid4())
    response = ctx.user1.delete("/api/v1/conversations",
                                params={"conversation_id": [first["id"], second["id"], missing]})
    expect_status(response, 200, "Deleting conversations in bulk")
    body = response.json()
    expect(sorted(body.get("deleted_ids", [])) == sorted([first["id"], second["id"]])
           and body.get("not_found_ids") == [missing],
           summary="Bulk deletion reports the wrong ids", received=body,
           documented={"deleted_ids": [first["id"], second["id"]], "not_found_ids": [missing]},
           response=response)
    for gone in (first, second):
        expect_status(ctx.user1.get(f"/api/v1/conversations/{gone['id']}"), 404,
                      "Reading a bulk-deleted conversation")
    expect_status(ctx.user1.get(f"/api/v1/conversations/{keep['id']}"), 200,
                  "Reading a conversation bulk deletion did not name")


def page_through(ctx: Context, path: str, *, limit: int, insert=None, params=None) -> tuple[list[str], Response]:
    """Every id a client collects following next_cursor; `insert` runs between page fetches."""
    seen: list[str] = []
    cursor = None
    response = None
    for page in range(MAX_PAGES):
        query = {"limit": limit, **(params or {})}
        if cursor:
            query["cursor"] = cursor
        response = ctx.user1.get(path, params=query)
        expect_status(response, 200, f"Fetching page {page + 1} of {path}")
        body = response.json()
        seen += [item["id"] for item in body.get("items", [])]
        cursor = body.get("next_cursor")
        if not cursor:
            return seen, response
        if insert is not None and page < 3:
            insert()
    raise RequirementFailure(summary=f"Paging {path} never ends", received=f"more than {MAX_PAGES} pages",
                             documented="next_cursor null on the last page", exchange=response.exchange)


def expect_each_once(seen: list[str], expected: list[str], response: Response, what: str) -> None:
    repeated = sorted({i for i in seen if seen.count(i) > 1})
    lost = [i for i in expected if i not in seen]
    if repeated or lost:
        raise RequirementFailure(
            summary=f"Paging {what} loses or repeats items",
            received=f"lost {lost}, repeated {repeated}",
            documented="every item exactly once while items are inserted between pages",
            exchange=response.exchange,
        )


@requirement("CONV-005")
def pagination_neither_loses_nor_repeats(ctx: Context) -> None:
    originals = [ctx.new_conversation(title=f"page {ctx.unique} {n}")["id"] for n in range(5)]
    seen, last = page_through(ctx, "/api/v1/conversations", limit=2,
                              insert=lambda: ctx.new_conversation(title=f"inserted {ctx.unique}"))
    expect_each_once(seen, originals, last, "conversations")


@requirement("CONV-006")
def search_finds_titles_and_message_text(ctx: Context) -> None:
    titled = ctx.new_conversation(title=f"Lisbon-{ctx.unique} trip")
    other = ctx.new_conversation(title=f"untitled {ctx.unique}")
    message = ctx.new_message(other["id"], f"Where is the Porto-{ctx.unique} bridge?")
    response = ctx.user1.get("/api/v1/conversations", params={"q": f"lisbon-{ctx.unique}"})
    expect_status(response, 200, "Searching conversation titles")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [titled["id"]], summary="Search by title does not find exactly the titled conversation",
           received=ids, documented=[titled["id"]], response=response)
    response = ctx.user1.get("/api/v1/conversations", params={"q": f"PORTO-{ctx.unique}"})
    expect_status(response, 200, "Searching message text")
    items = response.json().get("items", [])
    expect([item["id"] for item in items] == [other["id"]],
           summary="Search by message text does not find exactly the conversation holding it",
           received=[item["id"] for item in items], documented=[other["id"]], response=response)
    match = items[0].get("match") or {}
    expect(match.get("message_id") == message["id"], summary="A search hit does not name the matching message",
           received=match, documented={"message_id": message["id"], "excerpt": "..."}, response=response)


@requirement("CONV-007")
def mark_read_clears_unread_count(ctx: Context) -> None:
    conversation = ctx.new_conversation()
    cid = conversation["id"]
    messages = [ctx.new_message(cid, f"unread {n} {ctx.unique}") for n in range(2)]
    response = ctx.user1.post(f"/api/v1/conversations/{cid}/read", json={})
    expect_status(response, 200, "Marking a conversation read")
    marker = response.json()
    expect(marker.get("unread_count") == 0 and marker.get("last_read_message_id") == messages[-1]["id"],
           summary="Mark-read does not move the marker to the newest message", received=marker,
           documented={"unread_count": 0, "last_read_message_id": messages[-1]["id"]}, response=response)
    response = ctx.user1.get(f"/api/v1/conversations/{cid}")
    expect_status(response, 200, "Reading a conversation marked read")
    expect(response.json().get("unread_count") == 0, summary="The unread count does not drop after mark-read",
           received=response.json().get("unread_count"), documented=0, response=response)


@support_probe("summary")
def summary_probe(ctx: Context) -> Response:
    return ctx.user1.get(f"/api/v1/conversations/{ctx.new_conversation()['id']}/summary")


@support_probe("title")
def title_probe(ctx: Context) -> Response:
    return ctx.user1.post(f"/api/v1/conversations/{ctx.new_conversation()['id']}/title", json={})


@requirement("SUM-001")
def summary_counts_messages(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    created = [ctx.new_message(cid, f"topic {n} {ctx.unique}") for n in range(3)]
    response = ctx.user1.get(f"/api/v1/conversations/{cid}/summary")
    unsupported_if(response, "GET summary")
    expect_status(response, 200, "Reading a summary")
    body = response.json()
    expect(body.get("message_count") == 3 and body.get("conversation_id") == cid
           and body.get("first_message_at") is not None and body.get("last_message_at") is not None,
           summary="The summary does not describe the conversation", received=body,
           documented={"conversation_id": cid, "message_count": len(created), "first_message_at": "set",
                       "last_message_at": "set"}, response=response)


@requirement("TITLE-001")
def title_is_generated(ctx: Context) -> None:
    cid = ctx.new_conversation(title=None)["id"]
    ctx.new_message(cid, "Plan a weekend in Lisbon with museums")
    response = ctx.user1.post(f"/api/v1/conversations/{cid}/title", json={})
    unsupported_if(response, "POST title")
    expect_status(response, 200, "Generating a title")
    title = response.json().get("title")
    expect(isinstance(title, str) and title.strip() != "", summary="No title was generated",
           received=title, documented="a non-empty title", response=response)
