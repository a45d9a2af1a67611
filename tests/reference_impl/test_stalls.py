"""No request stalls the others: whole-conversation work runs in slices (issue 18, #6).

On a conversation of 2,000 messages of 16 KB, a summary, a title, a share (and reading it
publicly: a 32 MB answer) each held the event loop for a quarter to a whole second. Evidence by
order, not by time: while one such request is in progress, other requests are answered on the
same event loop; before, the loop was held for the whole of it and at most the one or two
probes sent before it reached its handler were.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from reference_impl.services import conversations, messages

MESSAGES = 600
TEXT = ("Lisbon trams climb past tiled facades toward miradouros at sunset. " * 240)[:16_000]


async def _long_conversation(api) -> str:
    me = (await api.call("GET", "/api/v1/users/me")).json()
    store = api.state.store
    conv = conversations.create(store, me["id"], {"title": "long"})
    row = conversations.owned(store, me["id"], conv["id"])
    with store.transaction():
        for _ in range(MESSAGES):
            messages.add(store, row, role="user", content=TEXT, parent_id=None,
                         status="sent")
    return conv["id"]


async def _answered_meanwhile(api, heavy) -> tuple[int, object]:
    """How many probe requests the loop answered while `heavy` was in progress."""
    task = asyncio.create_task(heavy)
    answered = 0
    while not task.done():
        await asyncio.sleep(0)
        probe = await api.call("GET", "/api/v1/users/me")
        assert probe.status_code == 200
        if not task.done():
            answered += 1
    return answered, await task


def _sliced(answered: int) -> None:
    # MESSAGES / 16 (the share's pages) is about 40 turns of the loop; in one piece: 0 to 2.
    assert answered >= 10, f"only {answered} other requests answered meanwhile"


@pytest.mark.parametrize("operation", ["summary", "title"])
def test_a_summary_or_title_of_a_long_conversation_lets_others_through(make_api, run,
                                                                        operation):
    async def go():
        api = await (await make_api()).login()
        cid = await _long_conversation(api)
        if operation == "summary":
            heavy = api.call("GET", f"/api/v1/conversations/{cid}/summary")
        else:
            heavy = api.call("POST", f"/api/v1/conversations/{cid}/title", json={})
        answered, r = await _answered_meanwhile(api, heavy)
        assert r.status_code == 200, r.text
        if operation == "summary":
            assert r.json()["message_count"] == MESSAGES
            assert r.json()["key_topics"][:3] == ["lisbon", "trams", "climb"]
        else:
            assert r.json()["title"].startswith("Lisbon, trams and climb")
        _sliced(answered)
    run(go(), timeout=300)


def test_sharing_reading_and_cloning_a_long_conversation_let_others_through(make_api, run):
    async def go():
        api = await (await make_api()).login()
        cid = await _long_conversation(api)
        answered, r = await _answered_meanwhile(
            api, api.call("PUT", f"/api/v1/conversations/{cid}/share", json={}))
        assert r.status_code == 201, r.text
        _sliced(answered)
        share_id = r.json()["id"]

        answered, r = await _answered_meanwhile(
            api, api.call("GET", f"/api/v1/public/shares/{share_id}", token=None))
        assert r.status_code == 200
        body = json.loads(r.content)
        assert len(body["messages"]) == MESSAGES
        assert {m["content"] for m in body["messages"]} == {TEXT}
        _sliced(answered)

        answered, r = await _answered_meanwhile(
            api, api.call("POST", f"/api/v1/shares/{share_id}/clone"))
        assert r.status_code == 201, r.text
        page = (await api.call("GET", f"/api/v1/conversations/{r.json()['id']}/messages",
                               params={"limit": 100})).json()
        assert len(page["items"]) == 100 and page["next_cursor"]
        _sliced(answered)

        answered, r = await _answered_meanwhile(
            api, api.call("DELETE", f"/api/v1/shares/{share_id}"))
        assert r.status_code == 204
        assert api.state.store.one("SELECT count(*) AS n FROM share_messages")["n"] == \
            _fixture_snapshot_rows(api)
    run(go(), timeout=300)


def _fixture_snapshot_rows(api) -> int:
    return api.state.store.one("SELECT sum(message_count) AS n FROM shares")["n"] or 0


def test_deleting_a_long_conversation_lets_others_through(make_api, run):
    async def go():
        api = await (await make_api()).login()
        cid = await _long_conversation(api)
        r = await api.call("PUT", f"/api/v1/conversations/{cid}/share", json={})
        share_id = r.json()["id"]
        answered, r = await _answered_meanwhile(
            api, api.call("DELETE", f"/api/v1/conversations/{cid}"))
        assert r.status_code == 204
        _sliced(answered)
        assert (await api.call("GET", f"/api/v1/conversations/{cid}")).status_code == 404
        assert (await api.call("GET", f"/api/v1/public/shares/{share_id}",
                               token=None)).status_code == 404
        store = api.state.store
        assert store.one("SELECT count(*) AS n FROM messages WHERE conversation_id = ?",
                         cid)["n"] == 0
        assert store.one("SELECT count(*) AS n FROM conversations WHERE id = ?", cid)["n"] == 0
        assert store.one("SELECT count(*) AS n FROM share_messages")["n"] == \
            _fixture_snapshot_rows(api)
    run(go(), timeout=300)
