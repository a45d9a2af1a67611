"""Replies: the JSON reply and the Server-Sent Events stream."""

from __future__ import annotations

import json

from ..errors import PrerequisiteFailed, RequirementFailure
from ..sse import FINAL_EVENTS, Stream, read_stream
from .base import Context, expect, expect_status, requirement


@requirement("REPLY-001")
def json_reply_stores_both_messages(ctx: Context) -> None:
    cid = ctx.new_conversation()["id"]
    response = ctx.user1.post(f"/api/v1/conversations/{cid}/replies", json={"content": "What is in Lisbon?"})
    expect_status(response, 201, "Asking for a JSON reply")
    body = response.json()
    user, assistant, usage = body.get("user_message", {}), body.get("assistant_message", {}), body.get("usage", {})
    expect(assistant.get("parent_id") == user.get("id") and assistant.get("role") == "assistant"
           and user.get("role") == "user",
           summary="The assistant's message is not a reply to the user's", received=body,
           documented="assistant_message.parent_id == user_message.id", response=response)
    expect(usage.get("total_tokens") == usage.get("input_tokens", 0) + usage.get("output_tokens", 0),
           summary="Token usage does not add up", received=usage,
           documented="total_tokens = input_tokens + output_tokens", response=response)
    for message in (user, assistant):
        stored = ctx.user1.get(f"/api/v1/messages/{message.get('id')}")
        expect_status(stored, 200, "Reading a message the reply stored")


def _stream_reply(ctx: Context) -> Stream:
    cid = ctx.new_conversation()["id"]
    return read_stream(ctx.user1, "POST", f"/api/v1/conversations/{cid}/replies",
                       json={"content": "Tell me about Lisbon", "stream": True}, deadline=30.0)


def _cached_stream(ctx: Context) -> Stream:
    # Four requirements judge one stream; it is read once per run.
    if not hasattr(ctx, "_stream"):
        ctx._stream = _stream_reply(ctx)  # type: ignore[attr-defined]
    return ctx._stream  # type: ignore[attr-defined]


def order_problems(stream: Stream, first_id: int = 0, web_search: bool | None = None) -> list[str]:
    names = stream.names
    problems = []
    if first_id == 0 and (not names or names[0] != "reply.started"):
        problems.append(f"first event is {names[0] if names else 'missing'}, not reply.started")
    finals = [n for n in names if n in FINAL_EVENTS]
    if len(finals) != 1 or not names or names[-1] not in FINAL_EVENTS:
        problems.append(f"{len(finals)} final events, last event {names[-1] if names else 'none'}")
    body = [n for n in names[1 if first_id == 0 else 0:-1]]
    allowed = {"reply.sources", "reply.delta"} if first_id == 0 else {"reply.sources", "reply.delta", "reply.started"}
    if any(n not in allowed for n in body):
        problems.append(f"unexpected events in the middle: {body}")
    # `reply.sources`, at most once, only when `web_search` is true (right after reply.started).
    sources = [n for n, name in enumerate(names) if name == "reply.sources"]
    if web_search is False and sources:
        problems.append("reply.sources in a reply asked without web_search")
    elif len(sources) > 1 or (first_id == 0 and sources and sources != [1]):
        problems.append(f"reply.sources at positions {sources}: at most once, right after reply.started")
    ids = [e.id for e in stream.events]
    if ids != [str(n) for n in range(first_id, first_id + len(ids))]:
        problems.append(f"ids {ids[:12]} are not consecutive from {first_id}")
    if stream.timed_out:
        problems.append("the stream did not close")
    return problems


