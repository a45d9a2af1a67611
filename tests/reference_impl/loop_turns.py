"""Counting the turns of the event loop: evidence by order, not by time, that a piece of work
let the loop serve others."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator


class Turns:
    """`count`: turns of the loop taken so far by the counting task."""

    def __init__(self) -> None:
        self.count = 0


@contextlib.asynccontextmanager
async def counting_turns() -> AsyncIterator[Turns]:
    turns, done = Turns(), asyncio.Event()

    async def count() -> None:
        while not done.is_set():
            turns.count += 1
            await asyncio.sleep(0)
    counter = asyncio.create_task(count())
    await asyncio.sleep(0)
    try:
        yield turns
    finally:
        done.set()
        await counter
