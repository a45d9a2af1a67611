"""The Host header is checked (issue 18 #13): DNS rebinding gets a 400, local names are served.

A page on `rebind.evil.example` whose name is made to resolve to 127.0.0.1 is same-origin with
itself, so the browser lets it read the answers; only the Host header it sends says so.
"""

from __future__ import annotations

import httpx
import pytest

from reference_impl.cli import _parser, _settings_from
from reference_impl.hosts import LOCAL_HOSTS

ME = "/api/v1/users/me"


@pytest.mark.parametrize("path,method", [(ME, "GET"), ("/api/v1/auth/token", "POST"),
                                         ("/__mock/journal", "GET"), ("/docs/", "GET"),
                                         ("/openapi.json", "GET")])
@pytest.mark.parametrize("host", ["rebind.evil.example", "rebind.evil.example:8000",
                                  "localhost.evil.example", "127.0.0.1.nip.io", "[::2]:80", "",
                                  "127.0.0.1:8000@evil", "127.0.0.1:8000:1"])
def test_another_host_answers_400(make_api, run, path, method, host):
    async def go():
        api = await (await make_api()).login()
        headers = {"Host": host, "Authorization": f"Bearer {api.token}",
                   "X-Mock-Token": api.state.settings.mock_token}
        r = await api.client.request(method, path, headers=headers,
                                     data={"username": "alice", "password": "alice-dev-password"}
                                     if method == "POST" else None)
        assert r.status_code == 400, (host, r.status_code, r.text[:200])
        assert isinstance(r.json()["detail"], str) and "--allowed-host" in r.json()["detail"]
        assert r.headers["x-content-type-options"] == "nosniff"
    run(go())


@pytest.mark.parametrize("host", ["localhost", "localhost:5173", "LOCALHOST:8000", "localhost.",
                                  "127.0.0.1", "127.0.0.1:8000", "[::1]", "[::1]:8000"])
def test_local_names_are_served(make_api, run, host):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.get(ME, headers={"Host": host, "Authorization": f"Bearer {api.token}"})
        assert r.status_code == 200, (host, r.text)
    run(go())


def test_allowed_hosts_come_from_host_cors_origins_and_the_flag():
    args = _parser().parse_args(["--host", "192.168.1.20", "--cors-origin",
                                 "http://phone.lan:5173", "--allowed-host", "api.example:8000",
                                 "--allowed-host", "Chat.Example"])
    allowed = _settings_from(args).allowed_hosts
    assert set(LOCAL_HOSTS) <= set(allowed)
    assert {"192.168.1.20", "phone.lan", "api.example", "chat.example"} <= set(allowed)
    assert set(_settings_from(_parser().parse_args([])).allowed_hosts) == set(LOCAL_HOSTS)
    anything = _settings_from(_parser().parse_args(["--allowed-host", "*"])).allowed_hosts
    assert anything is None  # `*`: no check


def test_an_allowed_name_is_served_and_star_turns_the_check_off(make_api, run):
    async def go():
        api = await (await make_api(allowed_hosts=("api.example",) + LOCAL_HOSTS)).login()
        ok = await api.client.get(ME, headers={"Host": "api.example:8443",
                                               "Authorization": f"Bearer {api.token}"})
        no = await api.client.get(ME, headers={"Host": "other.example",
                                               "Authorization": f"Bearer {api.token}"})
        assert (ok.status_code, no.status_code) == (200, 400)
        open_api = await (await make_api(allowed_hosts=None)).login()
        r = await open_api.client.get(ME, headers={"Host": "anything.example",
                                                   "Authorization": f"Bearer {open_api.token}"})
        assert r.status_code == 200
    run(go())


def test_a_live_server_refuses_a_rebound_name(live_server):
    server = live_server()
    headers = {"Authorization": f"Bearer {server.token}"}
    r = httpx.get(f"{server.base_url}{ME}", headers={**headers, "Host": "rebind.evil.example"})
    assert r.status_code == 400 and "detail" in r.json()
    assert httpx.get(f"{server.base_url}{ME}", headers=headers).status_code == 200
