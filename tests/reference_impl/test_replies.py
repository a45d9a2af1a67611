"""Reply streams: keep-alive comments, resumption, and the failure path (never a 500)."""

import asyncio
import json

from reference_impl.services import replies

from .conftest import CONTRACT, parse_sse
from .test_flows import LISBON

REPLIES = f"/api/v1/conversations/{LISBON}/replies"


def test_slow_stream_carries_keep_alive_comments(make_api, run):
    async def go():
        api = await (await make_api(token_delay=0.12, keep_alive=0.03)).login()
        r = await api.call("POST", REPLIES, json={"content": "Slowly", "stream": True})
        assert ": keep-alive\n\n" in r.text
        events = parse_sse(r.text)  # comments are not events
        assert events[0]["event"] == "reply.started" and events[-1]["event"] == "reply.completed"
    run(go())


def test_last_event_id_replays_exactly_the_later_events(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", REPLIES, json={"content": "Count", "stream": True,
                                                  "web_search": True})
        events = parse_sse(r.text)
        message_id = json.loads(events[0]["data"])["message_id"]
        url = f"/api/v1/messages/{message_id}/events"
        for last in range(len(events) - 1):
            again = await api.call("GET", url, headers={"Last-Event-ID": str(last)})
            assert parse_sse(again.text) == events[last + 1:]
        assert parse_sse((await api.call("GET", url)).text) == events
        # A client at or past the final event gets 204: what stops an EventSource reconnecting.
        for last in (str(len(events) - 1), "999999999"):
            r = await api.call("GET", url, headers={"Last-Event-ID": last})
            assert r.status_code == 204 and r.content == b""
        fixture = "/api/v1/messages/5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f/events"  # synthesized
        whole = parse_sse((await api.call("GET", fixture)).text)
        r = await api.call("GET", fixture, headers={"Last-Event-ID": "999999999"})
        assert r.status_code == 204 and whole[-1]["event"] == "reply.completed"
        r = await api.call("GET", fixture, headers={"Last-Event-ID": str(len(whole) - 2)})
        assert parse_sse(r.text) == whole[-1:]
        r = await api.call("GET", url, headers={"Last-Event-ID": "x"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["header",
                                                                           "Last-Event-ID"]
    run(go())


def _broken_finish(store, reply):
    raise OSError("the disk is full")


def test_failed_json_reply_is_503_with_retry_after_and_a_failed_message(make_api, run,
                                                                         monkeypatch):
    monkeypatch.setattr(replies, "finish", _broken_finish)

    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", REPLIES, json={"content": "Fail please"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert isinstance(r.json()["detail"], str)
        page = (await api.call("GET", f"/api/v1/conversations/{LISBON}/messages")).json()
        assert [(m["role"], m["status"]) for m in page["items"][-2:]] == [
            ("user", "sent"), ("assistant", "failed")]
        events = parse_sse((await api.call(
            "GET", f"/api/v1/messages/{page['items'][-1]['id']}/events")).text)
        assert events[-1]["event"] == "reply.failed"
    run(go())


def test_failed_stream_ends_with_one_error_event(make_api, run, monkeypatch):
    monkeypatch.setattr(replies, "finish", _broken_finish)

    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", REPLIES, json={"content": "Fail", "stream": True})
        events = parse_sse(r.text)  # each event checked against its schema by api.call
        finals = [e for e in events if e["event"] in ("reply.completed", "reply.failed")]
        assert finals == [events[-1]] and events[-1]["event"] == "reply.failed"
        assert [int(e["id"]) for e in events] == list(range(len(events)))
        message_id = json.loads(events[-1]["data"])["message_id"]
        message = (await api.call("GET", f"/api/v1/messages/{message_id}")).json()
        assert message["status"] == "failed"
    run(go())


def test_conversation_deleted_mid_stream_ends_the_stream_with_an_error(make_api, run):
    async def go():
        api = await (await make_api(token_delay=0.05)).login()
        conv = (await api.call("POST", "/api/v1/conversations", json={})).json()
        stream = asyncio.ensure_future(api.call(
            "POST", f"/api/v1/conversations/{conv['id']}/replies",
            json={"content": "Soon gone", "stream": True}))
        await asyncio.sleep(0.15)
        assert (await api.call("DELETE", f"/api/v1/conversations/{conv['id']}")
                ).status_code == 204
        events = parse_sse((await stream).text)
        assert events[0]["event"] == "reply.started" and events[-1]["event"] == "reply.failed"
        assert [e["event"] for e in events].count("reply.failed") == 1
    run(go())


def test_a_replayed_long_word_is_split_within_the_deltas_max_length(make_api, run):
    """Issue 18 #16: replaying a stored assistant message splits deltas by length as well."""
    async def go():
        api = await (await make_api()).login()
        word = "x" * 1500
        content = f"Short {word} tail {'é' * 2500}"
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/messages",
                           json={"content": content, "role": "assistant"})
        assert r.status_code == 201, r.text
        # check_contract validates every event's data against ReplyDelta (maxLength 1000).
        events = parse_sse((await api.call(
            "GET", f"/api/v1/messages/{r.json()['id']}/events")).text)
        texts = [json.loads(e["data"])["text"] for e in events if e["event"] == "reply.delta"]
        assert max(map(len, texts)) <= 1000
        assert "".join(texts) == content
    run(go())
    schema = CONTRACT["components"]["schemas"]["ReplyDelta"]["properties"]["text"]
    assert replies.DELTA_MAX == schema["maxLength"]
