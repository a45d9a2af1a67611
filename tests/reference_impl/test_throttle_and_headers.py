"""Sign-in throttling (429 + Retry-After; the policy itself: test_sign_in_throttle.py), hashing off the event loop, nosniff, dead share links."""

from __future__ import annotations

import asyncio
import time

import pytest

from reference_impl import auth
from reference_impl.throttle import FAILURES, WINDOW

TOKEN = "/api/v1/auth/token"


async def _sign_in(api, username, password):
    return await api.call("POST", TOKEN, token=None, data={"username": username, "password": password})


@pytest.mark.parametrize("username", ["alice", "nobody-by-this-name"])
def test_failed_sign_ins_beyond_the_policy_answer_429(make_api, run, username):
    async def go():
        api = await make_api()
        for _ in range(FAILURES):
            assert (await _sign_in(api, username, "wrong")).status_code == 401
        r = await _sign_in(api, username, f"{username}-dev-password")
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= WINDOW
        # Another username is not held back, in the shared state or in a mock session.
        assert (await _sign_in(api, "bob", "bob-dev-password")).status_code == 200
        r = await api.call("POST", TOKEN, token=None, headers={"X-Mock-Session": "other"},
                           data={"username": username, "password": "wrong"})
        assert r.status_code == 429
    run(go())


def test_hashing_runs_off_the_event_loop(make_api, run, monkeypatch):
    slow = auth.hash_password

    def slow_hash(password, salt):
        time.sleep(0.5)  # what a costlier hash would take: CPU the loop must not wait on
        return slow(password, salt)

    async def go():
        api = await (await make_api()).login()
        monkeypatch.setattr(auth, "hash_password", slow_hash)
        finished: list[str] = []

        async def sign_in():
            await _sign_in(api, "bob", "bob-dev-password")
            finished.append("sign-in")

        async def read():
            await asyncio.sleep(0.05)
            await api.call("GET", "/api/v1/users/me")
            finished.append("read")
        await asyncio.gather(sign_in(), read())
        assert finished == ["read", "sign-in"]
    run(go())


def test_every_response_carries_nosniff(make_api, run):
    async def go():
        api = await (await make_api()).login()
        conv = (await api.call("POST", "/api/v1/conversations", json={})).json()
        responses = [
            await api.call("GET", "/api/v1/conversations"),
            await api.call("GET", "/api/v1/conversations", token=None),
            await api.call("GET", "/api/v1/conversations/00000000-0000-4000-8000-000000000000"),
            await api.call("POST", "/api/v1/conversations", json={"title": 5}),
            await api.call("POST", f"/api/v1/conversations/{conv['id']}/replies",
                           json={"content": "hi", "stream": True}),
            await api.client.delete("/api/v1/users/me"),
            await api.client.get("/__mock/journal"),
            await api.client.get("/docs/"),
            await api.client.get("/openapi.json"),
            await api.client.options("/api/v1/conversations", headers={
                "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}),
        ]
        assert {r.status_code for r in responses} >= {200, 201, 401, 404, 405, 422}
        for r in responses:
            assert r.headers.get("x-content-type-options") == "nosniff", (r.request.url, r.status_code)
    run(go())


def test_sharing_an_expired_link_again_mints_a_new_id(make_api, run):
    async def go():
        api = await (await make_api()).login()
        conv = (await api.call("POST", "/api/v1/conversations", json={"title": "s"})).json()
        url = f"/api/v1/conversations/{conv['id']}/share"
        first = await api.call("PUT", url, json={"expiry_days": 1})
        assert first.status_code == 201
        again = await api.call("PUT", url, json={"expiry_days": 1})
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        with api.state.store.transaction() as conn:
            conn.execute("UPDATE shares SET expires_at = '2000-01-01T00:00:00.000000Z'")
        renewed = await api.call("PUT", url, json={"expiry_days": 1})
        assert renewed.status_code == 201 and renewed.json()["id"] != first.json()["id"]
        old = await api.call("GET", f"/api/v1/public/shares/{first.json()['id']}", token=None)
        assert old.status_code == 404
        new = await api.call("GET", f"/api/v1/public/shares/{renewed.json()['id']}", token=None)
        assert new.status_code == 200
    run(go())
