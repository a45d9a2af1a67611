"""JSON bodies over a few kilobytes are decoded and validated in a helper process, off the loop.

Decoding, bounding and validating a 1 MiB body takes 60-110 ms, a 63 KiB one of many small
values 2-9 ms, and on the event loop no other request moves meanwhile: eight clients sending
63 KiB invalid bodies took other clients' reads from a p50 of 3 ms to 60 ms. A body over
OFFLOAD_BYTES is validated by the same code in a helper process, one per server process, at a
lower priority than the server (the loop is what every other client waits on), started with the
server or at the first such body; the event loop serves everyone else meanwhile. Smaller
bodies (every ordinary request but a long message) are validated in place, where a round trip
to another process would cost more than it saves (at most about a millisecond of the loop).

The helper returns what validation returns (the parsed value, or the same ApiError), so a
request's answer does not depend on where it was validated (tests/reference_impl/
test_offload.py). A body the helper cannot take is never validated on the loop instead (after
a kill -9 of the helper that stalled everyone for seconds); it is refused with the contract's
`503` and `Retry-After`:

- at most `queue` bodies are at the helper at once (one validating, the others waiting): one
  more is refused at once, so a client flooding the helper delays a legitimate large body by a
  few of its own at most, never by the seconds a long queue holds;
- at most `per_client` of them are one client's (the signed-in user; else the peer address):
  the client's next bodies wait, in order, for one of its own places (up to `client_waiting`
  of them, within `deadline`; one more is refused at once). Eight connections of one flooder
  once held all eight places, and a legitimate 190 KiB body of another user was refused nine
  times in ten (the bench's busy-helper case); now the flooder holds two places and the
  others' bodies wait behind at most those two. Its excess waits rather than being refused at
  once: refused at once, a flooder sent five times as many 1 MiB bodies, each read on the loop
  (py-spy), and the others' reads paid for it;
- a client uses at most `share` of the helper's time over a few seconds (the helper's CPU
  time, counted by the helper: `burst` seconds at once, then `share` of a second per second):
  its next body waits, in its place, until its account is back within `burst`, or is refused
  when that would pass `deadline`. Two places kept a flooder's bodies at the helper all the
  time, and the helper's core, busy without a pause, raised everyone else's p99 2.4 times on
  two cores (the bench's busy-helper case); a person's long messages spend a few milliseconds
  of it each;
- a body not answered within `deadline` seconds of its arrival, whatever it waited for (its
  places, its share, the helper starting, the bodies before it, its validation), is refused
  (the client's wait and the helper's once had a window each: up to twice the deadline);
- a helper that has had bodies and finished none for `deadline` seconds is stuck (stopped, or
  runaway): a watchdog kills it, the bodies it held are refused too, and the next body starts
  a new one. A body whose time is up is not reason enough: the helper may be busy with others
  before it;
- the helper died (killed, out of memory): the bodies it held are refused, the next body starts
  a new one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterator

from .contract import load_contract
from .errors import ApiError, ServiceUnavailable
from .validation import ContractValidator, OperationSpec, ParsedRequest

__all__ = ["Offload", "OFFLOAD_BYTES", "HELPER_DEADLINE", "HELPER_QUEUE", "HELPER_PER_CLIENT",
           "CLIENT_WAITING", "HELPER_SHARE", "HELPER_BURST"]

OFFLOAD_BYTES = 8 * 1024
HELPER_DEADLINE = 10.0  # seconds from a large body's arrival to its validation, at most
HELPER_QUEUE = 8       # large bodies at the helper at once; one more is refused (503)
HELPER_PER_CLIENT = 2  # of those, one client's at once; its next ones wait for its places
CLIENT_WAITING = 6     # a client's bodies waiting for its places; one more is refused (503)
HELPER_SHARE = 0.25    # of the helper's time, one client's over a few seconds
HELPER_BURST = 1.0     # seconds of the helper's time one client may use at once

_helper_validator: ContractValidator | None = None  # in the helper process only


def _start_helper() -> None:
    global _helper_validator
    # The helper's work is the hostile kind (megabyte bodies); the server's event loop is what
    # every other client waits on. On a busy machine the scheduler should favour the loop.
    with contextlib.suppress(OSError):
        os.nice(10)
    # The contract is read here, not sent: a spawn payload bigger than a pipe's buffer blocked
    # the server for good when the helper died before reading it (SIGTERM to the group).
    _helper_validator = ContractValidator(load_contract())


def _ready() -> None:
    """A no-op: done once the helper has started and built its validator."""


def _validate_in_helper(operation_id: str, *args: Any) -> tuple[ParsedRequest | ApiError, float]:
    """The parsed request or its ApiError (returned, not raised: the time comes back too), and
    the helper's CPU seconds for it."""
    assert _helper_validator is not None
    started = time.thread_time()
    try:
        parsed = _helper_validator.validate(_helper_validator.operations[operation_id], *args)
    except ApiError as error:
        return error, time.thread_time() - started
    # The caller has the bytes already.
    return dataclasses.replace(parsed, raw_body=b""), time.thread_time() - started


