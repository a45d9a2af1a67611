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
    gone = ctx.new_message(ctx.new_conversation(title=f"other {ctx.unique}")["id"], f"Faro-{ctx.unique} airport")
    expect_status(ctx.user1.delete(f"/api/v1/messages/{gone['id']}"), 204, "Deleting a message")
    response = ctx.user1.get("/api/v1/conversations", params={"q": f"faro-{ctx.unique}"})
    expect_status(response, 200, "Searching the text of a deleted message")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == [], summary="Search finds the text of a deleted message", received=ids, documented=[],
           response=response)


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
    response = ctx.user1.post(f"/api/v1/conversations/{cid}/read", json={"message_id": messages[0]["id"]})
    expect_status(response, 200, "Marking an older message read")
    marker = response.json()
    expect(marker.get("last_read_message_id") == messages[-1]["id"] and marker.get("unread_count") == 0,
           summary="The read marker moved backwards", received=marker,
           documented={"last_read_message_id": messages[-1]["id"], "unread_count": 0}, response=response)


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


# ---- Promises the contract's descriptions make (traced in conformance/traces.yaml) --------------

@requirement("CONV-008")
def lists_come_in_documented_order(ctx: Context) -> None:
    created = [ctx.new_conversation(title=f"ordered {ctx.unique} {n}")["id"] for n in range(3)]
    response = ctx.user1.get("/api/v1/conversations", params={"q": f"ordered {ctx.unique}"})
    expect_status(response, 200, "Listing conversations")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == created[::-1], summary="Conversations are not listed newest first", received=ids,
           documented=created[::-1], response=response)
    cid = created[0]
    messages = [ctx.new_message(cid, f"ordered {n}")["id"] for n in range(3)]
    response = ctx.user1.get(f"/api/v1/conversations/{cid}/messages")
    expect_status(response, 200, "Listing messages")
    ids = [item["id"] for item in response.json().get("items", [])]
    expect(ids == messages, summary="Messages are not listed oldest first", received=ids, documented=messages,
           response=response)


def _bulk_delete(ctx: Context, cid: str) -> Response:
    """Delete one conversation through the contract's bulk operation, however it is shaped."""
    for template, item in ctx.spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == "deleteConversations":
                if "requestBody" in operation:
                    return ctx.user1.request(method.upper(), template, json={"conversation_ids": [cid]})
                return ctx.user1.request(method.upper(), template, params={"conversation_id": [cid]})
    raise RequirementFailure(summary="The contract has no deleteConversations", received=None,
                             documented="deleteConversations")


def _conversation_with_dependents(ctx: Context) -> tuple[str, list[str]]:
    """A conversation with a message, an attachment and a share link where offered: the paths each answers."""
    cid = ctx.new_conversation()["id"]
    mid = ctx.new_message(cid, f"dependent {ctx.unique}")["id"]
    paths = [f"/api/v1/messages/{mid}"]
    if "createAttachment" not in ctx.excluded_operations:
        response = ctx.user1.post(f"/api/v1/messages/{mid}/attachments", files={"file": ("a.txt", b"x", "text/plain")})
        expect_status(response, 201, "Uploading an attachment")
        paths.append(f"/api/v1/attachments/{response.json()['id']}")
    if "upsertConversationShare" not in ctx.excluded_operations:
        response = ctx.user1.put(f"/api/v1/conversations/{cid}/share", json={})
        expect_status(response, 201, "Sharing a conversation")
        paths += [f"/api/v1/shares/{response.json()['id']}", f"public:/api/v1/public/shares/{response.json()['id']}"]
    return cid, paths


@requirement("CONV-009")
def deletion_removes_messages_attachments_and_shares(ctx: Context) -> None:
    for how in ("deleteConversation", "deleteConversations"):
        cid, paths = _conversation_with_dependents(ctx)
        response = ctx.user1.delete(f"/api/v1/conversations/{cid}") if how == "deleteConversation" \
            else _bulk_delete(ctx, cid)
        expect_status(response, (200, 204), f"Deleting a conversation ({how})")
        for path in paths:
            public = path.startswith("public:")
            response = ctx.anonymous.get(path.removeprefix("public:"), token=None) if public else ctx.user1.get(path)
            expect(response.status == 404, summary=f"After {how}, {path.removeprefix('public:')} is still readable",
                   received=f"{response.status} {response.raw.text[:200]}",
                   documented="404: deletion removes messages, attachments and share links", response=response)


