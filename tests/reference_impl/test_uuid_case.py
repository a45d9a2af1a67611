"""UUIDs are matched case-insensitively (the contract's "Identifiers"): capitals name the same resource."""

from .test_flows import LISBON


def test_uppercase_ids_in_path_query_and_body(make_api, run):
    async def go():
        api = await (await make_api()).login()
        upper = LISBON.upper()
        assert upper != LISBON
        r = await api.call("GET", f"/api/v1/conversations/{upper}")
        assert r.status_code == 200 and r.json()["id"] == LISBON
        messages = (await api.call("GET", f"/api/v1/conversations/{LISBON}/messages")).json()
        parent = messages["items"][0]["id"]
        r = await api.call("POST", f"/api/v1/conversations/{upper}/messages",
                           json={"content": "Capitals", "parent_id": parent.upper()})
        assert r.status_code == 201 and r.json()["parent_id"] == parent
        r = await api.call("GET", f"/api/v1/conversations/{LISBON}/messages",
                           params={"parent_id": parent.upper()})
        assert r.status_code == 200 and r.json()["items"]
        assert all(m["parent_id"] == parent for m in r.json()["items"])
    run(go())


def test_an_uppercase_id_in_an_optional_body(make_api, run):
    """markConversationRead's body is optional (`anyOf: [ReadMarkerUpdate, null]`)."""
    async def go():
        api = await (await make_api()).login()
        messages = (await api.call("GET", f"/api/v1/conversations/{LISBON}/messages")).json()
        first = messages["items"][0]["id"]
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/read", json={"message_id": first.upper()})
        assert r.status_code == 200, r.text
    run(go())