@contextlib.contextmanager
def _helper_ignores_ctrl_c() -> Iterator[None]:
    """Ctrl-C in a terminal reaches the whole process group, helper included, which would die
    with a traceback (even while still importing). An ignored signal stays ignored across the
    helper's exec, so SIGINT is ignored while it is started; the server stops its helper itself,
    and a helper whose server is gone ends at its closed pipe."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change signal handlers (and the server's is that one)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _call_soon(loop: asyncio.AbstractEventLoop, callback, *args: Any) -> None:
    """`callback(*args)` on the loop's thread, from another one (unless the loop is closed)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)


class HelperBusy(ServiceUnavailable):
    """A large body the helper cannot take now: the contract's 503, with Retry-After."""

    def __init__(self, why: str) -> None:
        super().__init__(f"Large request bodies cannot be validated right now ({why}); "
                         "retry shortly")


def _parsed(outcome: ParsedRequest | ApiError) -> ParsedRequest:
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


class _Accounts:
    """Each client's debt of helper time: what it spent, paid back at `share` seconds per
    second. Only clients in debt are held (a client's entry goes once it is paid back), so
    there are at most as many as the helper's last few seconds of work had clients."""

    def __init__(self, share: float, burst: float) -> None:
        self.share, self.burst = share, burst
        self._debt: dict[str, tuple[float, float]] = {}  # client -> (seconds owed, as of when)
        self._prune_at = 64  # entries at which the paid back are dropped

    def _owed(self, client: str, now: float) -> float:
        owed, at = self._debt.get(client, (0.0, now))
        return max(0.0, owed - (now - at) * self.share)

    def wait(self, client: str) -> float:
        """Seconds until the client may use the helper again (0: now)."""
        return max(0.0, self._owed(client, time.monotonic()) - self.burst) / self.share

    def charge(self, client: str, seconds: float) -> None:
        now = time.monotonic()
        self._debt[client] = (self._owed(client, now) + seconds, now)
        if len(self._debt) > self._prune_at:
            self._debt = {c: d for c, d in self._debt.items() if self._owed(c, now) > 0}
            # Twice what is left, so the next pruning is as many charges away (amortised O(1)).
            self._prune_at = max(64, 2 * len(self._debt))


