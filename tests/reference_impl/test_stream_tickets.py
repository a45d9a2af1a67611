"""Stream tickets: what a browser's EventSource authenticates with instead of a bearer header."""

import json
import time

import yaml

from chat_contract.resources import spec_path
from reference_impl import auth

from .conftest import parse_sse
from .test_flows import LISBON

REPLIES = f"/api/v1/conversations/{LISBON}/replies"


async def _reply_and_ticket(api):
    r = await api.call("POST", REPLIES, json={"content": "Ticket please"})
    message_id = r.json()["assistant_message"]["id"]
    issued = await api.call("POST", f"/api/v1/messages/{message_id}/stream-tickets")
    assert issued.status_code == 201 and issued.json()["expires_in"] == auth.TICKET_LIFETIME
    return message_id, issued.json()["ticket"]


def test_a_ticket_opens_its_message_events_without_a_bearer_token(make_api, run):
    async def go():
        api = await (await make_api()).login()
        message_id, ticket = await _reply_and_ticket(api)
        url = f"/api/v1/messages/{message_id}/events"
        r = await api.call("GET", url, token=None, params={"ticket": ticket})
        events = parse_sse(r.text)
        assert r.status_code == 200 and events[-1]["event"] == "reply.completed"
        # Resuming (what EventSource does on reconnect: same URL, Last-Event-ID) works too.
        r = await api.call("GET", url, token=None, params={"ticket": ticket},
                           headers={"Last-Event-ID": events[-2]["id"]})
        assert parse_sse(r.text) == events[-1:]
        assert (await api.call("GET", url, token=None)).status_code == 401
    run(go())


def test_a_ticket_opens_nothing_else(make_api, run):
    async def go():
        api = await (await make_api()).login()
        message_id, ticket = await _reply_and_ticket(api)
        other_id, _ = await _reply_and_ticket(api)
        for method, url in (("GET", f"/api/v1/messages/{other_id}/events"),  # another message
                            ("GET", f"/api/v1/messages/{message_id}"),        # another operation
                            ("GET", "/api/v1/conversations")):
            r = await api.call(method, url, token=None, params={"ticket": ticket})
            assert r.status_code == 401, (url, r.text)
        bob = await (await make_api()).login("bob")
        r = await bob.call("POST", f"/api/v1/messages/{message_id}/stream-tickets")
        assert r.status_code == 404  # only the message's owner gets a ticket
    run(go())


def test_an_expired_ticket_is_refused(make_api, run, monkeypatch):
    async def go():
        api = await (await make_api()).login()
        message_id, ticket = await _reply_and_ticket(api)
        later = time.time() + auth.TICKET_LIFETIME + 1
        monkeypatch.setattr(auth.time, "time", lambda: later)
        r = await api.call("GET", f"/api/v1/messages/{message_id}/events", token=None,
                           params={"ticket": ticket})
        assert r.status_code == 401 and "ticket" in r.json()["detail"]
    run(go())


def test_ticket_operations_are_the_contracts():
    contract = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    listed = {op["operationId"] for item in contract["paths"].values() for op in item.values()
              if isinstance(op, dict) and any("StreamTicket" in s for s in op.get("security", []))}
    assert listed == auth.TICKET_OPERATIONS
    assert json.dumps(contract["components"]["securitySchemes"]["StreamTicket"]["name"]) == '"ticket"'


def test_a_ticket_answer_is_never_cached(make_api, run):
    """Issue 18 #14: a ticket is a credential, like the token (RFC 6749 5.1: no-store)."""
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", REPLIES, json={"content": "Ticket please"})
        message_id = r.json()["assistant_message"]["id"]
        issued = await api.call("POST", f"/api/v1/messages/{message_id}/stream-tickets")
        assert issued.status_code == 201
        assert issued.headers.get("cache-control") == "no-store"
    run(go())


def test_the_contract_says_a_ticket_answer_is_not_cached():
    contract = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    answer = contract["paths"]["/api/v1/messages/{message_id}/stream-tickets"]["post"][
        "responses"]["201"]
    assert answer["headers"]["Cache-Control"]["schema"]["const"] == "no-store"
