"""`Prefer: code= / example= / delay=`: chosen responses, faults, latency, from the contract."""

import time

from reference_impl.app import load_contract
from reference_impl.mock.canned import Catalogue

from .conftest import CONVERSATIONS

EXAMPLES = Catalogue(load_contract())


def _example(operation_id, status, name=None):
    examples = EXAMPLES.operations[operation_id][status].media["application/json"]["examples"]
    return examples[name] if name else next(iter(examples.values()))


def test_code_answers_that_documented_status_with_its_example(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", CONVERSATIONS, json={"title": "x"},
                           headers={"Prefer": "code=422"})
        assert r.status_code == 422
        assert r.json() == _example("createConversation", 422)
        assert r.headers["preference-applied"] == "code=422"
    run(go())


def test_rate_limit_and_unavailable_carry_retry_after(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "code=429"})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert r.json() == _example("listConversations", 429)
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "code=503, retry-after=7"})
        assert r.status_code == 503 and r.headers["retry-after"] == "7"
        assert r.json() == {"detail": "Service temporarily unavailable"}
    run(go())


def test_an_undocumented_status_is_a_clear_400(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.post(CONVERSATIONS, json={"title": "x"},
                                  headers={"Prefer": "code=418",
                                           "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 400
        assert r.json() == {"detail": "Prefer code=418 is not documented for "
                                      "createConversation; documented: 201, 400, 401, 413, 415, "
                                      "422, 429, 503"}
    run(go())


def test_example_picks_a_named_example_and_names_the_documented_ones(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", CONVERSATIONS, json={"title": "x"},
                           headers={"Prefer": "example=created"})
        assert r.status_code == 201
        assert r.json() == _example("createConversation", 201, "created")
        r = await api.client.post(CONVERSATIONS, json={"title": "x"},
                                  headers={"Prefer": "example=nope",
                                           "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 400
        assert r.json()["detail"].endswith("documented: created")
    run(go())


def test_a_chosen_response_leaves_the_state_alone(make_api, run):
    async def go():
        api = await (await make_api()).login()
        before = (await api.call("GET", CONVERSATIONS, params={"limit": 100})).json()
        r = await api.call("POST", CONVERSATIONS, json={"title": "not stored"},
                           headers={"Prefer": "code=201"})
        assert r.status_code == 201
        after = (await api.call("GET", CONVERSATIONS, params={"limit": 100})).json()
        assert after == before
    run(go())


def test_prefer_never_bypasses_authentication_or_validation(make_api, run):
    async def go():
        api = await make_api()
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "code=200"})
        assert r.status_code == 401  # no token: the real 401, not the chosen 200
        api = await api.login()
        r = await api.call("POST", CONVERSATIONS, json={"title": 5},
                           headers={"Prefer": "code=201"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
        # ... while a signed-in client can still ask for the 401 screen on purpose.
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "code=401"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    run(go())


def test_delay_holds_the_response_and_is_bounded(make_api, run):
    async def go():
        api = await (await make_api()).login()
        started = time.perf_counter()
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "delay=300"})
        assert r.status_code == 200 and time.perf_counter() - started >= 0.3
        assert r.headers["preference-applied"] == "delay=300"
        r = await api.client.get(CONVERSATIONS, headers={"Prefer": "delay=30001",
                                                         "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 400 and "0 to 30000" in r.json()["detail"]
    run(go())


def test_unknown_preferences_are_ignored_as_rfc_7240_asks(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("GET", CONVERSATIONS, headers={"Prefer": "return=minimal"})
        assert r.status_code == 200 and "preference-applied" not in r.headers
    run(go())


def test_a_chosen_204_has_no_body(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("DELETE", f"{CONVERSATIONS}/00000000-0000-4000-8000-000000000000",
                           headers={"Prefer": "code=204"})
        assert r.status_code == 204 and r.content == b""
    run(go())


def test_the_hot_path_parses_nothing(make_api, run, monkeypatch):
    """Without Prefer or X-Mock-Session no control is parsed and no session is touched."""
    from reference_impl.mock import layer

    def boom(*args, **kwargs):
        raise AssertionError("parsed on the hot path")
    monkeypatch.setattr(layer.prefer_mod, "parse", boom)

    async def go():
        api = await (await make_api()).login()
        for entry_point in ("state_for_read", "state_for_write", "running", "existing"):
            monkeypatch.setattr(api.state.sessions, entry_point, boom)
        r = await api.call("GET", CONVERSATIONS)
        assert r.status_code == 200 and "preference-applied" not in r.headers
        (entry,) = api.state.journal.read(limit=1)
        assert entry["path"] == CONVERSATIONS and entry["status"] == 200
    run(go())


def test_chosen_stream_responses_carry_the_documented_events(make_api, run):
    async def go():
        from .conftest import REPLIES, parse_sse
        api = await (await make_api()).login()
        r = await api.call("GET", "/api/v1/messages/5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f/events",
                           headers={"Prefer": "example=completed"})
        assert r.headers["content-type"].startswith("text/event-stream")
        assert [e["event"] for e in parse_sse(r.text)] == ["reply.completed"]
        r = await api.call("POST", REPLIES, json={"content": "x", "stream": True},
                           headers={"Prefer": "code=201"})
        # The documented events, in order: a whole stream, first event to final one.
        assert [e["event"] for e in parse_sse(r.text)] == ["reply.started", "reply.delta", "reply.completed"]
        r = await api.call("POST", REPLIES, json={"content": "x"}, headers={"Prefer": "code=201"})
        assert r.headers["content-type"] == "application/json" and "assistant_message" in r.json()
    run(go())
