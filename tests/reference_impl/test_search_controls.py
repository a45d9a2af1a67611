"""Search with control characters (issue 18 #10): a NUL in `q` finds what holds a NUL, no 500.

SQLite's LIKE reads a pattern only up to its first NUL, so `q=%00` once matched every
conversation and then failed to find the NUL in the message (AttributeError, a 500).
"""

from __future__ import annotations

import pytest

CONVERSATIONS = "/api/v1/conversations"


@pytest.mark.parametrize("q", ["\x00", "a\x00", "\x00b", "x\x00y", "\x01", "\x1b[31m", "\x85"])
def test_a_control_character_in_q_is_searched_for_as_itself(make_api, run, q):
    async def go():
        api = await (await make_api()).login()
        plain = (await api.call("POST", CONVERSATIONS, json={"title": "plain"})).json()
        await api.call("POST", f"{CONVERSATIONS}/{plain['id']}/messages",
                       json={"content": "nothing special here: a b x y"})
        holder = (await api.call("POST", CONVERSATIONS, json={"title": "holder"})).json()
        await api.call("POST", f"{CONVERSATIONS}/{holder['id']}/messages",
                       json={"content": f"before {q} after"})
        titled = (await api.call("POST", CONVERSATIONS, json={"title": f"t{q}t"})).json()
        r = await api.call("GET", CONVERSATIONS, params={"q": q, "limit": 100})
        assert r.status_code == 200, r.text
        found = {c["id"]: c for c in r.json()["items"]}
        assert set(found) == {holder["id"], titled["id"]}
        assert q in found[holder["id"]]["match"]["excerpt"]
        assert found[titled["id"]]["match"] is None
    run(go())


def test_a_nul_in_a_share_search_finds_only_titles_holding_it(make_api, run):
    async def go():
        api = await (await make_api()).login()
        for title in ("plain", "with \x00 nul"):
            conv = (await api.call("POST", CONVERSATIONS, json={"title": title})).json()
            assert (await api.call("PUT", f"{CONVERSATIONS}/{conv['id']}/share")
                    ).status_code in (200, 201)
        r = await api.call("GET", "/api/v1/shares", params={"q": "\x00", "limit": 100})
        assert r.status_code == 200, r.text
        assert [s["title"] for s in r.json()["items"]] == ["with \x00 nul"]
    run(go())
