"""Replace personal data (e-mail addresses, phone numbers) with stable placeholders.

Linear time in the text: a message may hold 32,000 characters, and the regular expression
this replaces (`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}`) backtracked quadratically
on a long run of address characters (5.6 s for one message, with the event loop held). The
scanner below finds exactly what that expression found, reading each character a bounded
number of times.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

__all__ = ["anonymize", "find_emails"]

_LOCAL = re.compile(r"[A-Za-z0-9._%+-]+")    # the local part's characters, one run at a time
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")
_LETTERS = re.compile(r"[A-Za-z]+")
# Linear already: after the lookbehind, the digits-and-separators run is matched once from
# each start, and starts are only digits not preceded by a word character.
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ()\-.]{6,}\d(?![\w])")


def _is_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _domain_end(text: str, start: int, stop: int) -> int | None:
    """Where an address ends whose domain is text[start:stop]: after its last `.` + 2 letters.

    The old expression's greedy domain gave back characters until `\\.[A-Za-z]{2,}` matched:
    the rightmost dot (not the first character) followed by two letters, then every letter.
    """
    dot = text.rfind(".", start + 1, stop)
    while dot != -1:
        if dot + 2 < stop and _is_letter(text[dot + 1]) and _is_letter(text[dot + 2]):
            return _LETTERS.match(text, dot + 1).end()
        dot = text.rfind(".", start + 1, dot)
    return None


def find_emails(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each address, left to right, as re.finditer of the old expression."""
    pos = 0
    while (local := _LOCAL.search(text, pos)) is not None:
        at = local.end()
        # A start inside this run would reach the same "@" and the same domain: if the run's
        # first character cannot start an address, none of the run's can.
        if at < len(text) and text[at] == "@" and (domain := _DOMAIN.match(text, at + 1)):
            end = _domain_end(text, at + 1, domain.end())
            if end is not None:
                yield local.start(), end
                pos = end
                continue
        pos = at + 1


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
                counts[kind] += 1
                placeholder = f"<{kind}_{counts[kind]}>"
                mapping[placeholder] = original
                reverse[original] = placeholder
            return reverse[original]
        return replace

    text = _substitute(text, find_emails(text), replacer("EMAIL"))
    phones = ((m.start(), m.end()) for m in _PHONE.finditer(text))
    return _substitute(text, phones, replacer("PHONE"))
