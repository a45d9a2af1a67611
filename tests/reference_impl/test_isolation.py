"""Ownership (another user's resources answer 404), write-only keys, concurrent writers."""

import asyncio
import logging

from .test_flows import ATTACHMENT, CONFIG, FIRST_MSG, LISBON, LIVE_SHARE


def test_second_user_gets_404_for_every_kind(make_api, run):
    async def go():
        bob = await (await make_api()).login("bob")
        for method, url in [("GET", f"/api/v1/conversations/{LISBON}"),
                            ("GET", f"/api/v1/messages/{FIRST_MSG}"),
                            ("GET", f"/api/v1/attachments/{ATTACHMENT}"),
                            ("GET", f"/api/v1/attachments/{ATTACHMENT}/content"),
                            ("GET", f"/api/v1/provider-configs/{CONFIG}"),
                            ("GET", f"/api/v1/conversations/{LISBON}/share"),
                            ("DELETE", f"/api/v1/shares/{LIVE_SHARE}")]:
            r = await bob.call(method, url)
            assert r.status_code == 404, (url, r.text)
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
