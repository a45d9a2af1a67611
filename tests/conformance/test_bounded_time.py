"""ROB-005 judges what its time bound means, not the machine's speed (issue 18, #17).

A busy machine stretches every request alike: a correct server whose 1 MiB body takes longer
than 5 seconds there, because everything takes longer, passes. A server that spends far more on
the body than on taking it in, or never answers, fails (the fake's `rob_unbounded_validation`,
tests/conformance/test_defects.py).
"""

from __future__ import annotations

import asyncio

from conformance.checks.robustness import (BOUNDED_SECONDS, SLOWER_THAN_INTAKE,
                                           large_body_verdict)

from .conftest import CREDENTIALS
from .fake_server import ServerThread, build_app

SECONDS_PER_MIB = 6.0  # the "busy machine": past ROB-005's 5 seconds for a 1 MiB body


class BusyMachine:
    """The fake on a machine where every byte of a request costs SECONDS_PER_MIB per MiB."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        size = sum(len(m.get("body", b"")) for m in messages)
        await asyncio.sleep(SECONDS_PER_MIB * size / (1024 * 1024))
        replay = iter(messages)

        async def replayed():  # noqa: ANN202
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


def test_a_correct_server_on_a_busy_machine_passes_rob_005():
    from conformance.config import resolve
    from conformance.runner import run

    with ServerThread(BusyMachine(build_app())) as server:
        config = resolve({"base_url": server.url, "profile": "smoke", "only": "robustness",
                          **CREDENTIALS}, {})
        result = run(config)
    verdict = result.by_id()["ROB-005"]
    assert verdict.duration > BOUNDED_SECONDS  # the body did take longer than the bound
    assert verdict.outcome.value == "pass", [f.message for f in verdict.findings]


def test_the_verdict_weighs_the_time_against_the_servers_intake():
    assert large_body_verdict(0.4, intake=0.001) is None  # fast: within the bound
    assert large_body_verdict(7.0, intake=6.0) is None  # slow like everything on this machine
    # Far more than taking the body in: every item validated before the bound is checked.
    slow = large_body_verdict(7.0, intake=7.0 / SLOWER_THAN_INTAKE / 2)
    assert slow is not None and "times" in slow
