"""Every operation's success path and documented errors, responses checked against the contract."""


from reference_impl.services.common import encode_cursor

LISBON = "0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70"
FIRST_MSG = "9a7f3c2d-1b4e-4c6a-8d2f-3e4a5b6c7d80"
ASSISTANT_MSG = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ATTACHMENT = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"
PROVIDER = "2b9e6f1a-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
CONFIG = "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
LIVE_SHARE, EXPIRED_SHARE = "q8Xr2mKp4Vt7Yw1Zb3Nc6D", "Zx9Yw8Vu7Ts6Rq5Po4Nm3L"
MISSING = "00000000-0000-4000-8000-000000000000"


def test_auth(make_api, run):
    async def go():
        api = await make_api()
        r = await api.call("POST", "/api/v1/auth/token",
                           data={"username": "alice", "password": "wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        alice = await api.login()
        r = await alice.call("GET", "/api/v1/users/me")
        assert r.json()["username"] == "alice"
        for header in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}):
            r = await api.call("GET", "/api/v1/users/me", token=None, headers=header)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    run(go())


def test_conversations_crud_search_and_paging(make_api, run):
    async def go():
        api = await (await make_api()).login()
        made = [(await api.call("POST", "/api/v1/conversations",
                                json={"title": f"Chat {i}", "chatbot_id": "bot"})).json()
                for i in range(5)]
        r = await api.call("GET", "/api/v1/conversations", params={"limit": 2})
        page = r.json()
        assert [c["id"] for c in page["items"]] == [made[4]["id"], made[3]["id"]]
        seen = [c["id"] for c in page["items"]]
        await api.call("POST", "/api/v1/conversations", json={"title": "inserted while paging"})
        cursor = page["next_cursor"]
        for _ in range(10):
            if cursor is None:
                break
            page = (await api.call("GET", "/api/v1/conversations",
                                   params={"limit": 2, "cursor": cursor})).json()
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 7  # 5 new + alice's 2 fixtures, none repeated
        r = await api.call("GET", "/api/v1/conversations", params={"q": "PASTRIES"})
        hits = r.json()["items"]
        assert [c["id"] for c in hits] == [LISBON]
        assert hits[0]["match"]["message_id"] == "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
        r = await api.call("GET", "/api/v1/conversations", params={"status": "archived"})
        assert all(c["status"] == "archived" for c in r.json()["items"])
        r = await api.call("PATCH", f"/api/v1/conversations/{made[0]['id']}",
                           json={"title": "Renamed", "status": "archived"})
        assert r.json()["title"] == "Renamed"
        r = await api.call("DELETE", "/api/v1/conversations",
                           params={"conversation_id": [made[1]["id"], MISSING, MISSING]})
        assert r.json() == {"deleted_ids": [made[1]["id"]], "not_found_ids": [MISSING]}
        r = await api.call("DELETE", "/api/v1/conversations",
                           params={"conversation_id": [made[3]["id"]], "chatbot_id": "nope"})
        assert r.json() == {"deleted_ids": [], "not_found_ids": [made[3]["id"]]}
        r = await api.call("GET", f"/api/v1/conversations/{made[3]['id']}")
        assert r.status_code == 200  # another chatbot's conversation is left alone
        r = await api.call("DELETE", f"/api/v1/conversations/{made[2]['id']}")
        assert r.status_code == 204
        r = await api.call("GET", f"/api/v1/conversations/{made[2]['id']}")
        assert r.status_code == 404
        r = await api.call("GET", "/api/v1/conversations", params={"cursor": encode_cursor(1)})
        assert r.status_code == 200
    run(go())


def test_title_summary_read_marker_language(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("GET", f"/api/v1/conversations/{LISBON}/summary",
                           headers={"Accept-Language": "fr-FR, en;q=0.5"})
        assert r.headers["content-language"] == "fr" and " sur " in r.json()["summary"]
        r = await api.call("GET", f"/api/v1/conversations/{LISBON}/summary")
        assert r.headers["content-language"] == "en" and r.json()["message_count"] == 3
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/title", json={})
        assert r.json()["title"]
        conv = (await api.call("GET", f"/api/v1/conversations/{LISBON}")).json()
        assert conv["unread_count"] == 3
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/read",
                           json={"message_id": FIRST_MSG})
        assert r.json()["unread_count"] == 2
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/read")
        assert r.json()["unread_count"] == 0
        r = await api.call("POST", f"/api/v1/conversations/{LISBON}/read",
                           json={"message_id": FIRST_MSG})
        assert r.json()["unread_count"] == 0  # never moves backwards
    run(go())


