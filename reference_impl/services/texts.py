"""Server-generated text (titles, summaries) in the supported languages: en (default), fr."""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["LANGUAGES", "Topics", "title", "summary", "pieces"]

LANGUAGES = ("en", "fr")

_STOP = set("""about after again also because been before being could does doing from have
having here into just like more most much only other over same should some such than that
their them then there these they this those through under very what when where which while
with would your yours avec dans pour sont mais elle nous vous leur tout plus""".split())


class Topics:
    """Word counts over texts added one at a time (a conversation's messages, page by page)."""

    def __init__(self) -> None:
        self.words: Counter[str] = Counter()

    def add(self, text: str) -> None:
        # Counted in C (Counter of a list), stop words taken out after: the same counts, and
        # new words enter in the order they first appear, as before.
        counts = Counter(_WORD.findall(text.lower()))
        for word in _STOP.intersection(counts):
            del counts[word]
        self.words.update(counts)

    def top(self, count: int) -> list[str]:
        # Most frequent first; ties keep the order of first appearance (Counter preserves it).
        return [w[:100] for w, _ in self.words.most_common(count)]


_WORD = re.compile(r"[^\W\d_]{4,}")
_SPACE = re.compile(r"\s")


def pieces(text: str, size: int):
    """`text` in pieces of about `size` characters, cut at whitespace: counting the pieces one
    by one counts the same words as counting the whole (no word spans whitespace, and lower()
    reads no context across it). A text with no whitespace after `size` is one piece."""
    start = 0
    while len(text) - start > size:
        space = _SPACE.search(text, start + size)
        if space is None:
            break
        yield text[start:space.start()]
        start = space.start()
    yield text[start:]


def _join(items: list[str], lang: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if lang == "fr" else " and ") + items[-1]


def title(topics: list[str], lang: str) -> str:
    if not topics:
        return "Nouvelle conversation" if lang == "fr" else "New conversation"
    words = _join([t.capitalize() if i == 0 else t for i, t in enumerate(topics)], lang)
    return words[:200]


def summary(message_count: int, topics: list[str], lang: str) -> str:
    if lang == "fr":
        if message_count == 0:
            return "Aucun message pour l'instant."
        about = f" sur {_join(topics, lang)}" if topics else ""
        return f"{message_count} message{'s' if message_count > 1 else ''}{about}."
    if message_count == 0:
        return "No messages yet."
    about = f" about {_join(topics, lang)}" if topics else ""
    return f"{message_count} message{'s' if message_count != 1 else ''}{about}."
