"""Ownership (another user's resources answer 404; bodies naming them 409), write-only keys,
concurrent writers."""

import asyncio
import logging

from .test_flows import (ASSISTANT_MSG, ATTACHMENT, CONFIG, EXPIRED_SHARE, FIRST_MSG, LISBON,
                         LIVE_SHARE)


def test_second_user_gets_404_for_every_kind(make_api, run):
    async def go():
        bob = await (await make_api()).login("bob")
        conv = f"/api/v1/conversations/{LISBON}"
        for method, url, body in [
                ("GET", conv, None), ("PATCH", conv, {"title": "mine"}), ("DELETE", conv, None),
                ("GET", f"{conv}/messages", None), ("POST", f"{conv}/messages", {"content": "x"}),
                ("POST", f"{conv}/replies", {"content": "x"}), ("GET", f"{conv}/summary", None),
                ("POST", f"{conv}/title", {}), ("POST", f"{conv}/read", {}),
                ("PUT", f"{conv}/share", {}),
                ("GET", f"/api/v1/messages/{FIRST_MSG}", None),
                ("PATCH", f"/api/v1/messages/{FIRST_MSG}", {"content": "x"}),
                ("DELETE", f"/api/v1/messages/{FIRST_MSG}", None),
                ("GET", f"/api/v1/messages/{ASSISTANT_MSG}/events", None),
                ("GET", f"/api/v1/messages/{FIRST_MSG}/attachments", None),
                ("GET", f"/api/v1/attachments/{ATTACHMENT}", None),
                ("GET", f"/api/v1/attachments/{ATTACHMENT}/content", None),
                ("DELETE", f"/api/v1/attachments/{ATTACHMENT}", None),
                ("GET", f"/api/v1/provider-configs/{CONFIG}", None),
                ("PATCH", f"/api/v1/provider-configs/{CONFIG}", {"default_model": "m"}),
                ("DELETE", f"/api/v1/provider-configs/{CONFIG}", None),
                ("GET", f"/api/v1/shares/{LIVE_SHARE}", None),
                ("GET", f"/api/v1/shares/{EXPIRED_SHARE}", None),
                ("DELETE", f"/api/v1/shares/{LIVE_SHARE}", None)]:
            r = await bob.call(method, url, json=body) if body is not None \
                else await bob.call(method, url)
            assert r.status_code == 404, (method, url, r.text)
        # Bodies naming alice's resources: 409 (the contract's Conflict), exactly as for a
        # missing one, neither a validation error nor anything that reveals alice's resource.
        own = (await bob.call("POST", "/api/v1/conversations", json={})).json()["id"]
        for url, body, detail in [
                (f"/api/v1/conversations/{own}/messages",
                 {"content": "x", "parent_id": FIRST_MSG},
                 "Parent message not found in this conversation"),
                (f"/api/v1/conversations/{own}/replies",
                 {"content": "x", "parent_id": FIRST_MSG},
                 "Parent message not found in this conversation"),
                (f"/api/v1/conversations/{own}/read", {"message_id": FIRST_MSG},
                 "Message not found in this conversation")]:
            r = await bob.call("POST", url, json=body)
            assert r.status_code == 409 and r.json() == {"detail": detail}, (url, r.text)
        # Lists never show alice's resources to bob.
        for url, params in [("/api/v1/shares", {"conversation_id": LISBON}),
                            ("/api/v1/shares", {}), ("/api/v1/provider-configs", {}),
                            ("/api/v1/conversations", {"q": "Lisbon"})]:
            items = (await bob.call("GET", url, params=params)).json()["items"]
            assert all(LISBON not in str(i) and CONFIG not in str(i) for i in items), url
        # Nothing of alice's changed.
        alice = await bob.login("alice")
        assert (await alice.call("GET", conv)).json()["title"] == "Trip to Lisbon"
        assert (await alice.call("GET", f"/api/v1/shares/{LIVE_SHARE}")).status_code == 200
    run(go())


def test_no_api_key_in_any_body_or_log(make_api, run, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "sk-never-shown-abcdef-7777"

    async def go():
        api = await (await make_api()).login()
        bodies = []
        r = await api.call("POST", "/api/v1/providers",
                           json={"name": "Leak test", "api_endpoint": "https://l.example"})
        r = await api.call("POST", "/api/v1/provider-configs",
                           json={"provider_id": r.json()["id"], "api_key": secret})
        bodies.append(r.text)
        cid = r.json()["id"]
        for url in (f"/api/v1/provider-configs/{cid}", "/api/v1/provider-configs",
                    f"/api/v1/provider-configs/{CONFIG}"):
            bodies.append((await api.call("GET", url)).text)
        bodies.append((await api.call("PATCH", f"/api/v1/provider-configs/{cid}",
                                      json={"api_key": secret + "x"})).text)
        return bodies

    bodies = run(go())
    assert all(secret not in b and "sk-example-fixture-key" not in b for b in bodies)
    assert secret not in caplog.text


def test_sixteen_concurrent_writers_lose_nothing(make_api, run):
    async def go():
        anon = await make_api()
        api = await anon.login()
        conv = (await api.call("POST", "/api/v1/conversations", json={})).json()
        url = f"/api/v1/conversations/{conv['id']}/messages"

        async def writer(n):
            return [(await api.client.post(url, json={"content": f"w{n}-{i}"},
                                           headers={"Authorization": f"Bearer {api.token}"})
                     ).status_code for i in range(10)]
        statuses = sum(await asyncio.gather(*(writer(n) for n in range(16))), [])
        assert statuses == [201] * 160
        count = anon.state.store.one("SELECT COUNT(*) AS n FROM messages WHERE "
                                     "conversation_id = ?", conv["id"])["n"]
        assert count == 160
    run(go())
