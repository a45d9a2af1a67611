"""Replace personal data (e-mail addresses, phone numbers) with stable placeholders, at most
MAX_PLACEHOLDERS numbered ones per conversation.

Linear time in the text: a message may hold 32,000 characters, and the unbounded expression
this replaces (`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}`) backtracked quadratically on
a long run of address characters (5.6 s for one message, with the event loop held). Bounding
each part as real addresses and numbers are bounded (RFC 5321 lengths; E.164 plus spacing)
caps the work per starting position, and keeps every original within the contract's 512
characters for a `deanonymization_mapping` value.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

__all__ = ["MAX_PLACEHOLDERS", "anonymize", "find_emails"]

# The contract's bound on a conversation's `deanonymization_mapping` (every list row carries
# it): personal data met after that gets an unnumbered placeholder the mapping does not hold.
MAX_PLACEHOLDERS = 100

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_NO_AT = re.compile(r"[^@]{65}")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()\-.]{6,30}\d(?![\w])")


def find_emails(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each address, left to right: exactly what `_EMAIL.finditer` finds.

    An address can only start within 64 characters before an `@` (its local part holds none),
    so the expression runs only over those stretches, with the `@`s less than 65 characters
    apart joined into one; elsewhere it would try, and fail, at every position: 32,000 address
    characters around one `@` took 5 ms of the event loop, now a few microseconds.
    """
    pos, at = 0, text.find("@", 1)
    while at >= 0:
        start = max(pos, at - 64)
        # The stretch runs to the last `@` before 65 characters without one.
        gap = _NO_AT.search(text, at + 1)
        end = text.rfind("@", at, gap.start() if gap else len(text))  # addresses start before
        following = text.find("@", gap.end()) if gap else -1
        # An address starting before `end` has its `@` at or before `end`, so it ends within
        # end + 319 (a 253-character domain, a dot, a 63-character top level) and before the
        # next `@` (no part of it holds one): the search stops there, cutting none short.
        limit = min(len(text), end + 320, following if following >= 0 else len(text))
        while start < end and (found := _EMAIL.search(text, start, limit)) and found.start() < end:
            yield found.span()
            start = found.end()
        pos = max(start, end)
        at = following if following > pos else text.find("@", pos + 1)


def _substitute(text: str, spans: Iterator[tuple[int, int]], replace: Callable[[str], str]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], replace(text[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


def anonymize(text: str, mapping: dict[str, str]) -> str:
    """`text` with placeholders; `mapping` (placeholder -> original) is extended in place."""
    reverse = {original: placeholder for placeholder, original in mapping.items()}
    # Counted once, not per new address (thousands of distinct addresses were quadratic too).
    counts = {kind: sum(1 for p in mapping if p.startswith(f"<{kind}_"))
              for kind in ("EMAIL", "PHONE")}

    def replacer(kind: str) -> Callable[[str], str]:
        def replace(original: str) -> str:
            if original not in reverse:
                if len(mapping) >= MAX_PLACEHOLDERS:
                    return f"<{kind}>"  # the original stays in the message's deanonymized_content
                counts[kind] += 1
                placeholder = f"<{kind}_{counts[kind]}>"
                mapping[placeholder] = original
                reverse[original] = placeholder
            return reverse[original]
        return replace

    text = _substitute(text, find_emails(text), replacer("EMAIL"))
    phones = ((m.start(), m.end()) for m in _PHONE.finditer(text))
    return _substitute(text, phones, replacer("PHONE"))
