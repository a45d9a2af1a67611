"""Reply generation as a background job, and Server-Sent Events over its stored events.

The job runs independently of any client: a client that disconnects mid-stream leaves the
reply to complete and be stored. Every event is stored as it is produced (position = SSE id),
so a stream can be replayed or resumed with Last-Event-ID, live or afterwards, from any worker.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from .errors import ApiError
from .services import replies
from .store import Store

__all__ = ["ReplyRunner", "format_event"]

KEEP_ALIVE_SECONDS = 10.0


def format_event(position: int, event: str, data: str) -> bytes:
    return f"id: {position}\nevent: {event}\ndata: {data}\n\n".encode()


def _dump(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class ReplyRunner:
    """Runs reply jobs and serves their events; `token_delay` paces reply.delta events."""

    def __init__(self, store: Store, token_delay: float) -> None:
        self.store = store
        self.token_delay = token_delay
        self._live: dict[str, asyncio.Event] = {}   # message id -> "a new event was stored"
        self._tasks: set[asyncio.Task] = set()

    def _append(self, message_id: str, position: int, event: str, data: Any) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO reply_events VALUES (?, ?, ?, ?)",
                         (message_id, position, event, _dump(data)))
        signal = self._live.get(message_id)
        if signal is not None:
            signal.set()

    async def run(self, reply: replies.Reply, delay: float | None = None) -> dict[str, Any]:
        """Produce and store every event of `reply`; the final event's payload."""
        delay = self.token_delay if delay is None else delay
        self._live.setdefault(reply.message_id, asyncio.Event())
        position = 0
        try:
            self._append(reply.message_id, position, "reply.started",
                         replies.started_data(reply))
            if reply.web_search:
                position += 1
                self._append(reply.message_id, position, "reply.sources",
                             {"sources": reply.answer.sources})
            for token in reply.answer.tokens:
                if delay:
                    await asyncio.sleep(delay)
                position += 1
                self._append(reply.message_id, position, "reply.delta", {"text": token})
            final = replies.finish(self.store, reply)
            event = "reply.completed"
        except (ApiError, OSError, ValueError) as exc:
            final = replies.fail(self.store, reply, f"The reply failed: {exc}")
            event = "error"
        try:
            self._append(reply.message_id, position + 1, event, final)
        except Exception:  # the conversation was deleted meanwhile: nothing left to store
            pass
        self._live.pop(reply.message_id).set()
        return final

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
        return self.store.all("SELECT * FROM reply_events WHERE message_id = ? AND position > ?"
                              " ORDER BY position", message_id, after)

    async def events(self, message_id: str, after: int = -1,
                     synthesized: list[tuple[str, str]] | None = None) -> AsyncIterator[bytes]:
        """SSE bytes for events after position `after`, waiting for live ones to the final."""
        if synthesized is not None:
            for position, (event, data) in enumerate(synthesized):
                if position > after:
                    yield format_event(position, event, data)
            return
        while True:
            signal = self._live.get(message_id)
            if signal is not None:
                signal.clear()
            rows = self._stored(message_id, after)
            for row in rows:
                yield format_event(row["position"], row["event"], row["data"])
                after = row["position"]
                if row["event"] in replies.FINAL_EVENTS:
                    return
            if signal is None and not self._live.get(message_id):
                # Not produced here: another worker may be writing it; poll the database.
                if not self.store.one("SELECT status FROM messages WHERE id = ? AND status = "
                                      "'streaming'", message_id):
                    if not self._stored(message_id, after):
                        return
                await asyncio.sleep(0.05)
                continue
            try:
                await asyncio.wait_for(signal.wait(), KEEP_ALIVE_SECONDS)
            except asyncio.TimeoutError:
                yield b": keep-alive\n\n"
