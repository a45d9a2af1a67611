"""The `Prefer` request header (RFC 7240), read as mock controls compatible with Prism's.

    Prefer: code=429, retry-after=5
    Prefer: example=created
    Prefer: dynamic=true, seed=42
    Prefer: delay=1500
    Prefer: tokens-per-second=20, stream-break=3
    Prefer: stream-error=true

Preferences this server does not know (`return=minimal`, `respond-async`, ...) are ignored, as
RFC 7240 asks; the ones applied are named in the `Preference-Applied` response header, so a
typo shows up as a missing name there. A known preference with a bad value is a 400.
"""

from __future__ import annotations

import re

import contextvars
from dataclasses import dataclass, fields
from typing import Any

from ..errors import ApiError

__all__ = ["Preferences", "PreferError", "parse", "STREAM", "MAX_DELAY_MS"]

MAX_DELAY_MS = 30_000
MAX_SEED = 2**32 - 1
DEFAULT_ERROR_AFTER = 3  # deltas sent before `stream-error=true` ends a reply


class PreferError(ApiError):
    """A mock control the server understood but cannot honour: the client's mistake."""

    status = 400


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    seed: int | None = None
    delay_ms: int = 0
    retry_after: int | None = None
    tokens_per_second: float | None = None
    stream_break: int | None = None   # close the SSE connection after N deltas, no final event
    stream_error: int | None = None   # end the reply with a `reply.failed` event after N deltas

    @property
    def wants_response(self) -> bool:
        """True when the response is read from the contract instead of the handler."""
        return self.code is not None or self.example is not None or self.dynamic

    @property
    def wants_stream_control(self) -> bool:
        return (self.tokens_per_second is not None or self.stream_break is not None
                or self.stream_error is not None)

    def applied(self) -> str:
        """The `Preference-Applied` value: the preferences honoured, in Prefer syntax."""
        names = {"delay_ms": "delay", "retry_after": "retry-after",
                 "tokens_per_second": "tokens-per-second", "stream_break": "stream-break",
                 "stream_error": "stream-error"}
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False or (f.name == "delay_ms" and value == 0):
                continue
            value = "true" if value is True else value
            out.append(f"{names.get(f.name, f.name)}={value}")
        return ", ".join(out)


# Stream controls of the current request, read by streaming.ReplyRunner. A context variable
# reaches the reply job too: asyncio copies the context into the task the handler starts.
STREAM: contextvars.ContextVar[Preferences | None] = contextvars.ContextVar(
    "mock_stream_controls", default=None)


def _int(name: str, raw: str, low: int, high: int) -> int:
    # ASCII digits, few of them: isdigit() accepts "²" and int() refuses 5,000 digits.
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
        raise PreferError(f"Prefer {name}={raw[:20]} is invalid; expected an integer "
                          f"from {low} to {high}")
    return int(raw)


def _bool(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise PreferError(f"Prefer {name}={raw} is invalid; expected true or false")
    return raw.lower() == "true"


def parse(values: list[str]) -> Preferences:
    """Every `Prefer` header of a request (several headers or one comma-separated list)."""
    found: dict[str, Any] = {}
    for header in values:
        for item in header.split(","):
            for token in item.split(";"):  # parameters of a preference are read as preferences
                name, _, raw = token.strip().partition("=")
                name, raw = name.strip().lower(), raw.strip().strip('"')
                if not name:
                    continue
                if name == "code":
                    found["code"] = _int(name, raw, 100, 599)
                elif name == "example":
                    if not raw:
                        raise PreferError("Prefer example= needs an example name")
                    found["example"] = raw
                elif name == "dynamic":
                    found["dynamic"] = _bool(name, raw)
                elif name == "seed":
                    found["seed"] = _int(name, raw, 0, MAX_SEED)
                elif name == "delay":
                    found["delay_ms"] = _int(name, raw, 0, MAX_DELAY_MS)
                elif name == "retry-after":
                    found["retry_after"] = _int(name, raw, 0, 86400)
                elif name == "tokens-per-second":
                    found["tokens_per_second"] = float(_int(name, raw, 1, 1000))
                elif name == "stream-break":
                    found["stream_break"] = _int(name, raw, 0, 100_000)
                elif name == "stream-error":
                    if raw.lower() in ("true", "false"):
                        if _bool(name, raw):
                            found["stream_error"] = DEFAULT_ERROR_AFTER
                    else:
                        found["stream_error"] = _int(name, raw, 0, 100_000)
                # anything else: not ours (RFC 7240 section 2), ignored
    return Preferences(**found)
