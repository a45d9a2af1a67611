"""Reply generation as a background job, and Server-Sent Events over its stored events.

The job runs independently of any client: a client that disconnects mid-stream leaves the
reply to complete and be stored. Every event is stored as it is produced (position = SSE id),
so a stream can be replayed or resumed with Last-Event-ID, live or afterwards, from any worker:
the process running the job wakes its own readers at once, other processes poll the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator

from .errors import ApiError
from .mock.prefer import STREAM
from .services import replies
from .store import Store

__all__ = ["ReplyRunner", "format_event", "KEEP_ALIVE"]

log = logging.getLogger("reference_impl")

KEEP_ALIVE = b": keep-alive\n\n"
POLL_SECONDS = 0.05  # how often a reader polls for events another process is writing


def format_event(position: int, event: str, data: str) -> bytes:
    return f"id: {position}\nevent: {event}\ndata: {data}\n\n".encode()


def _dump(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class ReplyRunner:
    """Runs reply jobs and serves their events.

    `token_delay` paces reply.delta events; `keep_alive` is the longest silence on a stream
    before a comment line is sent, so that proxies do not close an idle connection.
    """

    def __init__(self, store: Store, token_delay: float, keep_alive: float = 10.0,
                 leases: Any = None) -> None:
        self.store = store
        self.leases = leases  # recovery.Recovery with several processes: who writes what
        self.token_delay = token_delay
        self.keep_alive = keep_alive
        self._live: dict[str, asyncio.Event] = {}   # message id -> "a new event was stored"
        self._tasks: set[asyncio.Task] = set()

    def _append(self, message_id: str, position: int, event: str, data: Any) -> None:
        self.store.replies.append(message_id, position, event, _dump(data))
        signal = self._live.get(message_id)
        if signal is not None:
            signal.set()

    async def run(self, reply: replies.Reply, delay: float | None = None) -> dict[str, Any]:
        """Produce and store every event of `reply`; the final event's payload.

        A failure on the way (the conversation deleted meanwhile, a database error) ends the
        reply with a `reply.failed` event and the assistant message stored as `failed`.
        """
        controls = STREAM.get()  # `Prefer:` stream controls of the request that started it
        if delay is None and controls is not None and controls.tokens_per_second:
            delay = 1 / controls.tokens_per_second  # a streamed reply (JSON ones pass 0)
        delay = self.token_delay if delay is None else delay
        fail_after = controls.stream_error if controls is not None else None
        self._live.setdefault(reply.message_id, asyncio.Event())
        position = 0  # the next event's id: ids stay gap-free whatever fails
        if self.leases is not None:
            self.leases.claim(reply.message_id)
        try:
            self._append(reply.message_id, position, "reply.started",
                         replies.started_data(reply))
            position += 1
            if reply.web_search:
                self._append(reply.message_id, position, "reply.sources",
                             {"sources": reply.answer.sources})
                position += 1
            for sent, token in enumerate(reply.answer.tokens):
                if sent == fail_after:  # `Prefer: stream-error`: fail as a real reply would
                    raise ValueError("simulated failure (Prefer: stream-error)")
                if delay:
                    await asyncio.sleep(delay)
                self._append(reply.message_id, position, "reply.delta", {"text": token})
                position += 1
            final = replies.finish(self.store, reply)
            event = "reply.completed"
        except (ApiError, OSError, ValueError, *self.store.errors) as exc:
            log.warning("reply %s failed: %s", reply.message_id, exc)
            final = {"detail": "The reply failed; the assistant message is stored as failed",
                     "message_id": reply.message_id}
            event = "reply.failed"
            try:
                replies.fail(self.store, reply)
            except (ApiError, *self.store.errors):
                pass  # the message is gone (conversation deleted): nothing left to mark
        try:
            self._append(reply.message_id, position, event, final)
        except (ApiError, *self.store.errors):
            pass  # the conversation was deleted meanwhile: readers synthesize reply.failed
        if self.leases is not None:
            self.leases.release(reply.message_id)
        signal = self._live.pop(reply.message_id, None)
        if signal is not None:
            signal.set()
        return {"event": event, "data": final}

    def start(self, reply: replies.Reply) -> None:
        """Run in the background, detached from the request that asked for it."""
        self._live.setdefault(reply.message_id, asyncio.Event())
        task = asyncio.get_running_loop().create_task(self.run(reply))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for running jobs (used at shutdown and by tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _stored(self, message_id: str, after: int) -> list[dict[str, Any]]:
        return self.store.replies.after(message_id, after)

    def _final(self, message_id: str) -> dict[str, Any] | None:
        return self.store.replies.final(message_id)

    def final_position(self, message_id: str) -> int | None:
        """The id of the reply's final event, once it is stored."""
        final = self._final(message_id)
        return None if final is None else final["position"]

    def _still_streaming(self, message_id: str) -> bool | None:
        """True while the job runs (in any process), False once done, None if it vanished."""
        status = self.store.messages.status(message_id)
        return None if status is None else status == "streaming"

    async def events(self, message_id: str, after: int = -1,
                     synthesized: list[tuple[str, str]] | None = None, _unbroken: bool = False
                     ) -> AsyncIterator[bytes]:
        """SSE bytes for events after position `after`, waiting for live ones to the final."""
        controls = None if _unbroken else STREAM.get()
        if controls is not None and controls.stream_break is not None:
            # `Prefer: stream-break=N`: the connection drops after N deltas, without a final
            # event; the reply itself goes on and is stored, so Last-Event-ID resumes it.
            deltas = 0
            inner = self.events(message_id, after, synthesized, _unbroken=True)
            try:
                async for chunk in inner:
                    if deltas >= controls.stream_break and b"event: reply.delta" in chunk:
                        return
                    yield chunk
                    deltas += b"event: reply.delta" in chunk
            finally:
                await inner.aclose()
            return
        if synthesized is not None:
            # The handler answers 204 to a client past the final event; `after` is before it.
            first = min(after + 1, len(synthesized) - 1)
            for position, (event, data) in enumerate(synthesized[first:], first):
                yield format_event(position, event, data)
            return
        silent = 0.0
        while True:
            signal = self._live.get(message_id)
            if signal is not None:
                signal.clear()  # before reading, so an event stored meanwhile still wakes us
            for row in self._stored(message_id, after):
                yield format_event(row["position"], row["event"], row["data"])
                after, silent = row["position"], 0.0
                if row["event"] in replies.FINAL_EVENTS:
                    return
            if signal is not None:  # the job runs in this process: sleep until it writes
                try:
                    await asyncio.wait_for(signal.wait(), self.keep_alive)
                except asyncio.TimeoutError:
                    yield KEEP_ALIVE
                continue
            state = self._still_streaming(message_id)
            if not state and not self._stored(message_id, after):
                final = self._final(message_id)
                if final is not None:  # only in a race with the handler's 204 check
                    yield format_event(final["position"], final["event"], final["data"])
                elif state is None:  # deleted with its conversation before the final event
                    yield format_event(after + 1, "reply.failed", _dump(
                        {"detail": "The conversation was deleted while the reply was written",
                         "message_id": message_id}))
                return
            await asyncio.sleep(POLL_SECONDS)  # another process writes it: poll the database
            silent += POLL_SECONDS
            if silent >= self.keep_alive:
                silent = 0.0
                yield KEEP_ALIVE