def test_messages_threading_and_anonymisation(make_api, run):
    async def go():
        api = await (await make_api()).login()
        conv = (await api.call("POST", "/api/v1/conversations",
                               json={"is_anonymized": True})).json()
        base = f"/api/v1/conversations/{conv['id']}/messages"
        a = (await api.call("POST", base, json={"content": "mail me: ann@example.org"})).json()
        assert a["content"] == "mail me: <EMAIL_1>"
        assert a["deanonymized_content"] == "mail me: ann@example.org"
        b = (await api.call("POST", base, json={"content": "b", "parent_id": a["id"]})).json()
        c = (await api.call("POST", base, json={"content": "c", "parent_id": b["id"]})).json()
        got = (await api.call("GET", f"/api/v1/conversations/{conv['id']}")).json()
        assert got["deanonymization_mapping"] == {"<EMAIL_1>": "ann@example.org"}
        # A parent in another conversation, or none at all: the body's reference conflicts
        # with what the server holds (409); the path's conversation exists. Nothing is stored.
        for parent in (FIRST_MSG, MISSING):
            r = await api.call("POST", base, json={"content": "x", "parent_id": parent})
            assert r.status_code == 409
            assert r.json() == {"detail": "Parent message not found in this conversation"}
            r = await api.call("POST", f"/api/v1/conversations/{conv['id']}/replies",
                               json={"content": "x", "parent_id": parent})
            assert r.status_code == 409
            assert r.json() == {"detail": "Parent message not found in this conversation"}
            r = await api.call("POST", f"/api/v1/conversations/{conv['id']}/read",
                               json={"message_id": parent})
            assert r.status_code == 409
            assert r.json() == {"detail": "Message not found in this conversation"}
        r = await api.call("GET", base)
        assert [m["id"] for m in r.json()["items"]] == [a["id"], b["id"], c["id"]]
        r = await api.call("GET", f"/api/v1/conversations/{conv['id']}")
        assert r.json()["unread_count"] == 3  # the refused read marker did not move
        r = await api.call("PATCH", f"/api/v1/messages/{b['id']}",
                           json={"reactions": ["👍"], "feedback": {"rating": "up"}})
        assert r.json()["feedback"] == {"rating": "up"}
        assert (await api.call("DELETE", f"/api/v1/messages/{b['id']}")).status_code == 204
        c2 = (await api.call("GET", f"/api/v1/messages/{c['id']}")).json()
        assert c2["parent_id"] == a["id"]
        r = await api.call("GET", base, params={"parent_id": a["id"]})
        assert [m["id"] for m in r.json()["items"]] == [c["id"]]
        r = await api.call("GET", base, params={"before": "2000-01-01T00:00:00Z"})
        assert r.json()["items"] == []
        assert (await api.call("GET", f"/api/v1/messages/{MISSING}")).status_code == 404
    run(go())


def test_replies_json_and_sse_with_resume(make_api, run):
    async def go():
        api = await (await make_api()).login()
        url = f"/api/v1/conversations/{LISBON}/replies"
        r = await api.call("POST", url, json={"content": "Any tips?", "web_search": True})
        reply = r.json()
        assert reply["assistant_message"]["status"] == "completed" and reply["sources"]
        assert reply["usage"]["total_tokens"] > 0 and reply["cost_estimate"]["amount"] > 0
        r = await api.call("POST", url, json={"content": "Stream it", "stream": True})
        assert r.status_code == 201 and r.headers["content-type"].startswith("text/event-stream")
        from .conftest import parse_sse
        events = parse_sse(r.text)
        assert events[0]["event"] == "reply.started" and events[-1]["event"] == "reply.completed"
        assert [int(e["id"]) for e in events] == list(range(len(events)))
        import json
        message_id = json.loads(events[0]["data"])["message_id"]
        r = await api.call("GET", f"/api/v1/messages/{message_id}/events",
                           headers={"Last-Event-ID": "1"})
        again = parse_sse(r.text)
        assert again == events[2:]
        r = await api.call("GET", f"/api/v1/messages/{FIRST_MSG}/events")
        assert r.status_code == 404
        r = await api.call("GET", "/api/v1/messages/5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f/events")
        assert parse_sse(r.text)[-1]["event"] == "reply.completed"
    run(go())


def test_same_conversation_gives_same_reply(make_api, run):
    async def go():
        texts = []
        for _ in range(2):
            api = await (await make_api()).login()
            r = await api.call("POST", f"/api/v1/conversations/{LISBON}/replies",
                               json={"content": "Same?"})
            texts.append(r.json()["assistant_message"]["content"])
        assert texts[0] == texts[1]
    run(go())


def test_attachments(make_api, run):
    async def go():
        api = await (await make_api()).login()
        url = f"/api/v1/messages/{FIRST_MSG}/attachments"
        r = await api.call("POST", url, files={"file": ("a.bin", b"\x00\x01abc", "image/png")})
        att = r.json()
        assert r.status_code == 201 and att["size_bytes"] == 5
        r = await api.call("GET", f"/api/v1/attachments/{att['id']}/content")
        assert r.content == b"\x00\x01abc"
        r = await api.call("GET", f"/api/v1/attachments/{ATTACHMENT}/content")
        assert r.content.startswith(b"Itinerary")
        r = await api.call("GET", url)
        assert len(r.json()["items"]) == 2
        big = b"x" * (5 * 1024 * 1024 + 1)
        r = await api.call("POST", url, files={"file": ("big", big, "text/plain")})
        assert r.status_code == 413
        assert (await api.call("DELETE", f"/api/v1/attachments/{att['id']}")).status_code == 204
        assert (await api.call("GET", f"/api/v1/attachments/{att['id']}")).status_code == 404
    run(go())