@requirement("CONV-010")
def update_leaves_absent_fields_alone(ctx: Context) -> None:
    title, metadata = f"merge {ctx.unique}", {"a": "1", "b": "2"}
    path = f"/api/v1/conversations/{ctx.new_conversation(title=title, metadata=metadata)['id']}"
    for body, expected in (({"status": "archived"}, {"title": title, "status": "archived", "metadata": metadata}),
                           ({"metadata": {"c": "3"}}, {"title": title, "status": "archived", "metadata": {"c": "3"}})):
        expect_status(ctx.user1.patch(path, json=body), 200, "Updating a conversation")
        response = ctx.user1.get(path)
        expect_status(response, 200, "Reading an updated conversation")
        got = {name: response.json().get(name) for name in expected}
        expect(got == expected, summary=f"PATCH {body} changed fields it did not name (or did not replace metadata)",
               received=got, documented=expected, response=response)


# Personal data the contract's anonymisation replaces (e-mail addresses, phone numbers).
def personal_data(ctx: Context) -> tuple[str, list[str]]:
    email, phone = f"jane.doe.{ctx.unique}@example.com", "+44 20 7946 0958"
    return f"Write to {email} or call {phone} about the trip", [email, phone]


def anonymised_message(ctx: Context) -> tuple[str, dict, str, list[str]]:
    """(conversation id, created message, original text, personal data) in an anonymised conversation."""
    cid = ctx.new_conversation(title=f"anonymised {ctx.unique}", is_anonymized=True)["id"]
    text, private = personal_data(ctx)
    return cid, ctx.new_message(cid, text), text, private


@requirement("CONV-011")
def anonymised_conversations_hide_personal_data(ctx: Context) -> None:
    cid, message, text, private = anonymised_message(ctx)
    for response in (ctx.user1.get(f"/api/v1/messages/{message['id']}"),
                     ctx.user1.get(f"/api/v1/conversations/{cid}/messages")):
        expect_status(response, 200, "Reading an anonymised conversation's message")
        items = response.json().get("items", [response.json()])
        contents = [item.get("content", "") for item in items]
        expect(contents and not any(p in c for p in private for c in contents),
               summary="An anonymised conversation's message content keeps personal data", received=contents,
               documented="placeholders instead of e-mail addresses and phone numbers", response=response)
        expect(all(item.get("deanonymized_content") == text for item in items),
               summary="The owner cannot read the original text", received=[i.get("deanonymized_content") for i in items],
               documented=text, response=response)
    response = ctx.user1.get(f"/api/v1/conversations/{cid}")
    expect_status(response, 200, "Reading an anonymised conversation")
    mapping = response.json().get("deanonymization_mapping") or {}
    expect(set(private) <= set(mapping.values()), summary="The mapping does not lead back to the originals",
           received=mapping, documented=f"placeholders mapped to {private}", response=response)


MAX_PLACEHOLDERS = 100  # deanonymization_mapping's maxProperties


@requirement("CONV-012")
def the_deanonymization_mapping_is_bounded(ctx: Context) -> None:
    cid = ctx.new_conversation(title=f"many addresses {ctx.unique}", is_anonymized=True)["id"]
    # More distinct addresses than the mapping may hold, over two messages (the second meets a full mapping).
    addresses = [f"user{i}.{ctx.unique}@example.com" for i in range(MAX_PLACEHOLDERS + 20)]
    texts = [" ".join(addresses[:MAX_PLACEHOLDERS - 10]), " ".join(addresses[MAX_PLACEHOLDERS - 10:])]
    messages = [ctx.new_message(cid, text) for text in texts]
    for message, text in zip(messages, texts):
        response = ctx.user1.get(f"/api/v1/messages/{message['id']}")
        expect_status(response, 200, "Reading an anonymised conversation's message")
        content = response.json().get("content") or ""
        kept = [a for a in addresses if a in content]
        expect(not kept, summary="Personal data met after the mapping was full was not replaced",
               received=kept[:3], documented="a placeholder for each address", response=response)
        expect(response.json().get("deanonymized_content") == text, summary="The owner cannot read the original text",
               received=(response.json().get("deanonymized_content") or "")[:200], documented=text[:200],
               response=response)
    for response in (ctx.user1.get(f"/api/v1/conversations/{cid}"),
                     ctx.user1.get("/api/v1/conversations", params={"q": f"many addresses {ctx.unique}"})):
        expect_status(response, 200, "Reading an anonymised conversation")
        rows = response.json().get("items", [response.json()])
        sizes = [len(row.get("deanonymization_mapping") or {}) for row in rows if row.get("id") == cid]
        expect(sizes and all(size <= MAX_PLACEHOLDERS for size in sizes),
               summary="The deanonymization mapping holds more placeholders than the contract's bound",
               received=sizes, documented=f"at most {MAX_PLACEHOLDERS}", response=response)
