"""Every credential the run handles, kept out of every report and the terminal.

One redactor for all output. It knows secrets two ways:

- **by value**: each password, token, API key and stream ticket the run handles is remembered
  (`remember`): the configured credentials (the runner), and whatever any exchange carries in a
  credential's place (`harvest`: Authorization and X-Api-Key headers, `password`, `api_key`,
  `access_token`, `ticket`... in JSON or form bodies and in query strings; Exchange.build
  harvests every recorded request and response). A remembered value is replaced wherever it
  appears, however it was written out: as is, JSON-escaped, percent-encoded, HTML/XML-escaped.
- **by shape**: `Bearer <anything>` and `"password": "<anything>"`-like fields, for secrets the
  run never saw as such (a server echoing a credential it made up).

Report writers and the terminal pass their final text through `redact`, so content added to a
report later (a new section, a replay script) is covered without a change here.
"""

from __future__ import annotations

import html
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

__all__ = ["REDACTED", "MIN_LENGTH", "forget", "remember", "harvest", "redact", "redact_text", "SECRET_HEADERS"]

REDACTED = "[REDACTED]"
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key"}
# Keys whose value is a credential, in JSON bodies, form bodies and query strings.
SECRET_KEYS = {"password", "new_password", "current_password", "api_key", "access_token",
               "refresh_token", "token", "ticket", "client_secret", "secret"}
# Shorter values are not replaced by value: a check's "wrong" password would blank every
# "wrong" in a report. Their field or header is still redacted by shape.
MIN_LENGTH = 6
_SECRET_FIELD = re.compile(
    r'("?(?:api_key|password|access_token|refresh_token|ticket|client_secret)"?\s*[:=]\s*"?)'
    r'(?!\$\w|\$\{|\[REDACTED\])'  # a shell variable (a replay script's "password=$2") names a secret
    r'([^"&,}\s]+)')
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None
_stale = False  # values were added since _pattern was built


def _written_forms(value: str) -> set[str]:
    """`value` as the reports may write it out."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             quote(value, safe=""), quote_plus(value), quote(value)}
    return forms | {html.escape(f, quote=q) for f in forms for q in (True, False)}


_TRIE_DEPTH = 6  # characters shared in a prefix tree; a secret's rest is matched as a literal


def _trie(words: Iterable[str]) -> str:
    """One regular expression matching any of `words`, longest first: a prefix tree over their
    first characters, so each position of a text is tried against a few characters instead of
    every secret (five times faster than a flat alternation with hundreds of secrets). The tree
    stops at _TRIE_DEPTH so that a long secret does not nest groups thousands deep."""
    root: dict = {}
    for word in words:
        node = root
        for char in word[:_TRIE_DEPTH]:
            node = node.setdefault(char, {})
        node.setdefault("", set()).add(word[_TRIE_DEPTH:])

    def build(node: dict) -> str:
        branches = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        rests = sorted(node.get("", ()), key=len, reverse=True)
        branches += [re.escape(rest) for rest in rests]  # "" last: the shortest match last
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"
    return build(root)


def forget() -> None:
    """Start a run afresh: the secrets remembered belong to one run. In a long-lived process
    (a test session running the suite many times) the set would otherwise grow run after run,
    and every new secret makes the next redaction rebuild a pattern over all of them."""
    global _pattern, _stale
    with _lock:
        _values.clear()
        _pattern, _stale = None, False


def remember(*values: Any) -> None:
    """Treat these values as secrets from now on (None and short values are ignored)."""
    global _stale
    new = {str(v) for v in values if v is not None and len(str(v)) >= MIN_LENGTH}
    with _lock:
        if new - _values:
            _values.update(new)
            _stale = True


def _compiled() -> re.Pattern[str] | None:
    global _pattern, _stale
    with _lock:
        if _stale:
            _pattern = re.compile(_trie({f for v in _values for f in _written_forms(v)}))
            _stale = False
        return _pattern


def _walk(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and isinstance(item, (str, int)):
                yield item
            else:
                yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _from_text(text: str) -> Iterable[Any]:
    try:
        yield from _walk(json.loads(text))
        return
    except (ValueError, RecursionError):
        pass
    if "=" in text:
        yield from (v for k, v in parse_qsl(text, keep_blank_values=False)
                    if k.lower() in SECRET_KEYS)


def _text(body: bytes | str | None) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body or ""


def harvest(*, url: str = "", headers: dict[str, str] | None = None,
            request_body: bytes | str | None = None,
            response_body: bytes | str | None = None) -> None:
    """Remember every credential one exchange carries: those it sent (headers, query, body
    fields) and those the server answered with (tokens, tickets)."""
    found: list[Any] = []
    for name, value in (headers or {}).items():
        if name.lower() == "authorization":
            found.append(value.split(None, 1)[-1])
        elif name.lower() == "x-api-key":
            found.append(value)
    found += _from_text(urlsplit(url).query) if "?" in url else []
    found += _from_text(_text(request_body))
    found += _from_text(_text(response_body))
    remember(*found)


def redact_text(text: str) -> str:
    """Credentials by shape only: bearer tokens and credential fields."""
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_FIELD.sub(lambda m: m.group(1) + REDACTED, text)


def redact(text: str) -> str:
    """`text` with every remembered secret, and every credential-shaped field, redacted."""
    pattern = _compiled()
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return redact_text(text)
