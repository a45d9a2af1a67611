"""Stream controls: pacing, a connection that breaks off, a reply that fails with `reply.failed`."""

import json
import time

from .conftest import REPLIES, parse_sse


def _deltas(events):
    return [e for e in events if e["event"] == "reply.delta"]


def test_stream_break_ends_the_connection_after_n_deltas_without_a_final_event(make_api, run):
    async def go():
        api = await (await make_api(token_delay=0.002)).login()
        r = await api.call("POST", REPLIES, json={"content": "Tell me a long story please",
                                                  "stream": True},
                           headers={"Prefer": "stream-break=2"})
        events = parse_sse(r.text)
        assert len(_deltas(events)) == 2
        assert events[-1]["event"] == "reply.delta"  # no reply.completed, no reply.failed
        message_id = json.loads(events[0]["data"])["message_id"]
        # The reply itself went on: resuming with Last-Event-ID gets the rest and the end.
        await api.state.runner.drain()
        rest = parse_sse((await api.call("GET", f"/api/v1/messages/{message_id}/events",
                                         headers={"Last-Event-ID": events[-1]["id"]})).text)
        assert rest[0]["id"] == str(int(events[-1]["id"]) + 1)
        assert rest[-1]["event"] == "reply.completed"
    run(go())


def test_stream_error_ends_the_reply_with_the_documented_error_event(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", REPLIES, json={"content": "One two three four five six",
                                                  "stream": True},
                           headers={"Prefer": "stream-error=true"})
        events = parse_sse(r.text)  # check_contract validated every event already
        assert len(_deltas(events)) == 3 and events[-1]["event"] == "reply.failed"
        message_id = json.loads(events[-1]["data"])["message_id"]
        stored = await api.call("GET", f"/api/v1/messages/{message_id}")
        assert stored.json()["status"] == "failed"
        r = await api.call("POST", REPLIES, json={"content": "Again", "stream": True},
                           headers={"Prefer": "stream-error=0"})
        events = parse_sse(r.text)
        assert not _deltas(events) and events[-1]["event"] == "reply.failed"
    run(go())


def test_tokens_per_second_paces_one_stream_only(make_api, run):
    async def go():
        api = await (await make_api(token_delay=0.0)).login()
        body = {"content": "pace " * 6, "stream": True}
        started = time.perf_counter()
        r = await api.call("POST", REPLIES, json=body, headers={"Prefer": "tokens-per-second=20"})
        paced = time.perf_counter() - started
        n = len(_deltas(parse_sse(r.text)))
        assert n >= 4 and paced >= n / 20 * 0.9
        r = await api.call("POST", REPLIES, json=body)  # the server's own pace (none here) again
        assert r.headers.get("preference-applied") is None
    run(go())
