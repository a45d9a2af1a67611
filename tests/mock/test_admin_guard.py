"""The admin API answers only the holder of the start-up token, and never another origin."""

import pytest

from reference_impl.app import load_contract
from reference_impl.proxy import Proxy

from .conftest import CONVERSATIONS

ROUTES = [("GET", "/__mock/journal"), ("DELETE", "/__mock/journal"), ("GET", "/__mock/sessions"),
          ("POST", "/__mock/sessions/default/reset"), ("PUT", "/__mock/sessions/default/snapshots/a"),
          ("POST", "/__mock/sessions/default/snapshots/a/restore"), ("DELETE", "/__mock/sessions/qa")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_admin_route_needs_the_token_and_the_same_origin(make_api, run, method, path):
    async def go():
        api = await (await make_api()).login()
        token = api.state.settings.mock_token
        r = await api.client.request(method, path, headers={"Content-Type": "text/plain"}, content=b"x")
        assert r.status_code == 401 and "X-Mock-Token" in r.json()["detail"]
        # A bearer token is no admin token: users never read each other's traffic.
        r = await api.client.request(method, path, headers={"Authorization": f"Bearer {api.token}"})
        assert r.status_code == 401
        r = await api.client.request(method, path, headers={"X-Mock-Token": token + "x"})
        assert r.status_code == 401
        for origin in ("http://evil.example", "http://127.0.0.1:9999", "null"):
            r = await api.client.request(method, path, headers={"X-Mock-Token": token, "Origin": origin})
            assert r.status_code == 403, origin
        r = await api.client.request(method, path, headers={"X-Mock-Token": token,
                                                            "Origin": "http://127.0.0.1:8000"})
        assert r.status_code < 400 or r.status_code == 404, r.text
    run(go())


def test_a_refused_reset_changes_nothing(make_api, run):
    async def go():
        api = await (await make_api()).login()
        created = (await api.call("POST", CONVERSATIONS, json={"title": "kept"})).json()
        r = await api.client.post("/__mock/sessions/default/reset", content=b"x",
                                  headers={"Content-Type": "text/plain", "Origin": "http://evil.example"})
        assert r.status_code == 403
        assert (await api.call("GET", f"{CONVERSATIONS}/{created['id']}")).status_code == 200
    run(go())


def test_the_token_comes_from_the_environment_when_set(make_api, run, monkeypatch):
    monkeypatch.setenv("CHAT_CONTRACT_MOCK_TOKEN", "shared-by-workers")

    async def go():
        api = await make_api()
        assert api.state.settings.mock_token == "shared-by-workers"
        r = await api.client.get("/__mock/journal", headers={"X-Mock-Token": "shared-by-workers"})
        assert r.status_code == 200
        proxy = Proxy("http://127.0.0.1:1", load_contract())
        assert proxy.mock_token == "shared-by-workers"
        await proxy.client.aclose()
    run(go())


def test_two_apps_get_different_tokens(make_api, run):
    async def go():
        assert (await make_api()).state.settings.mock_token != (await make_api()).state.settings.mock_token
    run(go())
