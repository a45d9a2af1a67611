"""How the model reads a value out of an answer: shared, verbatim, with the replay scripts.

A selector is a tuple: `("status",)`, `("header", "cache-control")`, `("json", "items", "*",
"id")`, `("events", "*", "event")`, `("data", -1, "usage")`, or a relation the contract states:
`("grammar",)` (the reply event order), `("deltas match",)`, `("usage gap", ...)`,
`("threading", ...)`, `("days after", ...)`, `("sha256",)`, `("mentions", value)`. The model judges
with `pick`, and a replay script (conformance/model/replay.py) copies this module's source so
that it asserts exactly what the model asserted, with nothing but httpx installed.
"""

import hashlib
import json
from datetime import datetime

FINAL = ("reply.completed", "reply.failed")


def sse_events(text):
    """The events of a text/event-stream body: [{"event", "id", "data", "data_lines"}]."""
    events, fields, data = [], {}, []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") + [""]:
        if line == "":
            if data or fields:
                events.append({"event": fields.get("event", "message"), "id": fields.get("id"),
                               "data": "\n".join(data), "data_lines": len(data)})
            fields, data = {}, []
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "data":
                data.append(value)
            else:
                fields[key] = value
    return events


def _json_or_none(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def pick(response, selector):
    """The value `selector` names in an httpx response (None where it names nothing)."""
    head, rest = selector[0], selector[1:]
    if head == "status":
        return response.status_code
    if head == "header":
        return response.headers.get(rest[0])
    if head == "tally":  # how often each value of a list occurs
        values = pick(response, rest)
        return {v: values.count(v) for v in values} if isinstance(values, list) else values
    if head == "sha256":
        return hashlib.sha256(response.content).hexdigest()
    if head == "mentions":  # does the answer carry this value anywhere (body or headers)?
        return rest[0] in response.text or any(rest[0] in v for v in response.headers.values())
    if head == "grammar":  # reply.started, reply.sources once if web_search, reply.delta..., one final event
        names = [e["event"] for e in sse_events(response.text)]
        middle = names[1:-1]
        if middle[:1] == ["reply.sources"] and rest[0]:
            middle = middle[1:]
        return (len(names) >= 2 and names[0] == "reply.started" and names[-1] in FINAL
                and all(n == "reply.delta" for n in middle))
    if head == "deltas match":  # the deltas, concatenated, are the completed message's text
        data = [_json_or_none(e["data"]) for e in sse_events(response.text)]
        final = data[-1] if data else None
        return pick(response, ("deltas",)) == dig(final, ["message", "content"])
    if head == "empty deltas":  # reply.delta events without a non-empty piece of text
        pieces = [_json_or_none(e["data"]) for e in sse_events(response.text) if e["event"] == "reply.delta"]
        return sum(1 for p in pieces if not (isinstance(p, dict) and isinstance(p.get("text"), str) and p["text"]))
    if head == "usage gap":  # total_tokens - input_tokens - output_tokens
        usage = pick(response, rest)
        try:
            return usage["total_tokens"] - usage["input_tokens"] - usage["output_tokens"]
        except (TypeError, KeyError):
            return None
    if head == "threading":  # each message's parent, named by its position in the list (None: none)
        items = pick(response, ("json",) + tuple(rest)) or []
        positions = {dig(m, ["id"]): n for n, m in enumerate(items)}
        return [positions.get(dig(m, ["parent_id"]), "elsewhere") if dig(m, ["parent_id"]) else None for m in items]
    if head == "days after":  # days from one time field of the JSON body to another, to the hundredth
        start, end = (instant(pick(response, ("json", key))) for key in rest)
        return round((end - start).total_seconds() / 86400, 2) if start and end else None
    if head == "json":
        value = _json_or_none(response.text)
    elif head == "events":
        value = sse_events(response.text)
    elif head == "data":
        value = [_json_or_none(e["data"]) for e in sse_events(response.text)]
    elif head == "deltas":
        pieces = [_json_or_none(e["data"]) for e in sse_events(response.text) if e["event"] == "reply.delta"]
        return "".join(p["text"] for p in pieces if isinstance(p, dict) and isinstance(p.get("text"), str))
    else:
        raise ValueError(f"unknown selector {selector!r}")
    return dig(value, rest)


def dig(value, path):
    for n, key in enumerate(path):
        if key == "*":
            return [dig(item, path[n + 1:]) for item in value] if isinstance(value, list) else None
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def instant(value):
    """An RFC 3339 time as an aware datetime (None when it is not one)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