def test_providers_and_configs(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", "/api/v1/providers",
                           json={"name": "example ai", "api_endpoint": "https://x.example"})
        assert r.status_code == 409
        p = (await api.call("POST", "/api/v1/providers",
                            json={"name": "Other", "api_endpoint": "https://o.example"})).json()
        assert (await api.call("GET", f"/api/v1/providers/{p['id']}")).status_code == 200
        r = await api.call("POST", "/api/v1/provider-configs",
                           json={"provider_id": p["id"], "api_key": "sk-secret-key-9876"})
        cfg = r.json()
        assert cfg["api_key_hint"] == "…9876" and "api_key" not in cfg
        r = await api.call("POST", "/api/v1/provider-configs",
                           json={"provider_id": p["id"], "api_key": "sk-secret-key-9876"})
        assert r.status_code == 409
        r = await api.call("POST", "/api/v1/provider-configs",
                           json={"provider_id": MISSING, "api_key": "sk-secret-key-9876"})
        assert r.status_code == 409 and r.json() == {"detail": "Unknown provider"}
        r = await api.call("PATCH", f"/api/v1/provider-configs/{cfg['id']}",
                           json={"api_key": "sk-rotated-5555"})
        assert r.json()["api_key_hint"] == "…5555"
        r = await api.call("GET", "/api/v1/provider-configs", params={"provider_id": p["id"]})
        assert [c["id"] for c in r.json()["items"]] == [cfg["id"]]
        # Keys are printable ASCII without spaces, so that the hint always fits its pattern.
        for key in ("sk-rotated-55\r\n", "sk-rotated 5555", "sk-rotated-555…"):
            r = await api.call("PATCH", f"/api/v1/provider-configs/{cfg['id']}",
                               json={"api_key": key})
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "api_key"]
        assert (await api.call("DELETE", f"/api/v1/provider-configs/{cfg['id']}")
                ).status_code == 204
        assert (await api.call("GET", "/api/v1/providers")).json()["items"]
    run(go())


def test_shares_snapshot_expiry_revoke_clone(make_api, run):
    async def go():
        anon = await make_api()
        api = await anon.login()
        bob = await anon.login("bob")
        r = await api.call("GET", f"/api/v1/public/shares/{LIVE_SHARE}", token=None)
        assert r.status_code == 200 and "user_id" not in r.text
        r = await api.call("GET", f"/api/v1/public/shares/{EXPIRED_SHARE}", token=None)
        assert r.status_code == 404
        conv = (await api.call("POST", "/api/v1/conversations", json={"title": "Shared"})).json()
        await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages",
                       json={"content": "before"})
        r = await api.call("PUT", f"/api/v1/conversations/{conv['id']}/share",
                           json={"expiry_days": 7})
        share = r.json()
        assert r.status_code == 201 and len(share["id"]) >= 22
        assert share["expires_at"][10:] == share["snapshot_at"][10:]  # exactly 7 days later
        r = await api.call("GET", f"/api/v1/shares/{share['id']}")
        assert r.json() == share
        r = await api.call("GET", "/api/v1/shares", params={"conversation_id": conv["id"]})
        assert r.json() == {"items": [share], "next_cursor": None}
        r = await api.call("GET", f"/api/v1/shares/{EXPIRED_SHARE}")  # the owner sees it
        assert r.status_code == 200 and r.json()["expires_at"].startswith("2026-10-27")
        await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages",
                       json={"content": "after"})
        public = (await api.call("GET", share["public_path"], token=None)).json()
        assert [m["content"] for m in public["messages"]] == ["before"]  # a snapshot
        r = await api.call("PUT", f"/api/v1/conversations/{conv['id']}/share")
        assert r.status_code == 200 and r.json()["id"] == share["id"]
        r = await api.call("GET", "/api/v1/shares", params={"q": "shar"})
        assert [s["id"] for s in r.json()["items"]] == [share["id"]]
        clone = await bob.call("POST", f"/api/v1/shares/{share['id']}/clone")
        assert clone.status_code == 201
        msgs = (await bob.call("GET", f"/api/v1/conversations/{clone.json()['id']}/messages")
                ).json()["items"]
        assert [m["content"] for m in msgs] == ["before", "after"]
        assert (await api.call("DELETE", f"/api/v1/shares/{share['id']}")).status_code == 204
        r = await api.call("GET", share["public_path"], token=None)
        assert r.status_code == 404
        r = await api.call("GET", f"/api/v1/shares/{share['id']}")
        assert r.status_code == 404
        r = await api.call("GET", "/api/v1/shares", params={"conversation_id": conv["id"]})
        assert r.json() == {"items": [], "next_cursor": None}
    run(go())
