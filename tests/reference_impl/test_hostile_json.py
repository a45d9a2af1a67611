"""Bodies Python's json accepts but the contract does not: 422 with the field's loc, nothing stored.

Lone surrogates once poisoned rows (stored, then every read answered 500); thousands of digits,
deep nesting and NaN answered 500. Every JSON-stored field gets the lone-surrogate case.
"""

from __future__ import annotations

import json

import pytest

from reference_impl.json_input import MAX_DEPTH

from .conftest import contract_middleware

TABLES = ("conversations", "messages", "attachments", "providers", "provider_configs",
          "shares", "read_markers", "reply_events")
LONE = "\\ud800"  # as the client sends it: a JSON escape, not a Python character


def counts(state) -> dict[str, int]:
    return {t: state.store.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in TABLES}


async def _setup(make_api):
    api = await (await make_api()).login()
    conv = (await api.call("POST", "/api/v1/conversations", json={"title": "t"})).json()
    msg = (await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages",
                          json={"content": "hello"})).json()
    return api, conv["id"], msg["id"]


# (method, path template, body with LONE where the surrogate goes, loc expected)
JSON_STORED = [
    ("POST", "/api/v1/providers",
     '{"name": "P", "api_endpoint": "https://x.example", "models": ["%s"]}',
     ["body", "models", 0]),
    ("POST", "/api/v1/conversations", '{"metadata": {"k": "%s"}}', ["body", "metadata", "k"]),
    ("POST", "/api/v1/conversations", '{"metadata": {"%s": "v"}}', ["body", "metadata", "?"]),
    ("PATCH", "/api/v1/conversations/{conv}", '{"metadata": {"k": "%s"}}',
     ["body", "metadata", "k"]),
    ("POST", "/api/v1/conversations/{conv}/messages",
     '{"content": "x", "metadata": {"k": "%s"}}', ["body", "metadata", "k"]),
    ("PATCH", "/api/v1/messages/{msg}", '{"metadata": {"k": "%s"}}', ["body", "metadata", "k"]),
    ("PATCH", "/api/v1/messages/{msg}", '{"reactions": ["%s"]}', ["body", "reactions", 0]),
    ("PATCH", "/api/v1/messages/{msg}", '{"feedback": {"rating": "up", "comment": "%s"}}',
     ["body", "feedback", "comment"]),
    # Text columns: stored as TEXT, and SQLite cannot encode a surrogate either.
    ("POST", "/api/v1/conversations", '{"title": "a%sb"}', ["body", "title"]),
    ("POST", "/api/v1/conversations/{conv}/messages", '{"content": "%s"}', ["body", "content"]),
    ("POST", "/api/v1/conversations/{conv}/replies", '{"content": "%s"}', ["body", "content"]),
    ("PATCH", "/api/v1/messages/{msg}", '{"content": "%s"}', ["body", "content"]),
]


@pytest.mark.parametrize("method,path,body,loc", JSON_STORED,
                         ids=[f"{m} {p} {l[-1]}" for m, p, _, l in JSON_STORED])
