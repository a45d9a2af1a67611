"""Large JSON bodies are decoded and validated in a helper process, off the event loop.

Decoding, bounding and validating a 1 MiB body takes 60-110 ms, and on the event loop no
other request moves meanwhile: while one client sent such bodies, other clients' reads went
from a p99 of 11 ms to 94 ms (`chat-contract bench`, abuse scenario). A body over
OFFLOAD_BYTES is validated by the same code in a helper process, one per server process, at
a lower priority than the server (the loop is what every other client waits on), started with
the server or at the first such body (validated in place, as is any body arriving before the
helper is ready); the event loop serves everyone else meanwhile. Smaller bodies
(every ordinary request: the contract's longest message is 32,000 characters) are validated
in place, where a round trip to another process would cost more than it saves.

The helper returns what validation returns (the parsed value, or the same ApiError), so a
request's answer does not depend on where it was validated (tests/reference_impl/
test_offload.py). If the helper dies, the request is validated in place and a new helper is
started for the next large body.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterator

from .contract import load_contract
from .validation import ContractValidator, OperationSpec, ParsedRequest

__all__ = ["Offload", "OFFLOAD_BYTES"]

OFFLOAD_BYTES = 64 * 1024

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


def _validate_in_helper(operation_id: str, *args: Any) -> ParsedRequest:
    assert _helper_validator is not None
    parsed = _helper_validator.validate(_helper_validator.operations[operation_id], *args)
    return dataclasses.replace(parsed, raw_body=b"")  # the caller has the bytes already


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


class Offload:
    """`validate` as ContractValidator does it, in a helper process for large JSON bodies."""

    def __init__(self, validator: ContractValidator) -> None:
        self.validator = validator
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future | None = None  # done when the helper is ready
        self._lock = threading.Lock()

    async def validate(self, op: OperationSpec, path_params: dict[str, str], query_string: bytes,
                       headers: dict[str, str], cookies: dict[str, str], media_type: str | None,
                       body: bytes, form: dict[str, Any] | None = None) -> ParsedRequest:
        args = (path_params, query_string, headers, cookies, media_type, body)
        if form is not None or media_type != "application/json" or len(body) <= OFFLOAD_BYTES:
            return self.validator.validate(op, *args, form)
        pool, started = self._helper()
        if not started.done():  # the helper is still starting (about a second): no waiting
            return self.validator.validate(op, *args)
        try:
            parsed = await asyncio.get_running_loop().run_in_executor(
                pool, _validate_in_helper, op.operation_id, *args)
        except BrokenProcessPool:  # the helper died (killed, out of memory): a new one next time
            with self._lock:
                if self._pool is pool:
                    self._pool = self._started = None
            return self.validator.validate(op, *args)
        return dataclasses.replace(parsed, raw_body=body)

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

    async def start(self) -> None:
        """Start the helper now and wait until it is ready (otherwise: at the first large body)."""
        await asyncio.wrap_future(self._helper()[1])

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
