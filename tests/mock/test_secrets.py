"""A rejected secret is never echoed: not in the 422, the proxy's headers, its journal or logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from reference_impl.app import load_contract
from reference_impl.proxy import Proxy

SECRET = "sk-live-7Hq2ZpX9wLbN4"
PROVIDER = "3c7e9a1b-2d4f-4a6b-8c0d-1e2f3a4b5c6d"
BAD_KEYS = {"too long": SECRET * 40, "space": f"{SECRET} x", "control": f"{SECRET}\u0007",
            "non-ascii": f"{SECRET}é", "too short": SECRET[:5]}


def _leaks(text: str, key: str) -> bool:
    return key[:12] in text  # any recognisable piece of the key


async def _bad_config(client, key, headers):
    return await client.post("/api/v1/provider-configs", headers=headers,
                             json={"provider_id": PROVIDER, "api_key": key})


@pytest.mark.parametrize("case", BAD_KEYS)
def test_the_reference_server_and_the_proxy_never_echo_a_rejected_key(make_api, run, caplog, case):
    key = BAD_KEYS[case]

    async def go():
        api = await (await make_api()).login()
        auth = {"Authorization": f"Bearer {api.token}"}
        with caplog.at_level(logging.DEBUG):
            r = await _bad_config(api.client, key, auth)
            assert r.status_code == 422
            assert not _leaks(r.text, key), r.text
            # The reference server answers local names only (hosts.py): a local upstream.
            proxy = Proxy("http://127.0.0.1:8000", load_contract(),
                          transport=httpx.ASGITransport(app=api.client._transport.app))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                         base_url="http://127.0.0.1:8080") as client:
                r = await _bad_config(client, key, auth)
                assert r.status_code == 422 and int(r.headers["x-contract-violations"]) >= 1
                assert not _leaks(str(r.headers), key), r.headers
                journal = await client.get("/__mock/journal", headers={"X-Mock-Token": proxy.mock_token})
                assert "api_key" in journal.text and not _leaks(journal.text, key)
            await proxy.client.aclose()
        assert not _leaks(caplog.text, key)
    run(go())


def test_the_proxy_does_not_repeat_a_key_a_broken_backend_leaks():
    import asyncio

    leaked = {"id": PROVIDER, "provider_id": PROVIDER, "api_key_hint": SECRET, "default_model": None,
              "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}

    async def get_config(request):
        return JSONResponse(leaked)

    backend = Starlette(routes=[Route("/api/v1/provider-configs/{config_id}", get_config)])
    proxy = Proxy("http://backend", load_contract(), transport=httpx.ASGITransport(app=backend))

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://127.0.0.1:8080") as client:
            r = await client.get(f"/api/v1/provider-configs/{PROVIDER}", headers={"Authorization": "Bearer t"})
            assert int(r.headers["x-contract-violations"]) >= 1
            assert "api_key_hint" in r.headers["x-contract-violation"]
            assert SECRET not in r.headers["x-contract-violation"]
            journal = await client.get("/__mock/journal", headers={"X-Mock-Token": proxy.mock_token})
            assert "api_key_hint" in journal.text and SECRET not in journal.text
        await proxy.client.aclose()
    asyncio.run(go())