@requirement("SSE-001")
def stream_is_event_stream(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    if stream.status != 201 or stream.content_type != "text/event-stream":
        raise RequirementFailure(summary="A streamed reply is not an event stream",
                                 received=f"{stream.status} {stream.content_type or '(no content type)'}",
                                 documented="201 text/event-stream", exchange=stream.exchange)


def _require_stream(stream: Stream) -> None:
    if stream.content_type != "text/event-stream":
        # Judged by SSE-001; the other stream requirements cannot be observed without a stream.
        raise PrerequisiteFailed("no event stream to judge (see SSE-001)")


@requirement("SSE-002")
def events_come_in_order_with_one_final_event(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    _require_stream(stream)
    problems = order_problems(stream, web_search=False)  # asked without web_search
    if problems:
        raise RequirementFailure(summary="The reply stream breaks the documented event order",
                                 received="; ".join(problems) + f" (events: {stream.names[:20]})",
                                 documented="reply.started, reply.sources?, reply.delta*, one final event; ids 0..n",
                                 exchange=stream.exchange)
    for event in stream.events:
        try:
            json.loads(event.data)
        except ValueError as exc:
            raise RequirementFailure(summary=f"Event {event.event} carries data that is not JSON",
                                     received=event.data[:200], documented="one line of JSON",
                                     exchange=stream.exchange) from exc


@requirement("SSE-003")
def first_event_arrives_in_time(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    _require_stream(stream)
    budget = ctx.profile.first_event_budget
    if stream.first_event_after is None or stream.first_event_after > budget:
        raise RequirementFailure(summary="The first event arrives too late",
                                 received=f"{stream.first_event_after} s", documented=f"within {budget} s",
                                 exchange=stream.exchange)


def _streamed_message_id(stream: Stream) -> str:
    _require_stream(stream)
    if not stream.events or stream.names[0] != "reply.started":
        raise PrerequisiteFailed("no reply.started event to find the message (see SSE-002)")
    return json.loads(stream.events[0].data).get("message_id")


@requirement("SSE-004")
def replay_sends_only_later_events(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    message_id = _streamed_message_id(stream)
    full = read_stream(ctx.user1, "GET", f"/api/v1/messages/{message_id}/events", deadline=30.0)
    after = 1 if len(stream.events) > 2 else 0
    resumed = read_stream(ctx.user1, "GET", f"/api/v1/messages/{message_id}/events",
                          headers={"Last-Event-ID": str(after)}, deadline=30.0)
    for what, got, expected, first_id in (("A full replay", full, stream.events, 0),
                                          (f"A replay after id {after}", resumed, stream.events[after + 1:], after + 1)):
        if got.status != 200 or got.content_type != "text/event-stream":
            raise RequirementFailure(summary=f"{what} is not an event stream",
                                     received=f"{got.status} {got.content_type}", documented="200 text/event-stream",
                                     exchange=got.exchange)
        same = [(e.event, e.id) for e in got.events] == [(e.event, e.id) for e in expected]
        problems = order_problems(got, first_id=first_id)
        if not same or problems:
            raise RequirementFailure(summary=f"{what} does not send exactly the later events",
                                     received=[(e.event, e.id) for e in got.events][:20],
                                     documented=[(e.event, e.id) for e in expected][:20],
                                     exchange=got.exchange)



@requirement("SSE-005")
def reconnect_after_the_final_event_gets_204(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    message_id = _streamed_message_id(stream)
    if not stream.events or stream.names[-1] not in FINAL_EVENTS:
        raise PrerequisiteFailed("the stream has no final event (see SSE-002)")
    final_id = stream.events[-1].id or "0"
    response = ctx.user1.get(f"/api/v1/messages/{message_id}/events", headers={"Last-Event-ID": final_id})
    expect_status(response, 204, f"Reconnecting with Last-Event-ID {final_id}, the final event's id")


@requirement("SSE-006")
def stream_ticket_opens_its_own_message_only(ctx: Context) -> None:
    stream = _cached_stream(ctx)
    message_id = _streamed_message_id(stream)
    issued = ctx.user1.post(f"/api/v1/messages/{message_id}/stream-tickets")
    expect_status(issued, 201, "Asking for a stream ticket")
    cache = issued.headers.get("cache-control", "")
    expect("no-store" in cache.lower(), summary="A stream ticket's answer may be cached",
           received=f"Cache-Control: {cache or '(none)'}", documented="Cache-Control: no-store (a ticket is a credential)",
           response=issued)
    ticket = issued.json().get("ticket", "")
    opened = read_stream(ctx.anonymous, "GET", f"/api/v1/messages/{message_id}/events",
                         params={"ticket": ticket}, deadline=30.0)
    if opened.status != 200 or [(e.event, e.id) for e in opened.events] != [(e.event, e.id) for e in stream.events]:
        raise RequirementFailure(summary="A stream ticket does not open its message's events",
                                 received=f"{opened.status} {opened.names[:20]}",
                                 documented="200 with every event of the reply", exchange=opened.exchange)
    cid = ctx.new_conversation()["id"]
    other = ctx.user1.post(f"/api/v1/conversations/{cid}/replies", json={"content": "Another question"})
    expect_status(other, 201, "Asking for a second reply")
    other_id = other.json().get("assistant_message", {}).get("id")
    foreign = ctx.anonymous.get(f"/api/v1/messages/{other_id}/events", params={"ticket": ticket})
    expect_status(foreign, 401, "Opening another message's events with a ticket issued for one message")
