"""Times: every `*_at` value a server sends is an RFC 3339 date-time in UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ..client import Response
from ..errors import RequirementFailure
from .base import Context, expect_status, requirement

# RFC 3339 section 5.6: a full date, "T", a full time with seconds and an offset.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def parse_time(value: object, what: str, response: Response | None = None) -> datetime:
    """An RFC 3339 date-time with an offset; anything else fails the requirement that read it."""
    parsed = None
    if isinstance(value, str) and RFC3339.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise RequirementFailure(summary=f"{what} is not an RFC 3339 date-time with an offset",
                                 received=repr(value)[:200], documented="e.g. 2026-11-01T12:00:00Z",
                                 exchange=response.exchange if response is not None else None)
    return parsed


def time_fields(body: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON path, value) of every `*_at` field, at any depth."""
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).endswith("_at") and value is not None:
                yield where, value
            else:
                yield from time_fields(value, where)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from time_fields(value, f"{path}[{index}]")


def _answers(ctx: Context) -> Iterator[Response]:
    """One answer of each kind of resource the deployment offers, each holding `*_at` fields."""
    conversation = ctx.new_conversation()
    cid = conversation["id"]
    ctx.new_message(cid, f"timed {ctx.unique}")
    for response in (ctx.user1.get(f"/api/v1/conversations/{cid}"),
                     ctx.user1.get(f"/api/v1/conversations/{cid}/messages"),
                     ctx.user1.post(f"/api/v1/conversations/{cid}/read", json={})):
        expect_status(response, 200, "Reading a conversation, its messages and its read marker")
        yield response
    if "upsertConversationShare" not in ctx.excluded_operations:
        response = ctx.user1.put(f"/api/v1/conversations/{cid}/share", json={"expiry_days": 2})
        expect_status(response, 201, "Sharing a conversation")
        yield response
        yield ctx.anonymous.get(f"/api/v1/public/shares/{response.json()['id']}", token=None)
    if "listProviders" not in ctx.excluded_operations:
        yield ctx.user1.get("/api/v1/providers", params={"limit": 5})


@requirement("TIME-001")
def times_are_rfc3339_in_utc(ctx: Context) -> None:
    for response in _answers(ctx):
        for where, value in time_fields(response.json()):
            moment = parse_time(value, f"{response.exchange.method} {response.raw.url.path}: {where}", response)
            if moment.utcoffset() != timedelta(0):
                raise RequirementFailure(summary=f"{response.raw.url.path}: {where} is not in UTC",
                                         received=value, documented="an offset of Z or +00:00",
                                         exchange=response.exchange)
