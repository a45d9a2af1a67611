"""Sign-in throttling: a username that keeps failing is told to wait (429 + Retry-After).

The policy, stated in the contract (createToken): at most FAILURES failed sign-ins per username
in any WINDOW seconds; beyond, every attempt for that username answers 429 until the oldest
failure is WINDOW seconds old, whatever the password. Unknown usernames are counted the same
way, so a 429 says nothing about which usernames exist. A success forgets the failures. State
is per process (each worker counts its own), bounded to MAX_TRACKED usernames.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import Callable

from .errors import TooManyRequests

__all__ = ["SignInThrottle", "FAILURES", "WINDOW"]

FAILURES = 10
WINDOW = 60.0
MAX_TRACKED = 10_000


class SignInThrottle:
    def __init__(self, failures: int = FAILURES, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.window, self.clock = failures, window, clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, username: str) -> None:
        """Raise TooManyRequests when `username` has used up its failures."""
        times = self._recent(username.casefold())
        if times is not None and len(times) >= self.failures:
            wait = math.ceil(times[0] + self.window - self.clock())
            raise TooManyRequests("Too many failed sign-ins; retry later", wait)

    def failed(self, username: str) -> None:
        key = username.casefold()
        times = self._recent(key)
        if times is None:
            times = self._seen[key] = deque(maxlen=self.failures)
            if len(self._seen) > MAX_TRACKED:
                self._seen.popitem(last=False)  # the least recently failing username
        times.append(self.clock())
        self._seen.move_to_end(key)

    def succeeded(self, username: str) -> None:
        self._seen.pop(username.casefold(), None)

    def _recent(self, key: str) -> deque[float] | None:
        times = self._seen.get(key)
        if times is not None:
            now = self.clock()
            while times and times[0] <= now - self.window:
                times.popleft()
        return times
