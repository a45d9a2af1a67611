"""Sign-in throttling: a username that keeps failing is told to wait (429 + Retry-After).

The policy, stated in the contract (createToken): at most FAILURES failed sign-ins per username
in any WINDOW seconds; beyond, every attempt for that username answers 429 until the oldest
failure is WINDOW seconds old, whatever the password. Unknown usernames are counted the same
way, so a 429 says nothing about which usernames exist. A success forgets the failures.

Each attempt is counted in the store, in one transaction, *before* the password is hashed, and
stays counted unless it succeeds: parallel guesses cannot all pass a check that only sees the
failures already finished, so at most FAILURES attempts per username per window reach the hash.
The count lives in the shared database (the `sign_in_attempts` table), so workers sharing a
`--db` share it, and mock sessions share the default state's. Rows older than WINDOW are
deleted as attempts come; at most MAX_ROWS attempts are kept in a window, all usernames
together: beyond, every sign-in answers 429 until the oldest is WINDOW old (a flood delays
sign-ins by at most WINDOW, and never resets anyone's count).
"""

from __future__ import annotations

import math
import time
from typing import Callable, TypeVar

from .errors import TooManyRequests
from .store import Store

__all__ = ["SignInThrottle", "FAILURES", "WINDOW", "MAX_ROWS"]

FAILURES = 10
WINDOW = 60.0
# Attempts kept per window, all usernames together: with 61-character names, 3.7 MB of SQLite
# and 0.9 ms to count them (measured at 20,000 rows; 100,000 took 17.9 MB and 4.3 ms).
MAX_ROWS = 20_000
T = TypeVar("T")


class SignInThrottle:
    def __init__(self, store: Store, failures: int = FAILURES, window: float = WINDOW,
                 clock: Callable[[], float] = time.time, max_rows: int = MAX_ROWS) -> None:
        # Wall-clock time, not monotonic: worker processes sharing a database compare it.
        self.store, self.failures, self.window, self.clock = store, failures, window, clock
        self.max_rows = max_rows

    def take(self, username: str) -> None:
        """Count an attempt for `username`, or raise TooManyRequests when it has used them up."""
        wait = self.store.accounts.take_attempt(username.casefold(), self.clock(), self.window,
                                       self.failures, self.max_rows)
        if wait is not None:
            raise TooManyRequests("Too many failed sign-ins; retry later", max(1, math.ceil(wait)))

    def succeeded(self, username: str) -> None:
        self.store.accounts.forget_attempts(username.casefold())

    def attempt(self, username: str, check: Callable[[], T]) -> T:
        """`check()` (the password hash) counted first; its failure (Unauthorized) stays counted."""
        self.take(username)
        result = check()
        self.succeeded(username)
        return result
