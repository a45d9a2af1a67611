"""The sequence the model layer sent, step by step, and the one place it diverged from the model.

Every value the server chose and a later step reuses (an id, a ticket, a timestamp) is bound to
a symbol (`c1`, `m2`, `t1`, ...) when first seen, so that a replay of the sequence sends the
ids of *its* run, not the recorded ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Step", "Divergence", "Symbols", "NOTHING"]

NOTHING = object()  # a request without a body
_SHOWN = 600  # characters of an answer body shown in a report


class Symbols:
    """Server-chosen values -> the symbols a replay binds them to."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # the value as the server wrote it -> its symbol
        self.counters: dict[str, int] = {}
        self.secret: set[str] = set()  # values no report shows (stream tickets)

    def bind(self, prefix: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError(f"cannot bind {value!r}")
        if value in self.names:
            return self.names[value]
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        name = f"{prefix}{self.counters[prefix]}"
        self.names[value] = name
        if prefix == "t":
            self.secret.add(value)
        return name

    def is_bound(self, value: str, prefix: str) -> bool:
        return (self.names.get(value) or "").rstrip("0123456789") == prefix

    def lookup(self, value: Any) -> str | None:
        """The symbol for a bound value: `c1`, or `c1.upper()` for a lowercase id sent in capitals."""
        if not isinstance(value, str):
            return None
        if value in self.names:
            return self.names[value]
        if value == value.upper() and value.lower() in self.names:
            return f"{self.names[value.lower()]}.upper()"
        return None

    def substitutions(self) -> list[tuple[str, str]]:
        """(text, symbol expression) pairs, longest first, for values inside longer strings."""
        pairs = [(v, n) for v, n in self.names.items()] + [(v.upper(), f"{n}.upper()") for v, n in self.names.items()
                                                           if v.upper() != v]
        return sorted(pairs, key=lambda p: -len(p[0]))


@dataclass(kw_only=True)
class Step:
    number: int
    label: str
    user: str  # "alice" (the first user), "bob" (the second) or "anonymous"
    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    json: Any = NOTHING
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: int | None = None
    status: int | None = None
    response: Any = None  # the httpx.Response
    binds: list[tuple[str, tuple]] = field(default_factory=list)  # (symbol, selector)

    def request_line(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params)
        line = f"{self.method} {self.path}{'?' + query if query else ''}"
        if self.json is not NOTHING:
            line += " " + _short(json.dumps(self.json, ensure_ascii=False))
        elif self.form is not None:
            line += " (form) " + _short(json.dumps(self.form))
        elif self.files is not None:
            line += " (multipart) " + ", ".join(f"{n}={f[0]!r} {len(f[1])} bytes {f[2]}" for n, f in self.files.items())
        if self.headers:
            line += " " + " ".join(f"[{k}: {v}]" for k, v in self.headers.items())
        return line

    def answer_line(self) -> str:
        if self.response is None:
            return "(no answer)"
        return f"{self.status} {_short(self.response.text)}"


@dataclass(kw_only=True)
class Divergence(Exception):
    """The server's answer differs from the model's prediction at one step."""

    step: Step
    what: str  # what was judged, in words
    selector: tuple
    expected: Any
    received: Any
    sentence: str  # the contract's sentence that decides it
    where: str  # where that sentence stands in the contract
    op: str = "=="  # how received compares to expected: "==", ">=" or "one line"

    def __str__(self) -> str:
        return (f"step {self.step.number}: {self.what}: expected {_short(repr(self.expected))}, "
                f"received {_short(repr(self.received))}")


def _short(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= _SHOWN else text[:_SHOWN] + f"... ({len(text) - _SHOWN} more characters)"
