"""Large JSON bodies are validated in a helper process (reference_impl/offload.py)."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from reference_impl.errors import RequestValidationError
from reference_impl.offload import OFFLOAD_BYTES

PROVIDERS = "/api/v1/providers"
# 200,000 models: over the contract's bound, in a body just under the 1 MiB limit.
HUGE_INVALID = json.dumps({"name": "P", "api_endpoint": "https://x.example",
                           "models": ["a"] * 200_000}).encode()


def test_a_large_invalid_body_gets_the_same_422_from_the_helper(make_api, run):
    async def go():
        api = await (await make_api()).login()
        expected = _inline_errors(api.state, "createProvider", HUGE_INVALID)
        await _offload(api).start()
        r = await api.call("POST", PROVIDERS, content=HUGE_INVALID,
                           headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"] == expected
        assert _offload(api)._pool is not None  # it did go to the helper
    run(go())


def test_a_large_valid_body_is_stored_exactly(make_api, run):
    # The contract's longest message, as escaped JSON: six times over OFFLOAD_BYTES.
    content = "🙂é\u2028" * 10_666 + "x" * 2
    body = json.dumps({"content": content, "metadata": {"k": "v", "n": "1.5"}}).encode()
    assert len(body) > OFFLOAD_BYTES

    async def go():
        api = await (await make_api()).login()
        conv = (await api.call("POST", "/api/v1/conversations", json={})).json()
        await _offload(api).start()
        r = await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages", content=body,
                           headers={"Content-Type": "application/json"})
        assert r.status_code == 201, r.text
        back = (await api.call("GET", f"/api/v1/messages/{r.json()['id']}")).json()
        assert (back["content"], back["metadata"]) == (content, {"k": "v", "n": "1.5"})
        assert _offload(api)._pool is not None
    run(go())


def test_the_first_large_body_does_not_wait_for_the_helper(make_api, run):
    async def go():
        api = await (await make_api()).login()
        assert (await _post_huge(api)).status_code == 422  # validated in place
        assert _offload(api)._pool is not None  # while the helper starts
    run(go())


def test_the_event_loop_serves_others_while_a_large_body_is_validated(make_api, run):
    async def go():
        api = await (await make_api()).login()
        await _offload(api).start()
        ticks = 0
        done = asyncio.Event()

        async def count():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)
        counter = asyncio.create_task(count())
        await asyncio.sleep(0)
        before = ticks
        await _post_huge(api)
        during = ticks - before
        done.set()
        await counter
        # Validated on the loop, the 60-110 ms of work would let the counter run about twice.
        assert during > 20, during
    run(go())


def test_a_dead_helper_is_replaced(make_api, run):
    async def go():
        api = await (await make_api()).login()
        offload = _offload(api)
        await offload.start()
        for pid in list(offload._pool._processes):
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        assert (await _post_huge(api)).status_code == 422  # validated in place meanwhile
        assert offload._pool is None
        assert (await _post_huge(api)).status_code == 422  # in place while a new one starts
        await offload.start()
        assert (await _post_huge(api)).status_code == 422  # by the new helper
    run(go())


async def _post_huge(api):
    return await api.call("POST", PROVIDERS, content=HUGE_INVALID,
                          headers={"Content-Type": "application/json"})


def _offload(api):
    return _contract_middleware(api.state).offload


def _contract_middleware(state):
    # The offload is shared by the app's ContractMiddleware; find it through the gc.
    import gc

    from reference_impl.app import ContractMiddleware
    found = [o for o in gc.get_objects() if isinstance(o, ContractMiddleware) and o.state is state]
    assert len(found) == 1
    return found[0]


def _inline_errors(state, operation_id: str, body: bytes) -> list:
    validator = _contract_middleware(state).validator
    with pytest.raises(RequestValidationError) as caught:
        validator.validate(validator.operations[operation_id], {}, b"", {}, {},
                           "application/json", body)
    return caught.value.errors
