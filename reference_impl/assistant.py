"""The built-in assistant: deterministic, offline. The same conversation gives the same reply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["Answer", "answer", "count_tokens", "DEFAULT_MODEL"]

DEFAULT_MODEL = "builtin/echo-1"

_WORDS = (
    "start with the old town and walk slowly towards the river where small cafes open early "
    "then take the tram up the hill for the view at sunset keep an afternoon free for the "
    "museum and try the local pastries near the square a short ferry ride gives another "
    "angle on the city bring comfortable shoes and plan one quiet evening by the water"
).split()


@dataclass(frozen=True)
class Answer:
    tokens: list[str]          # the pieces streamed as reply.delta events, in order
    text: str
    input_tokens: int
    output_tokens: int
    sources: list[dict[str, str]]


def count_tokens(text: str) -> int:
    """Whitespace words: crude, stable and good enough for cost estimates."""
    return len(text.split())


def answer(conversation_text: str, prompt: str, web_search: bool) -> Answer:
    digest = hashlib.sha256(f"{conversation_text}\x00{prompt}".encode()).digest()
    length = 6 + digest[0] % 10
    words = [_WORDS[digest[(i + 1) % len(digest)] * (i + 1) % len(_WORDS)]
             for i in range(length)]
    words[0] = words[0].capitalize()
    text = " ".join(words) + "."
    tokens = [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]
    sources = []
    if web_search:
        for i in range(1 + digest[1] % 3):
            slug = digest[2 + i:6 + i].hex()
            sources.append({"title": f"Source {i + 1}: {words[i % length].lower()} guide",
                            "url": f"https://example.com/search/{slug}",
                            "snippet": " ".join(words[i:i + 5])})
    return Answer(tokens, text, count_tokens(conversation_text + " " + prompt),
                  len(tokens), sources)
