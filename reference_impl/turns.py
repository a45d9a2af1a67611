"""Whole-conversation work takes turns: one slice of it per turn of the event loop, in order.

A summary, a title, a share's snapshot, a public share's read, a clone or a delete of a long
conversation is done in slices (a page of rows, a few kilobytes of text), and between slices
the loop serves everyone else. With `asyncio.sleep(0)` between slices, every such request in
progress ran a slice in every turn of the loop: four readers of a public share held each turn
for four slices, and an ordinary read, which crosses several turns, waited for all of them at
each (py-spy on the bench's heavy cases: the readers' p99 was 20-28 times their p99 alone).

`await next_turn()` instead queues the caller behind the other slices waiting: one is let go
per turn of the loop, first come first served, so however many heavy requests are in progress,
a turn holds at most one slice of them, and they advance round-robin (none waits for another
to finish).
"""

from __future__ import annotations

import asyncio
import collections
import weakref

__all__ = ["next_turn"]


class _Turns:
    """The slices waiting on one event loop; `_grant` lets the first go, once per turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self.scheduled = False

    async def wait(self) -> None:
        future = self.loop.create_future()
        self.waiting.append(future)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self._grant)
        await future  # cancelled: _grant skips it

    def _grant(self) -> None:
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(None)  # its task runs its slice in the next turn
                break
        # The next grant is made in the next turn, after the slice let go now has run.
        self.scheduled = bool(self.waiting)
        if self.scheduled:
            self.loop.call_soon(self._grant)


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = \
    weakref.WeakKeyDictionary()


async def next_turn() -> None:
    """Wait until this slice of whole-conversation work may run (see the module's text)."""
    loop = asyncio.get_running_loop()
    turns = _by_loop.get(loop)
    if turns is None:
        turns = _by_loop[loop] = _Turns(loop)
    await turns.wait()