class Offload:
    """`validate` as ContractValidator does it, in a helper process for large JSON bodies."""

    def __init__(self, validator: ContractValidator, *, deadline: float = HELPER_DEADLINE,
                 queue: int = HELPER_QUEUE, per_client: int = HELPER_PER_CLIENT,
                 client_waiting: int = CLIENT_WAITING, share: float = HELPER_SHARE,
                 burst: float = HELPER_BURST) -> None:
        self.validator = validator
        self.deadline = deadline
        self.queue = queue
        self.per_client, self.client_waiting = per_client, client_waiting
        # Each client's bodies at the helper or waiting for one of its places, and its places.
        self._of_client: collections.Counter[str] = collections.Counter()
        self._places: dict[str, asyncio.Semaphore] = {}
        self._accounts = _Accounts(share, burst)
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future | None = None  # done when the helper is ready
        self._lock = threading.Lock()
        # The current helper's bodies: waiting for it to start, or sent and not finished there
        # (a body given up on still counts until the helper is done with it), and since when
        # it has finished none while it had some (None: it has none).
        self._at_helper = 0
        self._busy_since: float | None = None
        self._watchdog: asyncio.Task | None = None

    async def validate(self, op: OperationSpec, path_params: dict[str, str], query_string: bytes,
                       headers: dict[str, str], cookies: dict[str, str], media_type: str | None,
                       body: bytes, form: dict[str, Any] | None = None, *,
                       client: str | None = None) -> ParsedRequest:
        """`client`: who sent the body (None: bound by `queue` alone). Answered within
        `deadline` seconds of the call, whatever it waited for."""
        args = (path_params, query_string, headers, cookies, media_type, body)
        if form is not None or media_type != "application/json" or len(body) <= OFFLOAD_BYTES:
            return self.validator.validate(op, *args, form)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline
        if client is None:
            return _parsed((await self._at_the_helper(op, args, body, deadline))[0])
        if self._of_client[client] >= self.per_client + self.client_waiting:
            raise HelperBusy("too many of this client's at once")
        self._of_client[client] += 1
        places = self._places.setdefault(client, asyncio.Semaphore(self.per_client))
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await places.acquire()  # behind this client's own bodies, in order
            except TimeoutError:
                raise HelperBusy("this client's earlier bodies took too long") from None
            try:
                wait = self._accounts.wait(client)
                if loop.time() + wait > deadline:
                    raise HelperBusy("this client has used its share of the helper's time")
                if wait:
                    await asyncio.sleep(wait)
                outcome, seconds = await self._at_the_helper(op, args, body, deadline)
                self._accounts.charge(client, seconds)  # a refused body's time counts too
                return _parsed(outcome)
            finally:
                places.release()
        finally:
            self._of_client[client] -= 1
            if not self._of_client[client]:  # nobody waits on its places
                del self._of_client[client], self._places[client]

    async def _at_the_helper(self, op: OperationSpec, args: tuple, body: bytes, deadline: float
                             ) -> tuple[ParsedRequest | ApiError, float]:
        """The parsed request or its ApiError, and the helper's CPU seconds for it; refused
        once the loop's clock passes `deadline`."""
        if self._at_helper >= self.queue:
            raise HelperBusy("too many at once")
        loop = asyncio.get_running_loop()
        pool, started = self._helper()
        self._at_helper += 1
        if self._busy_since is None:
            self._busy_since = loop.time()
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch())
        sent: Future | None = None
        try:
            async with asyncio.timeout_at(deadline):
                # Shielded: a body given up on must not cancel the start others wait for.
                await asyncio.shield(asyncio.wrap_future(started))
                if self._pool is not pool:
                    # Killed while this body waited for it to start (its watchdog): the pool
                    # takes no more work (submitting raised RuntimeError: a 500).
                    raise BrokenProcessPool("the helper was replaced")
                sent = pool.submit(_validate_in_helper, op.operation_id, *args)
                sent.add_done_callback(
                    lambda done: _call_soon(loop, self._finished, pool, not done.cancelled()))
                outcome, seconds = await asyncio.wrap_future(sent)
        except TimeoutError:
            # This body's time is up; the helper may still be working (on it, or before it):
            # whether it is stuck is the watchdog's to judge, not one body's.
            raise HelperBusy(f"not validated within {self.deadline:g} s") from None
        except BrokenProcessPool:  # the helper died (killed, out of memory): a new one next time
            self._forget(pool)
            raise HelperBusy("the helper stopped") from None
        finally:
            if sent is None:  # it never reached the helper
                self._finished(pool, False)
        if isinstance(outcome, ParsedRequest):
            outcome = dataclasses.replace(outcome, raw_body=body)
        return outcome, seconds

    def _finished(self, pool: ProcessPoolExecutor, done_there: bool) -> None:
        """A body left the helper, on the loop's thread: `done_there`, the helper finished it
        (progress); else it never reached the helper, or was taken back before it did."""
        if pool is not self._pool:
            return  # that helper is gone, and its count with it
        self._at_helper -= 1
        if not self._at_helper:
            self._busy_since = None
        elif done_there:
            self._busy_since = asyncio.get_running_loop().time()

    async def _watch(self) -> None:
        """While the helper has bodies: killed once it has finished none for `deadline`
        seconds (stopped, or runaway); the bodies it held are refused (BrokenProcessPool)."""
        loop = asyncio.get_running_loop()
        while self._busy_since is not None:
            await asyncio.sleep(min(1.0, self.deadline / 4))
            if self._busy_since is not None and loop.time() - self._busy_since > self.deadline:
                self._kill(self._pool)

    def _helper(self) -> tuple[ProcessPoolExecutor, Future]:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the server runs threads (heartbeats, checkpoints, hashing)
                # whose locks a forked child could inherit held.
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_helper)
                with _helper_ignores_ctrl_c():
                    self._started = self._pool.submit(_ready)  # starts the process
            assert self._started is not None
            return self._pool, self._started

    def _forget(self, pool: ProcessPoolExecutor) -> bool:
        with self._lock:
            if self._pool is not pool:
                return False
            self._pool = self._started = None
        self._at_helper, self._busy_since = 0, None
        return True

    def _kill(self, pool: ProcessPoolExecutor | None) -> None:
        if pool is None or not self._forget(pool):
            return  # already replaced (it died: a body's BrokenProcessPool forgot it)
        # ProcessPoolExecutor has no public way to stop a worker that never returns (Python
        # 3.14's kill_workers); SIGKILL reaches a stopped process too. The pool's own thread
        # then fails every future it held with BrokenProcessPool.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(OSError):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start the helper now and wait until it is ready (otherwise: at the first large body)."""
        await asyncio.wrap_future(self._helper()[1])

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if self._watchdog is not None and not self._watchdog.done():
            with contextlib.suppress(RuntimeError):  # its loop is closed already (at exit)
                self._watchdog.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
