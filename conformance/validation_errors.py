"""The strict FastAPI 422 shape, judged in one place for the probes and the Schemathesis layer."""

from __future__ import annotations

import json

__all__ = ["shape_problems", "LOCATIONS"]

LOCATIONS = ("body", "query", "path", "header", "cookie")


def shape_problems(status: int, content_type: str, content: bytes) -> list[str]:
    """Every way a response falls short of the contract's 422; empty when it conforms."""
    if status != 422:
        return [f"status {status}, not 422"]
    problems = []
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json":
        problems.append(f"content type {media or '(none)'}, not application/json")
    try:
        body = json.loads(content)
    except ValueError:
        return problems + ["the body is not JSON"]
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail:
        return problems + [f"detail is {type(detail).__name__ if detail is not None else 'missing'}, "
                           "not a non-empty list"]
    for index, item in enumerate(detail):
        if not isinstance(item, dict) or not {"loc", "msg", "type"} <= set(item):
            problems.append(f"detail[{index}] lacks loc, msg or type")
            continue
        loc = item["loc"]
        if not isinstance(loc, list) or not loc or loc[0] not in LOCATIONS:
            problems.append(f"detail[{index}].loc {loc!r} does not start with one of {'/'.join(LOCATIONS)}")
        if not isinstance(item["msg"], str) or not isinstance(item["type"], str):
            problems.append(f"detail[{index}] msg and type must be strings")
    return problems