def test_lone_surrogate_is_refused_and_nothing_stored(make_api, run, method, path, body, loc):
    async def go():
        api, conv, msg = await _setup(make_api)
        before = counts(api.state)
        url = path.format(conv=conv, msg=msg)
        r = await api.call(method, url, content=(body % LONE).encode(),
                           headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == loc
        assert r.json()["detail"][0]["type"] == "string_unicode"
        assert counts(api.state) == before
        # Every list and read still answers: nothing poisoned.
        for read in ("/api/v1/providers", "/api/v1/conversations", f"/api/v1/messages/{msg}",
                     f"/api/v1/conversations/{conv}/messages", f"/api/v1/conversations/{conv}"):
            assert (await api.call("GET", read)).status_code == 200
        # The same body with a valid surrogate pair is stored and reads back.
        paired = (body % "\\ud83d\\ude00").encode()
        ok = await api.call(method, url, content=paired,
                            headers={"content-type": "application/json"})
        assert ok.status_code in (200, 201), ok.text
    run(go())


def test_encoded_surrogate_bytes_are_not_utf8(make_api, run):
    """The contract (issue 18 #15): escaped, a lone surrogate is a 422 `string_unicode`; encoded
    (ED A0 80), the bytes are not UTF-8: the contract admits the 400 of a body that cannot be
    decoded (this server's strict decoder) or that 422."""
    async def go():
        api, _, _ = await _setup(make_api)
        before = counts(api.state)
        r = await api.call("POST", "/api/v1/conversations", content=b'{"title": "\xed\xa0\x80"}',
                           headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json() == {"detail": "There was an error parsing the body"}
        assert counts(api.state) == before
    run(go())


@pytest.mark.parametrize("body,loc,kind", [
    ('{"title": %s}' % ("9" * 5000), ["body", "title"], "number_out_of_range"),
    ('{"title": -%s}' % ("9" * 30), ["body", "title"], "number_out_of_range"),
    ('{"title": 1e999}', ["body", "title"], "number_out_of_range"),
    ('{"title": NaN}', ["body", "title"], "number_out_of_range"),
    ('{"metadata": {"k": Infinity}}', ["body", "metadata", "k"], "number_out_of_range"),
    # Past the parser's own recursion limit: still `too_deep` (issue 18 #15: was `json_invalid`).
    ('{"metadata": %s}' % ("[" * 5000 + "]" * 5000), ["body"], "too_deep"),
    ('{"metadata": %s}' % ("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)),
     (["body", "metadata"] + [0] * MAX_DEPTH)[:32], "too_deep"),  # loc: 32 parts at most
])
def test_numbers_and_depth_beyond_the_limits_answer_422(make_api, run, body, loc, kind):
    async def go():
        api, _, _ = await _setup(make_api)
        before = counts(api.state)
        r = await api.call("POST", "/api/v1/conversations", content=body.encode(),
                           headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        item = r.json()["detail"][0]
        assert (item["loc"], item["type"]) == (loc, kind)
        assert counts(api.state) == before
    run(go())


@pytest.mark.parametrize("query", ["limit=" + "9" * 5000, "limit=-" + "1" * 40])
def test_huge_query_integers_answer_422(make_api, run, query):
    async def go():
        api, _, _ = await _setup(make_api)
        r = await api.call("GET", f"/api/v1/conversations?{query}")
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "limit"]
        assert r.json()["detail"][0]["type"] == "int_parsing_size"
    run(go())


def test_journal_limit_in_other_digits_is_400(make_api, run):
    async def go():
        api = await make_api()
        token = api.state.settings.mock_token
        r = await api.client.get("/__mock/journal?limit=²", headers={"X-Mock-Token": token})
        assert r.status_code == 400
    run(go())


SHAPES = {
    # 262,000 items: once every item's error was built before the list was cut (35 s).
    "long array": ("POST", "/api/v1/providers",
                   lambda n: json.dumps({"name": "P", "api_endpoint": "https://x.example",
                                         "models": ["a"] * n})),
    "unknown field": ("POST", "/api/v1/providers",
                      lambda n: json.dumps({"ids": ["\ud800"] * n})),
    "metadata keys": ("POST", "/api/v1/conversations",
                      lambda n: json.dumps({"metadata": {f"k{i}": "v" for i in range(n)}})),
    "long string": ("POST", "/api/v1/conversations",
                    lambda n: json.dumps({"title": "x" * (n * 4)})),
    "many bad fields": ("POST", "/api/v1/conversations",
                        lambda n: json.dumps({f"f{i}": 1 for i in range(n)})),
    "bad reactions": ("PATCH", "/api/v1/messages/{msg}",
                      lambda n: json.dumps({"reactions": [1] * n})),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_1mib_body_is_answered_with_a_bounded_422(make_api, run, shape):
    # How long it takes is chat-contract bench's to measure (the abuse scenario sends 1 MiB
    # invalid bodies beside ordinary reads): a test on a loaded machine must not race the clock.
    method, path, make = SHAPES[shape]

    async def go():
        api, conv, msg = await _setup(make_api)
        n = 1000
        while len(make(n * 2)) <= 1024 * 1024:
            n *= 2
        while len(make(n + n // 8)) <= 1024 * 1024:
            n += n // 8
        body = make(n).encode()
        assert 1024 * 1024 * 3 // 4 < len(body) <= 1024 * 1024
        await contract_middleware(api.state).offload.start()  # as a server does at start-up
        r = await api.call(method, path.format(conv=conv, msg=msg), content=body,
                           headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text[:300]
        assert len(r.json()["detail"]) <= 100
    run(go())
