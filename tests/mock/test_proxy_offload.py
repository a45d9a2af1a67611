"""The proxy validates large JSON bodies off its event loop, as the server does (issue 18, #7).

Evidence by order, not by time: while one proxied request's 1 MiB body (arrays 29 deep: most
of a second of validation) is being validated, other proxied requests are answered; before,
the loop was held for the whole validation and none was.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from reference_impl.app import load_contract
from reference_impl.offload import OFFLOAD_BYTES
from reference_impl.proxy import Proxy

from .conftest import CONVERSATIONS

DEEP = "[" * 29 + "]" * 29
BIG = ('{"title": "t", "metadata": {"k": [' + ",".join([DEEP] * 17_700) + "]}}").encode()


def _upstream() -> Starlette:
    async def conversations(request):
        await request.body()
        return JSONResponse({"detail": [{"loc": ["body"], "msg": "no", "type": "value_error"}]},
                            422)

    async def me(request):
        return JSONResponse({"detail": "Not authenticated"}, 401,
                            headers={"WWW-Authenticate": "Bearer"})

    return Starlette(routes=[Route(CONVERSATIONS, conversations, methods=["POST"]),
                             Route("/api/v1/users/me", me)])


def test_other_requests_are_answered_while_a_large_body_is_validated(run):
    assert OFFLOAD_BYTES < len(BIG) <= 1024 * 1024
    proxy = Proxy("http://backend", load_contract(),
                  transport=httpx.ASGITransport(app=_upstream()))

    async def go():
        await proxy.offload.start()  # the helper is ready, as it is soon after start-up
        proxy.offload.deadline = 600  # a loaded machine may be slow; the order is what counts
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://127.0.0.1:8080", timeout=60) as client:
            big = asyncio.create_task(client.post(
                CONVERSATIONS, content=BIG, headers={"Content-Type": "application/json",
                                                     "Authorization": "Bearer t"}))
            answered_meanwhile = 0
            while not big.done():
                # An in-process request never waits on I/O: let the big one's task move too.
                await asyncio.sleep(0)
                small = await client.get("/api/v1/users/me")
                assert small.status_code == 401
                if not big.done():
                    answered_meanwhile += 1
            response = await big
        assert response.status_code == 422
        assert int(response.headers["x-contract-violations"]) == 1  # it was validated
        assert response.headers["x-contract-violation"].startswith("request: body/metadata")
        assert answered_meanwhile >= 1
        await proxy.client.aclose()
    try:
        run(go(), timeout=600)
    finally:
        proxy.offload.close()
